// SQLSTATEs to HTTP statuses, and what each error response says.
#include <gtest/gtest.h>

#include <string>

#include "handler.hpp"
#include "support.hpp"

namespace presence {
namespace {

using test::FakeSource;
using test::kGoodToken;
using test::roster_get;

TEST(StatusMapping, DocumentedSqlstates)
{
    EXPECT_EQ(status_for_sqlstate("PR401"), 401);
    EXPECT_EQ(status_for_sqlstate("PR400"), 400);
    EXPECT_EQ(status_for_sqlstate("PR428"), 400);
    EXPECT_EQ(status_for_sqlstate("PR403"), 403);
    EXPECT_EQ(status_for_sqlstate("PR404"), 404);
}

TEST(StatusMapping, EverythingElseIs500)
{
    for (const char *s : {"PR409", "42501", "42883", "XX000", "23505", "55000", "", "pr404"}) {
        EXPECT_EQ(status_for_sqlstate(s), 500) << s;
    }
}

// The status and body of a roster GET when the database raises `sqlstate`.
Handled answer_with(const char *sqlstate, const std::string &query = "")
{
    static ProblemWriter w;
    FakeSource db;
    db.answer_error(sqlstate, "function said something about ws_other");
    return handle_request(roster_get(query), db, w);
}

TEST(StatusMapping, Pr401IsAnInvalidToken)
{
    Handled h = answer_with("PR401");
    EXPECT_EQ(h.response.status, 401);
    EXPECT_NE(response_head(h.response)
                  .find("WWW-Authenticate: Bearer realm=\"presence\", error=\"invalid_token\""),
              std::string::npos);
}

TEST(StatusMapping, Pr428SaysNoWorkspace)
{
    Handled h = answer_with("PR428");
    EXPECT_EQ(h.response.status, 400);
    EXPECT_NE(h.response.body().find(detail::kNoWorkspace), std::string::npos);
}

TEST(StatusMapping, Pr403SaysNotAMember)
{
    Handled h = answer_with("PR403");
    EXPECT_EQ(h.response.status, 403);
    EXPECT_EQ(h.response.body(), R"({"type":"about:blank","title":"Forbidden","status":403,)"
                                 R"("detail":"not a member of this workspace"})");
}

TEST(StatusMapping, Pr400WithoutALocalReasonIsAGenericMalformed)
{
    Handled h = answer_with("PR400");
    EXPECT_EQ(h.response.status, 400);
    EXPECT_NE(h.response.body().find(detail::kMalformed), std::string::npos);
}

TEST(StatusMapping, OtherErrorsAre500AndTellTheClientNothing)
{
    Handled h = answer_with("42883");
    EXPECT_EQ(h.response.status, 500);
    EXPECT_EQ(h.response.body(),
              R"({"type":"about:blank","title":"Internal Server Error","status":500,)"
              R"("detail":"internal error"})");
    EXPECT_EQ(h.response.body().find("ws_other"), std::string::npos);
    // The log gets the database's words.
    EXPECT_EQ(h.sqlstate, "42883");
    EXPECT_EQ(h.db_message, "function said something about ws_other");
}

TEST(StatusMapping, DatabaseMessagesNeverCarryTheTokenToTheLog)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_error("XX000", std::string("bad value ") + kGoodToken + " in call");
    Handled h = handle_request(roster_get(), db, w);
    EXPECT_EQ(h.response.status, 500);
    EXPECT_EQ(h.db_message.find(kGoodToken), std::string::npos);
    EXPECT_EQ(h.db_message, "bad value [redacted] in call");
}

TEST(StatusMapping, UnreachableDatabaseIs503)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_unavailable("connection refused");
    Handled h = handle_request(roster_get(), db, w);
    EXPECT_EQ(h.response.status, 503);
    EXPECT_NE(response_head(h.response).find("\r\nRetry-After: 2\r\n"), std::string::npos);
    EXPECT_EQ(h.response.body().find("connection refused"), std::string::npos);
    EXPECT_EQ(h.db_message, "connection refused");
}

TEST(StatusMapping, ACallPastTheDeadlineIs503)
{
    EXPECT_EQ(status_for_sqlstate("57014"), 503);
    Handled h = answer_with("57014");
    EXPECT_EQ(h.response.status, 503);
    EXPECT_NE(response_head(h.response).find("\r\nRetry-After: 2\r\n"), std::string::npos);
    EXPECT_EQ(h.response.body(),
              R"({"type":"about:blank","title":"Service Unavailable","status":503,)"
              R"("detail":"the database did not answer in time; try again shortly"})");
    EXPECT_EQ(h.sqlstate, "57014");
}

TEST(StatusMapping, BodyIsPassedThroughUntouched)
{
    ProblemWriter w;
    FakeSource db;
    std::string body = R"({"rows":[{"agent_id":"agt_viktor","crew_id":"crw_backend",)"
                       R"("status":"busy","since":"2026-04-17T10:23:41.000000Z",)"
                       R"("details":{"current_task_id":"T-42"}}],"count":1})";
    db.answer_body(body);
    Handled h = handle_request(roster_get("crew_id=crw_backend"), db, w);
    EXPECT_EQ(h.response.status, 200);
    EXPECT_EQ(h.response.content_type, "application/json");
    EXPECT_EQ(h.response.body(), body);
}

}  // namespace
}  // namespace presence
