// The order of checks: an unauthenticated client learns nothing else.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "handler.hpp"
#include "support.hpp"

namespace presence {
namespace {

using test::FakeSource;
using test::kGoodToken;
using test::roster_get;
using test::wire;

class RequestOrder : public ::testing::Test {
protected:
    ProblemWriter w;
    FakeSource db;
};

TEST_F(RequestOrder, UnknownPathIs404BeforeAnythingElse)
{
    RequestParams p = roster_get();
    p.path = "/api/v1/presence/roster/";
    p.method = "DELETE";
    p.authorization.reset();
    p.authorization_count = 0;
    Handled h = handle_request(p, db, w);
    EXPECT_EQ(h.response.status, 404);
    EXPECT_EQ(h.response.body(), R"({"type":"about:blank","title":"Not Found","status":404,)"
                                 R"("detail":"no such resource"})");
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, PathIsComparedExactly)
{
    for (const char *path : {"/api/v1/presence", "/api/v1/presence/Roster", "/",
                             "/api/v1/presence/roster%20", "//api/v1/presence/roster", ""}) {
        RequestParams p = roster_get();
        p.path = path;
        EXPECT_EQ(handle_request(p, db, w).response.status, 404) << path;
    }
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, OtherMethodsWithoutATokenAre401)
{
    for (const char *method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""}) {
        RequestParams p = roster_get();
        p.method = method;
        p.authorization.reset();
        p.authorization_count = 0;
        Handled h = handle_request(p, db, w);
        EXPECT_EQ(h.response.status, 401) << method;
        EXPECT_EQ(response_head(h.response).find("Allow:"), std::string::npos);
    }
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, OtherMethodsWithARejectedTokenAre401)
{
    db.answer_error("PR401");
    RequestParams p = roster_get();
    p.method = "POST";
    Handled h = handle_request(p, db, w);
    EXPECT_EQ(h.response.status, 401);
    ASSERT_EQ(db.calls, 1);
    EXPECT_FALSE(db.workspace);
    EXPECT_FALSE(db.crew_id);
}

TEST_F(RequestOrder, OtherMethodsWithAnAcceptedTokenAre405)
{
    for (const char *method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", ""}) {
        db.answer_error("PR400");
        RequestParams p = roster_get("crew_id=crw_a");
        p.method = method;
        Handled h = handle_request(p, db, w);
        EXPECT_EQ(h.response.status, 405) << method;
        EXPECT_NE(response_head(h.response).find("\r\nAllow: GET, HEAD\r\n"), std::string::npos);
        EXPECT_EQ(db.malformed, std::optional<std::string>(detail::kMethodNotAllowed));
        EXPECT_FALSE(db.crew_id);
    }
}

TEST_F(RequestOrder, MissingTokenIs401WithoutTheDatabase)
{
    RequestParams p = roster_get("crew_id=%ZZ");
    p.authorization.reset();
    p.authorization_count = 0;
    Handled h = handle_request(p, db, w);
    EXPECT_EQ(h.response.status, 401);
    EXPECT_EQ(response_head(h.response).find("error="), std::string::npos);
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, AnotherSchemeIs401WithoutAnErrorCode)
{
    for (const char *header : {"Basic dXNlcjpwYXNz", "Bearer", ""}) {
        RequestParams p = roster_get("crew_id=a&crew_id=b");
        p.authorization = header;
        Handled h = handle_request(p, db, w);
        EXPECT_EQ(h.response.status, 401) << header;
        EXPECT_NE(response_head(h.response).find("WWW-Authenticate: Bearer realm=\"presence\"\r\n"),
                  std::string::npos)
            << header;
    }
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, GarbledAuthorizationIs401InvalidTokenWithoutTheDatabase)
{
    std::vector<std::string> headers = {"Bearer a;b", "Bearer " + std::string(4096, 'A'),
                                        "Bearer prs_\xff"};
    for (const std::string &header : headers) {
        RequestParams p = roster_get("crew_id=a&crew_id=b");
        p.authorization = header;
        Handled h = handle_request(p, db, w);
        EXPECT_EQ(h.response.status, 401) << header;
        EXPECT_NE(response_head(h.response).find("error=\"invalid_token\""), std::string::npos);
    }
    EXPECT_EQ(db.calls, 0);
}

TEST_F(RequestOrder, WellFormedTokenGoesToTheDatabaseWithTheParameters)
{
    db.answer_body(R"({"rows":[],"count":0})");
    RequestParams p = roster_get("crew_id=crw_a");
    p.workspace = "ws_acme";
    p.workspace_count = 1;
    Handled h = handle_request(p, db, w);
    EXPECT_EQ(h.response.status, 200);
    ASSERT_EQ(db.calls, 1);
    EXPECT_EQ(db.token, kGoodToken);
    EXPECT_EQ(db.workspace, std::optional<std::string>("ws_acme"));
    EXPECT_EQ(db.crew_id, std::optional<std::string>("crw_a"));
    EXPECT_FALSE(db.malformed);
}

TEST_F(RequestOrder, AbsentHeaderAndEmptyCrewGoAsNull)
{
    db.answer_body(R"({"rows":[],"count":0})");
    handle_request(roster_get("crew_id="), db, w);
    ASSERT_EQ(db.calls, 1);
    EXPECT_FALSE(db.workspace);
    EXPECT_FALSE(db.crew_id);
    EXPECT_FALSE(db.malformed);
}

TEST_F(RequestOrder, MalformedQueryWithARejectedTokenIs401)
{
    db.answer_error("PR401");
    Handled h = handle_request(roster_get("crew_id=%C0%AF"), db, w);
    EXPECT_EQ(h.response.status, 401);
    EXPECT_NE(response_head(h.response).find("error=\"invalid_token\""), std::string::npos);
    ASSERT_EQ(db.calls, 1);
    EXPECT_EQ(db.malformed, std::optional<std::string>(malformed::kBadUtf8));
}

TEST_F(RequestOrder, MalformedQueryWithAGoodTokenIs400WithItsReason)
{
    db.answer_error("PR400");
    Handled h = handle_request(roster_get("crew_id=a&crew_id=b"), db, w);
    EXPECT_EQ(h.response.status, 400);
    EXPECT_EQ(h.response.body(), R"({"type":"about:blank","title":"Bad Request","status":400,)"
                                 R"("detail":"crew_id is given more than once"})");
}

TEST_F(RequestOrder, MalformedRequestSendsNoneOfTheBadInput)
{
    db.answer_error("PR400");
    RequestParams p = roster_get("crew_id=ok_crew&x=%FF");
    p.workspace = "ws_acme";
    p.workspace_count = 1;
    handle_request(p, db, w);
    ASSERT_EQ(db.calls, 1);
    EXPECT_EQ(db.token, kGoodToken);
    EXPECT_FALSE(db.workspace);
    EXPECT_FALSE(db.crew_id);
    EXPECT_EQ(db.malformed, std::optional<std::string>(malformed::kBadUtf8));
}

TEST_F(RequestOrder, BadWorkspaceHeaderIsMalformedAfterTheTokenCheck)
{
    RequestParams p = roster_get();
    p.workspace = "ws acme";
    p.workspace_count = 1;

    db.answer_error("PR401");
    EXPECT_EQ(handle_request(p, db, w).response.status, 401);

    db.answer_error("PR400");
    Handled h = handle_request(p, db, w);
    EXPECT_EQ(h.response.status, 400);
    EXPECT_NE(h.response.body().find(malformed::kWorkspaceInvalid), std::string::npos);
    EXPECT_EQ(db.malformed, std::optional<std::string>(malformed::kWorkspaceInvalid));
}

TEST_F(RequestOrder, MalformedRequestIsNever200EvenIfTheDatabaseSaysSo)
{
    db.answer_body(R"({"rows":[],"count":0})");
    Handled h = handle_request(roster_get("crew_id=%ZZ"), db, w);
    EXPECT_EQ(h.response.status, 400);
    EXPECT_NE(h.response.body().find(malformed::kBadEscape), std::string::npos);
}

TEST_F(RequestOrder, UnauthenticatedAnswersDoNotDependOnTheQuery)
{
    db.answer_error("PR401");
    std::string clean = wire(handle_request(roster_get(), db, w).response);
    for (const char *query : {"crew_id=%ZZ", "crew_id=a&crew_id=b", "crew_id=crw_other",
                              "crew_id=%00", "crew_id=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
        EXPECT_EQ(wire(handle_request(roster_get(query), db, w).response), clean) << query;
    }
}

}  // namespace
}  // namespace presence
