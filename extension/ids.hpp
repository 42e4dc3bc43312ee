// Validation rules shared by every entry point: ids, statuses, tokens. Plain C++, no
// PostgreSQL headers, so the unit tests and fuzzers call it without a server.
#ifndef PRESENCE_IDS_HPP
#define PRESENCE_IDS_HPP

#include <cstddef>

namespace presence {

constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxDetailsBytes = 8192;

// Token: "prs_" then 43 characters of base64url, the encoding of 32 random bytes.
constexpr char kTokenPrefix[] = "prs_";
constexpr std::size_t kTokenRandomBytes = 32;
constexpr std::size_t kTokenLength = 4 + 43;

enum class Status { online, busy, blocked, offline };

// True when s[0..n) is 1 to 128 characters of A-Z a-z 0-9 . _ : -
bool is_valid_id(const char *s, std::size_t n);

// Sets *out and returns true when s[0..n) is exactly one of the four status names.
bool parse_status(const char *s, std::size_t n, Status *out);

const char *status_name(Status status);

// True when s[0..n) has the exact shape of a token this extension issues.
bool is_token_shaped(const char *s, std::size_t n);

// Writes the base64url encoding (no padding) of in[0..n) to out, which must hold
// 4 * ceil(n / 3) bytes; returns the number of bytes written.
std::size_t base64url_encode(const unsigned char *in, std::size_t n, char *out);

}  // namespace presence

#endif
