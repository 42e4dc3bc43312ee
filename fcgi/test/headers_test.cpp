// The header sets clients see, byte for byte.
#include <gtest/gtest.h>

#include <string>

#include "handler.hpp"
#include "support.hpp"

namespace presence {
namespace {

using test::FakeSource;
using test::roster_get;
using test::wire;

TEST(Headers, MissingTokenGets401WithRealmOnly)
{
    ProblemWriter w;
    Response r = unauthorized_response(w, false);
    std::string body = R"({"type":"about:blank","title":"Unauthorized","status":401,)"
                       R"("detail":"a bearer token is required"})";
    EXPECT_EQ(wire(r), "Status: 401 Unauthorized\r\n"
                       "Content-Type: application/problem+json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n"
                       "Cache-Control: no-store\r\n"
                       "WWW-Authenticate: Bearer realm=\"presence\"\r\n"
                       "\r\n" + body);
}

TEST(Headers, BadTokenGets401WithInvalidTokenError)
{
    ProblemWriter w;
    Response r = unauthorized_response(w, true);
    std::string body = R"({"type":"about:blank","title":"Unauthorized","status":401,)"
                       R"("detail":"the bearer token is not valid"})";
    EXPECT_EQ(wire(r), "Status: 401 Unauthorized\r\n"
                       "Content-Type: application/problem+json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n"
                       "Cache-Control: no-store\r\n"
                       "WWW-Authenticate: Bearer realm=\"presence\", error=\"invalid_token\"\r\n"
                       "\r\n" + body);
}

TEST(Headers, MethodNotAllowedListsGetAndHead)
{
    ProblemWriter w;
    Response r = method_not_allowed_response(w);
    std::string body = R"({"type":"about:blank","title":"Method Not Allowed","status":405,)"
                       R"("detail":"only GET and HEAD are allowed"})";
    EXPECT_EQ(wire(r), "Status: 405 Method Not Allowed\r\n"
                       "Content-Type: application/problem+json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n"
                       "Cache-Control: no-store\r\n"
                       "Allow: GET, HEAD\r\n"
                       "\r\n" + body);
}

TEST(Headers, UnavailableCarriesRetryAfter)
{
    ProblemWriter w;
    Response r = unavailable_response(w);
    EXPECT_EQ(response_head(r), "Status: 503 Service Unavailable\r\n"
                                "Content-Type: application/problem+json\r\n"
                                "Content-Length: " + std::to_string(r.body().size()) + "\r\n"
                                "Cache-Control: no-store\r\n"
                                "Retry-After: 2\r\n"
                                "\r\n");
}

TEST(Headers, RosterIs200JsonWithTheBodyAsGiven)
{
    std::string body = R"({"rows":[{"agent_id":"agt_a","status":"online",)"
                       R"("since":"2026-04-17T10:23:41.000000Z"}],"count":1})";
    Response r = roster_response(body);
    EXPECT_EQ(wire(r), "Status: 200 OK\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: " + std::to_string(body.size()) + "\r\n"
                       "Cache-Control: no-store\r\n"
                       "\r\n" + body);
}

TEST(Headers, ContentLengthCountsBytesNotCharacters)
{
    std::string body = "{\"rows\":[],\"count\":0,\"x\":\"\xc3\xa9\"}";
    Response r = roster_response(body);
    EXPECT_NE(response_head(r).find("Content-Length: 30\r\n"), std::string::npos);
}

TEST(Headers, HeadGetsTheSameHeadAsGetAndNoBody)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_body(R"({"rows":[],"count":0})");

    Handled get = handle_request(roster_get(), db, w);
    RequestParams head_request = roster_get();
    head_request.method = "HEAD";
    Handled head = handle_request(head_request, db, w);

    EXPECT_EQ(head.response.status, 200);
    EXPECT_EQ(response_head(head.response), response_head(get.response));
    EXPECT_EQ(wire(head.response, true), response_head(get.response));
    EXPECT_EQ(db.calls, 2);
}

TEST(Headers, HeadOfAnErrorKeepsItsHeaders)
{
    ProblemWriter w;
    FakeSource db;
    db.answer_error("PR404");
    RequestParams p = roster_get("crew_id=crw_x");
    Handled get = handle_request(p, db, w);
    p.method = "HEAD";
    Handled head = handle_request(p, db, w);
    EXPECT_EQ(response_head(head.response), response_head(get.response));
    EXPECT_NE(response_head(head.response).find("Content-Length: "), std::string::npos);
}

TEST(Headers, EveryResponseSaysNoStore)
{
    ProblemWriter w;
    FakeSource db;
    std::vector<Response> all = {
        roster_response("{}"),
        problem_response(w, 400, "x"),
        unauthorized_response(w, false),
        unauthorized_response(w, true),
        problem_response(w, 403, "x"),
        problem_response(w, 404, "x"),
        method_not_allowed_response(w),
        problem_response(w, 500, "x"),
        unavailable_response(w),
    };
    for (const Response &r : all) {
        EXPECT_NE(response_head(r).find("\r\nCache-Control: no-store\r\n"), std::string::npos)
            << r.status;
    }
}

}  // namespace
}  // namespace presence
