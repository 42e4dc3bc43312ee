// Copying what the program needs out of the FastCGI environment.
#include <gtest/gtest.h>

#include <vector>

#include "request.hpp"

namespace presence {
namespace {

RequestParams collect(std::vector<const char *> env)
{
    env.push_back(nullptr);
    return collect_params(env.data());
}

TEST(Params, TakesWhatNginxSends)
{
    RequestParams p = collect({
        "FCGI_ROLE=RESPONDER",
        "REQUEST_METHOD=GET",
        "REQUEST_URI=/api/v1/presence/roster?crew_id=a%3D",
        "DOCUMENT_URI=/api/v1/presence/roster",
        "QUERY_STRING=crew_id=a%3D",
        "HTTP_AUTHORIZATION=Bearer prs_x",
        "HTTP_X_WORKSPACE_ID=ws_1",
        "REQUEST_ID=0123456789abcdef",
    });
    EXPECT_EQ(p.method, "GET");
    EXPECT_EQ(p.path, "/api/v1/presence/roster");
    EXPECT_EQ(p.query, "crew_id=a%3D");
    EXPECT_EQ(p.authorization, std::optional<std::string>("Bearer prs_x"));
    EXPECT_EQ(p.authorization_count, 1);
    EXPECT_EQ(p.workspace, std::optional<std::string>("ws_1"));
    EXPECT_EQ(p.workspace_count, 1);
    EXPECT_EQ(p.request_id, "0123456789abcdef");
}

TEST(Params, PathComesFromTheRawRequestUri)
{
    RequestParams p = collect({"REQUEST_URI=/api/v1/presence/%72oster",
                               "DOCUMENT_URI=/api/v1/presence/roster"});
    EXPECT_EQ(p.path, "/api/v1/presence/%72oster");
}

TEST(Params, DocumentUriIsTheFallback)
{
    EXPECT_EQ(collect({"DOCUMENT_URI=/api/v1/presence/roster"}).path, "/api/v1/presence/roster");
}

TEST(Params, AbsentHeadersStayAbsentAndEmptyOnesPresent)
{
    RequestParams none = collect({"REQUEST_METHOD=GET"});
    EXPECT_FALSE(none.authorization);
    EXPECT_EQ(none.authorization_count, 0);
    EXPECT_FALSE(none.workspace);
    EXPECT_TRUE(none.query.empty());

    RequestParams empty = collect({"HTTP_AUTHORIZATION=", "HTTP_X_WORKSPACE_ID="});
    EXPECT_EQ(empty.authorization, std::optional<std::string>(""));
    EXPECT_EQ(empty.workspace, std::optional<std::string>(""));
}

TEST(Params, RepeatedHeadersAreCounted)
{
    RequestParams p = collect({"HTTP_AUTHORIZATION=Bearer a", "HTTP_AUTHORIZATION=Bearer b",
                               "HTTP_X_WORKSPACE_ID=ws_a", "HTTP_X_WORKSPACE_ID=ws_b"});
    EXPECT_EQ(p.authorization, std::optional<std::string>("Bearer a"));
    EXPECT_EQ(p.authorization_count, 2);
    EXPECT_EQ(p.workspace_count, 2);
}

TEST(Params, SimilarNamesAreNotConfused)
{
    RequestParams p = collect({"HTTP_AUTHORIZATIONX=Bearer a", "HTTP_X_WORKSPACE_ID_2=ws",
                               "QUERY_STRINGS=x", "REQUEST_METHOD"});
    EXPECT_FALSE(p.authorization);
    EXPECT_FALSE(p.workspace);
    EXPECT_TRUE(p.query.empty());
    EXPECT_TRUE(p.method.empty());
}

TEST(Params, NullEnvironmentIsEmpty)
{
    RequestParams p = collect_params(nullptr);
    EXPECT_TRUE(p.method.empty());
    EXPECT_TRUE(p.path.empty());
}

}  // namespace
}  // namespace presence
