// The exact bytes of problem+json bodies.
#include <gtest/gtest.h>

#include "response.hpp"

namespace presence {
namespace {

TEST(ProblemBody, NotFoundCrew)
{
    ProblemWriter w;
    EXPECT_EQ(w.body(404, detail::kNoSuchCrew),
              R"({"type":"about:blank","title":"Not Found","status":404,)"
              R"("detail":"no such crew in this workspace"})");
}

TEST(ProblemBody, TitleIsTheStandardReasonPhrase)
{
    ProblemWriter w;
    EXPECT_EQ(w.body(400, "x"),
              R"({"type":"about:blank","title":"Bad Request","status":400,"detail":"x"})");
    EXPECT_EQ(w.body(401, "x"),
              R"({"type":"about:blank","title":"Unauthorized","status":401,"detail":"x"})");
    EXPECT_EQ(w.body(403, "x"),
              R"({"type":"about:blank","title":"Forbidden","status":403,"detail":"x"})");
    EXPECT_EQ(w.body(405, "x"), R"({"type":"about:blank","title":"Method Not Allowed",)"
                                R"("status":405,"detail":"x"})");
    EXPECT_EQ(w.body(500, "x"), R"({"type":"about:blank","title":"Internal Server Error",)"
                                R"("status":500,"detail":"x"})");
    EXPECT_EQ(w.body(503, "x"), R"({"type":"about:blank","title":"Service Unavailable",)"
                                R"("status":503,"detail":"x"})");
}

TEST(ProblemBody, DetailIsEscapedAsJson)
{
    ProblemWriter w;
    EXPECT_EQ(w.body(400, "say \"hi\" \\ now\n"),
              R"({"type":"about:blank","title":"Bad Request","status":400,)"
              R"("detail":"say \"hi\" \\ now\n"})");
}

TEST(ProblemBody, Utf8IsWrittenAsIs)
{
    ProblemWriter w;
    EXPECT_EQ(w.body(400, "caf\xc3\xa9"),
              "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
              "\"detail\":\"caf\xc3\xa9\"}");
}

TEST(ProblemBody, WriterIsReusableWithoutLeftovers)
{
    ProblemWriter w;
    std::string first = w.body(404, "a much longer detail than the next one");
    std::string second = w.body(404, "b");
    EXPECT_EQ(second, R"({"type":"about:blank","title":"Not Found","status":404,"detail":"b"})");
    EXPECT_NE(first, second);
}

TEST(ProblemBody, ProblemResponseCarriesItsContentType)
{
    ProblemWriter w;
    Response r = problem_response(w, 403, detail::kNotMember);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.content_type, "application/problem+json");
    EXPECT_EQ(r.body(), R"({"type":"about:blank","title":"Forbidden","status":403,)"
                        R"("detail":"not a member of this workspace"})");
}

}  // namespace
}  // namespace presence
