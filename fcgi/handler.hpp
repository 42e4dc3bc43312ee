// The decisions of one roster request, from parsed parameters to a response, with the
// database behind an interface so that unit tests can stand in for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"
#include "response.hpp"

namespace presence {

// What one call of presence.http_roster came back with.
struct DbResult {
    enum class Kind {
        kBody,         // the finished 200 body
        kError,        // the function (or the statement) raised an error
        kUnavailable,  // no connection to the database could be had
    };
    Kind kind = Kind::kUnavailable;
    std::string_view body;  // kBody: valid until the next call on the same source
    std::string sqlstate;   // kError: may be empty when the server sent none
    std::string message;    // kError, kUnavailable: what went wrong, for the log
};

// The database side of a request: one call of presence.http_roster($1, $2, $3, $4).
class RosterSource {
public:
    virtual ~RosterSource() = default;
    virtual DbResult call(const std::string &token, const std::optional<std::string> &workspace,
                          const std::optional<std::string> &crew_id,
                          const std::optional<std::string> &malformed) = 0;
};

// The HTTP status for an error the roster function raised: PR401 401, PR400 and PR428 400,
// PR403 403, PR404 404, 57014 (the call ran past the deadline) 503, anything else 500.
int status_for_sqlstate(std::string_view sqlstate);

// `message` with every occurrence of `secret` replaced, so that a token can never reach
// the log even if a database message quotes it.
std::string redact(std::string message, std::string_view secret);

// A response and what the log line of a failed request should say about it.
struct Handled {
    Response response;
    std::string reason;      // the detail given to the client, or why it got a 200 body
    std::string sqlstate;    // set when the status came from a database error
    std::string db_message;  // the database's own words (token redacted), for 500 and 503
};

// Answers one request. Order: path (404), Authorization (401 without a database call when
// missing or garbled), then one database call that checks the token before anything else,
// so a malformed request, or one with a method other than GET and HEAD, from an
// unauthenticated client is a 401; from an authenticated one, a 400 or a 405.
Handled handle_request(const RequestParams &p, RosterSource &db, ProblemWriter &problems);

}  // namespace presence
