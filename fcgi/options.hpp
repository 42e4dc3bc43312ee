// Command-line flags and environment of presence-fcgi.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace presence {

inline constexpr int kDefaultThreads = 8;
inline constexpr int kMaxThreads = 256;
inline constexpr int kDefaultDeadlineMs = 2000;
inline constexpr int kMaxDeadlineMs = 60000;

struct Options {
    std::string socket_path;
    int threads = kDefaultThreads;
    std::string conninfo;  // empty: libpq's own environment variables decide
    int deadline_ms = kDefaultDeadlineMs;  // statement_timeout of every database call
    bool help = false;
};

// Reads the flags (--socket PATH, --threads N, --conninfo STR, --deadline-ms N, --help;
// `--flag=value` too), falling back to PRESENCE_FCGI_SOCKET, PRESENCE_FCGI_THREADS,
// PRESENCE_DB_CONNINFO and PRESENCE_FCGI_DEADLINE_MS through `getenv`. Returns nullopt and
// sets `error` on a bad flag or value, or when no socket path is given at all (unless
// --help).
std::optional<Options> parse_options(int argc, const char *const *argv,
                                     const std::function<const char *(const char *)> &getenv,
                                     std::string &error);

// The usage text printed for --help and after a usage error.
const char *usage_text();

}  // namespace presence
