// Test helpers: a stand-in for the database and a way to see a response as the wire does.
#pragma once

#include <optional>
#include <string>

#include "handler.hpp"
#include "request.hpp"
#include "response.hpp"

namespace presence::test {

inline constexpr const char *kGoodToken = "prs_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcd";

// Records every call and answers with whatever the test put into `next`.
struct FakeSource : RosterSource {
    int calls = 0;
    std::string token;
    std::optional<std::string> workspace, crew_id, malformed;
    DbResult next;
    std::string body;  // what a kBody answer points into

    DbResult call(const std::string &t, const std::optional<std::string> &w,
                  const std::optional<std::string> &c,
                  const std::optional<std::string> &m) override
    {
        ++calls;
        token = t;
        workspace = w;
        crew_id = c;
        malformed = m;
        DbResult r = next;
        if (r.kind == DbResult::Kind::kBody) {
            r.body = body;
        }
        return r;
    }

    void answer_body(std::string text)
    {
        next = DbResult{};
        next.kind = DbResult::Kind::kBody;
        body = std::move(text);
    }

    void answer_error(std::string sqlstate, std::string message = "some database message")
    {
        next = DbResult{};
        next.kind = DbResult::Kind::kError;
        next.sqlstate = std::move(sqlstate);
        next.message = std::move(message);
    }

    void answer_unavailable(std::string message)
    {
        next = DbResult{};
        next.kind = DbResult::Kind::kUnavailable;
        next.message = std::move(message);
    }
};

// A GET of the roster with a good token and the given raw query string.
inline RequestParams roster_get(std::string query = "")
{
    RequestParams p;
    p.method = "GET";
    p.path = std::string(kRosterPath);
    p.query = std::move(query);
    p.authorization = std::string("Bearer ") + kGoodToken;
    p.authorization_count = 1;
    p.request_id = "test-request";
    return p;
}

// The bytes a client would get: head, then the body unless `head_only`.
inline std::string wire(const Response &r, bool head_only = false)
{
    std::string out = response_head(r);
    if (!head_only) {
        out += r.body();
    }
    return out;
}

}  // namespace presence::test
