#include "log.hpp"

#include <cerrno>
#include <cstdio>
#include <ctime>
#include <unistd.h>

namespace presence {

namespace {

// True for bytes that may stand unquoted in a field value.
bool is_bare(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == ':' || c == '-' || c == '/' || c == '@' || c == ',';
}

// The current time as 2026-04-17T10:23:41.123Z.
std::string utc_timestamp()
{
    struct timespec ts {};
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm {};
    gmtime_r(&ts.tv_sec, &tm);
    char buf[40];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03ldZ", ts.tv_nsec / 1000000L);
    return buf;
}

}  // namespace

std::string log_value(std::string_view value)
{
    bool cut = value.size() > kMaxLogValueBytes;
    if (cut) {
        value = value.substr(0, kMaxLogValueBytes);
    }

    bool bare = !value.empty() && !cut;
    for (unsigned char c : value) {
        if (!is_bare(c)) {
            bare = false;
            break;
        }
    }
    if (bare) {
        return std::string(value);
    }

    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(value.size() + 8);
    out += '"';
    for (unsigned char c : value) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
    if (cut) {
        out += "...";
    }
    out += '"';
    return out;
}

LogLine::LogLine(std::string_view level, std::string_view event)
{
    text_.reserve(256);
    text_ += "level=";
    text_ += level;
    text_ += " event=";
    text_ += event;
}

LogLine &LogLine::field(std::string_view key, std::string_view value)
{
    text_ += ' ';
    text_ += key;
    text_ += '=';
    text_ += log_value(value);
    return *this;
}

LogLine &LogLine::field(std::string_view key, long long value)
{
    text_ += ' ';
    text_ += key;
    text_ += '=';
    text_ += std::to_string(value);
    return *this;
}

void LogLine::emit() const
{
    std::string line = utc_timestamp();
    line += ' ';
    line += text_;
    line += '\n';

    int saved = errno;
    const char *p = line.data();
    std::size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;  // nowhere to log to; the program goes on
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
    errno = saved;
}

}  // namespace presence
