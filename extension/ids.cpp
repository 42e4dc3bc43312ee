#include "ids.hpp"

#include <cstring>

namespace presence {

namespace {

bool is_id_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-';
}

bool is_base64url_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

const char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

bool is_valid_id(const char *s, std::size_t n)
{
    if (n == 0 || n > kMaxIdLength)
        return false;
    for (std::size_t i = 0; i < n; i++)
        if (!is_id_char(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

bool parse_status(const char *s, std::size_t n, Status *out)
{
    static const struct {
        const char *name;
        Status status;
    } kNames[] = {{"online", Status::online},
                  {"busy", Status::busy},
                  {"blocked", Status::blocked},
                  {"offline", Status::offline}};

    for (const auto &entry : kNames) {
        if (std::strlen(entry.name) == n && std::memcmp(entry.name, s, n) == 0) {
            *out = entry.status;
            return true;
        }
    }
    return false;
}

const char *status_name(Status status)
{
    switch (status) {
    case Status::online:
        return "online";
    case Status::busy:
        return "busy";
    case Status::blocked:
        return "blocked";
    case Status::offline:
        return "offline";
    }
    return "offline";
}

bool is_token_shaped(const char *s, std::size_t n)
{
    const std::size_t prefix = sizeof(kTokenPrefix) - 1;

    if (n != kTokenLength || std::memcmp(s, kTokenPrefix, prefix) != 0)
        return false;
    for (std::size_t i = prefix; i < n; i++)
        if (!is_base64url_char(static_cast<unsigned char>(s[i])))
            return false;
    return true;
}

std::size_t base64url_encode(const unsigned char *in, std::size_t n, char *out)
{
    std::size_t o = 0;
    std::size_t i = 0;

    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned(in[i]) << 16) | (unsigned(in[i + 1]) << 8) | in[i + 2];
        out[o++] = kBase64Url[(v >> 18) & 63];
        out[o++] = kBase64Url[(v >> 12) & 63];
        out[o++] = kBase64Url[(v >> 6) & 63];
        out[o++] = kBase64Url[v & 63];
    }
    if (n - i == 1) {
        unsigned v = unsigned(in[i]) << 16;
        out[o++] = kBase64Url[(v >> 18) & 63];
        out[o++] = kBase64Url[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned(in[i]) << 16) | (unsigned(in[i + 1]) << 8);
        out[o++] = kBase64Url[(v >> 18) & 63];
        out[o++] = kBase64Url[(v >> 12) & 63];
        out[o++] = kBase64Url[(v >> 6) & 63];
    }
    return o;
}

}  // namespace presence
