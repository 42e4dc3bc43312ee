// HTTP responses of the roster endpoint: status, headers and RFC 9457 problem bodies. Plain
// C++ with jsoncpp; nothing here touches libfcgi.
#pragma once

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace Json {
class StreamWriter;
}

namespace presence {

// The fixed detail texts of the error responses that do not come from request parsing.
namespace detail {
inline constexpr const char *kNoSuchResource = "no such resource";
inline constexpr const char *kMethodNotAllowed = "only GET and HEAD are allowed";
inline constexpr const char *kTokenRequired = "a bearer token is required";
inline constexpr const char *kTokenInvalid = "the bearer token is not valid";
inline constexpr const char *kMalformed = "the request is malformed";
inline constexpr const char *kNoWorkspace =
    "no workspace resolved: send X-Workspace-Id or use a token bound to a workspace";
inline constexpr const char *kNotMember = "not a member of this workspace";
inline constexpr const char *kNoSuchCrew = "no such crew in this workspace";
inline constexpr const char *kInternal = "internal error";
inline constexpr const char *kUnavailable = "the database is unavailable; try again shortly";
inline constexpr const char *kTimedOut =
    "the database did not answer in time; try again shortly";
}  // namespace detail

// The standard reason phrase for the statuses this program answers with ("Error" for others).
const char *reason_phrase(int status);

// One response. The body is either owned or borrowed from a buffer the caller keeps alive
// until the response has been written (the roster text inside a libpq result).
struct Response {
    int status = 200;
    std::string content_type;
    std::vector<std::pair<std::string, std::string>> extra_headers;
    std::string owned_body;
    std::string_view borrowed_body;
    bool borrows = false;

    std::string_view body() const { return borrows ? borrowed_body : std::string_view(owned_body); }
};

// Writes problem+json bodies. Holds one jsoncpp StreamWriter, built once and reused; one
// instance per thread (it is not thread-safe).
class ProblemWriter {
public:
    ProblemWriter();
    ~ProblemWriter();
    ProblemWriter(const ProblemWriter &) = delete;
    ProblemWriter &operator=(const ProblemWriter &) = delete;

    // The compact body {"type":"about:blank","title":...,"status":...,"detail":...}, members
    // in the order RFC 9457 and the contract list them, strings escaped by jsoncpp.
    std::string body(int status, std::string_view detail);

private:
    // `s` as a JSON string literal.
    void put_string(std::string_view s);

    std::unique_ptr<Json::StreamWriter> writer_;
    std::ostringstream out_;
};

// A 200 carrying the roster text exactly as the database returned it.
Response roster_response(std::string_view body);

// An application/problem+json response with the given status and fixed detail.
Response problem_response(ProblemWriter &w, int status, std::string_view detail);

// A 401: with error="invalid_token" when a token (or something in its place) was sent.
Response unauthorized_response(ProblemWriter &w, bool invalid_token);

// A 405 with `Allow: GET, HEAD`.
Response method_not_allowed_response(ProblemWriter &w);

// A 503 with `Retry-After: 2` and the given detail.
Response unavailable_response(ProblemWriter &w, std::string_view detail = detail::kUnavailable);

// The CGI response head: Status line, Content-Type, Content-Length (of the body, also for
// HEAD), Cache-Control: no-store, the extra headers, then the blank line.
std::string response_head(const Response &r);

}  // namespace presence
