#include "options.hpp"

#include <cstring>
#include <string_view>

namespace presence {

namespace {

// Parses a whole number of lo..hi written in plain decimal digits.
std::optional<int> parse_bounded(std::string_view s, int lo, int hi)
{
    if (s.empty() || s.size() > 6) {
        return std::nullopt;
    }
    int n = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        n = n * 10 + (c - '0');
    }
    if (n < lo || n > hi) {
        return std::nullopt;
    }
    return n;
}

}  // namespace

const char *usage_text()
{
    return "usage: presence-fcgi --socket PATH [--threads N] [--conninfo STR] [--deadline-ms N]\n"
           "  --socket PATH    unix socket to create (env PRESENCE_FCGI_SOCKET)\n"
           "  --threads N      worker threads, 1 to 256, default 8 (env PRESENCE_FCGI_THREADS)\n"
           "  --conninfo STR   libpq connection string (env PRESENCE_DB_CONNINFO);\n"
           "                   PGHOST, PGPORT, PGDATABASE, PGUSER... apply as usual\n"
           "  --deadline-ms N  longest a database call may take, 1 to 60000, default 2000;\n"
           "                   past it the client gets 503 (env PRESENCE_FCGI_DEADLINE_MS)\n";
}

std::optional<Options> parse_options(int argc, const char *const *argv,
                                     const std::function<const char *(const char *)> &getenv,
                                     std::string &error)
{
    Options o;
    std::optional<std::string> socket, threads, conninfo, deadline;

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            o.help = true;
            return o;
        }

        std::string_view name = arg;
        std::optional<std::string> value;
        std::size_t eq = arg.find('=');
        if (arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
            name = arg.substr(0, eq);
            value = std::string(arg.substr(eq + 1));
        }

        std::optional<std::string> *slot = nullptr;
        if (name == "--socket") {
            slot = &socket;
        } else if (name == "--threads") {
            slot = &threads;
        } else if (name == "--conninfo") {
            slot = &conninfo;
        } else if (name == "--deadline-ms") {
            slot = &deadline;
        } else {
            error = "unknown argument: " + std::string(arg);
            return std::nullopt;
        }

        if (!value) {
            if (i + 1 >= argc) {
                error = std::string(name) + " needs a value";
                return std::nullopt;
            }
            value = argv[++i];
        }
        *slot = *value;
    }

    auto from_env = [&](std::optional<std::string> &slot, const char *var) {
        if (!slot) {
            if (const char *v = getenv(var); v != nullptr && *v != '\0') {
                slot = v;
            }
        }
    };
    from_env(socket, "PRESENCE_FCGI_SOCKET");
    from_env(threads, "PRESENCE_FCGI_THREADS");
    from_env(conninfo, "PRESENCE_DB_CONNINFO");
    from_env(deadline, "PRESENCE_FCGI_DEADLINE_MS");

    if (!socket || socket->empty()) {
        error = "no socket path: give --socket PATH or set PRESENCE_FCGI_SOCKET";
        return std::nullopt;
    }
    o.socket_path = *socket;

    if (threads) {
        std::optional<int> n = parse_bounded(*threads, 1, kMaxThreads);
        if (!n) {
            error = "--threads must be a whole number from 1 to 256, not '" + *threads + "'";
            return std::nullopt;
        }
        o.threads = *n;
    }
    if (deadline) {
        std::optional<int> n = parse_bounded(*deadline, 1, kMaxDeadlineMs);
        if (!n) {
            error = "--deadline-ms must be a whole number from 1 to 60000, not '" + *deadline +
                    "'";
            return std::nullopt;
        }
        o.deadline_ms = *n;
    }
    o.conninfo = conninfo.value_or("");
    return o;
}

}  // namespace presence
