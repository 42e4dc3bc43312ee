// A crew of another workspace and a crew that exists nowhere look the same.
#include <gtest/gtest.h>

#include <string>

#include "handler.hpp"
#include "support.hpp"

namespace presence {
namespace {

using test::FakeSource;
using test::roster_get;
using test::wire;

TEST(NotFound, CrewElsewhereAndCrewNowhereAreByteIdentical)
{
    ProblemWriter w;
    FakeSource db;

    db.answer_error("PR404", "crew crw_secret is in workspace ws_other");
    std::string elsewhere = wire(handle_request(roster_get("crew_id=crw_secret"), db, w).response);

    db.answer_error("PR404", "crew crw_nothing does not exist");
    std::string nowhere = wire(handle_request(roster_get("crew_id=crw_nothing"), db, w).response);

    EXPECT_EQ(elsewhere, nowhere);
    EXPECT_EQ(elsewhere.find("ws_other"), std::string::npos);
    EXPECT_EQ(elsewhere.find("crw_"), std::string::npos);
}

TEST(NotFound, CrewNotFoundBytes)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_error("PR404");
    std::string body = R"({"type":"about:blank","title":"Not Found","status":404,)"
                       R"("detail":"no such crew in this workspace"})";
    EXPECT_EQ(wire(handle_request(roster_get("crew_id=crw_x"), db, w).response),
              "Status: 404 Not Found\r\n"
              "Content-Type: application/problem+json\r\n"
              "Content-Length: " + std::to_string(body.size()) + "\r\n"
              "Cache-Control: no-store\r\n"
              "\r\n" + body);
}

TEST(NotFound, NotFoundNeverLogsTheDatabaseMessage)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_error("PR404", "crew crw_secret is in workspace ws_other");
    Handled h = handle_request(roster_get("crew_id=crw_secret"), db, w);
    EXPECT_EQ(h.sqlstate, "PR404");
    EXPECT_TRUE(h.db_message.empty());
}

}  // namespace
}  // namespace presence
