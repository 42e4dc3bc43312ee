// Request parsing for the roster endpoint: plain C++, no libfcgi or libpq, so the unit tests
// can call every rule directly.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "ids.hpp"  // the id rule, shared with the extension (extension/ids.hpp)

namespace presence {

inline constexpr std::string_view kRosterPath = "/api/v1/presence/roster";
inline constexpr std::size_t kMaxIdChars = kMaxIdLength;  // the extension's own rule
inline constexpr std::size_t kMaxTokenChars = 256;
// Past nginx's request line limit (8 KiB by default): in practice unknown parameters of any
// length nginx lets through are ignored, as the contract says.
inline constexpr std::size_t kMaxQueryBytes = 16384;

// The fixed texts a malformed request is answered with. They name the rule that failed and
// never echo what the client sent.
namespace malformed {
inline constexpr const char *kQueryTooLong = "the query string is longer than 16384 bytes";
inline constexpr const char *kBadEscape = "the query string has a bad percent-encoding";
inline constexpr const char *kNul = "the query string contains a NUL byte";
inline constexpr const char *kBadUtf8 = "the query string is not valid UTF-8";
inline constexpr const char *kCrewRepeated = "crew_id is given more than once";
inline constexpr const char *kCrewInvalid =
    "crew_id must be 1 to 128 characters from A-Z a-z 0-9 . _ : -";
inline constexpr const char *kWorkspaceInvalid =
    "X-Workspace-Id must be 1 to 128 characters from A-Z a-z 0-9 . _ : -";
inline constexpr const char *kWorkspaceRepeated = "X-Workspace-Id is given more than once";
}  // namespace malformed

// What the program needs from one FastCGI request, copied out of its environment (the
// libfcgi pointers die with the request).
struct RequestParams {
    std::string method;
    std::string path;  // REQUEST_URI up to the first '?', or DOCUMENT_URI without it
    std::string query;
    std::optional<std::string> authorization;
    std::optional<std::string> workspace;
    int authorization_count = 0;
    int workspace_count = 0;
    std::string request_id;
};

// Copies the parameters the program uses out of a NULL-terminated "NAME=value" array. A
// parameter given twice keeps its first value and counts both.
RequestParams collect_params(const char *const *envp);

// True when `id` is 1..128 characters from A-Z a-z 0-9 . _ : - (the contract's id rule).
bool is_valid_id(std::string_view id);

// True when `bytes` is well-formed UTF-8: no overlong forms, no surrogates, nothing above
// U+10FFFF, no stray continuation bytes.
bool is_valid_utf8(std::string_view bytes);

enum class DecodeError { kNone, kBadEscape, kNul, kBadUtf8 };

// Percent-decodes `in` into `out`. `+` stays a literal plus. Fails on a '%' not followed by two
// hex digits, on a decoded NUL and on a result that is not UTF-8; `out` is then unspecified.
DecodeError percent_decode(std::string_view in, std::string &out);

// The outcome of reading the query string: the crew filter (absent when not given or given
// empty) or, for a malformed query, the fixed text saying why.
struct QueryResult {
    std::optional<std::string> crew_id;
    std::optional<std::string> malformed;
};

// Reads a raw QUERY_STRING. Every `name=value` pair is decoded and checked, also those this
// endpoint does not know (they are then ignored); the first problem found is reported.
QueryResult parse_query(std::string_view query);

// Checks the X-Workspace-Id header: nullopt when it is absent or valid, else the fixed text.
std::optional<std::string> check_workspace(const std::optional<std::string> &header,
                                           int count);

enum class AuthKind {
    kMissing,  // no bearer token at all: no header, another scheme, or `Bearer` alone
    kInvalid,  // something in a bearer token's place that is not a well-formed token
    kBearer,   // a well-formed bearer token, still to be checked by the database
};

struct Credentials {
    AuthKind kind = AuthKind::kMissing;
    std::string token;  // set only for kBearer
};

// Reads the Authorization header: scheme `Bearer` in any case, one or more spaces, then a
// token of 1..256 characters from A-Z a-z 0-9 - _. Surrounding spaces and tabs are ignored.
// Another scheme (Basic...), an empty header or `Bearer` with nothing after it carry no
// bearer token (RFC 6750 3.1: the answer names no error). A header given more than once is
// invalid.
Credentials parse_authorization(const std::optional<std::string> &header, int count);

}  // namespace presence
