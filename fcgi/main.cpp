// presence-fcgi: the FastCGI program behind nginx that serves the presence roster.
#include <cstdio>
#include <cstdlib>
#include <string>

#include <libpq-fe.h>

#include "options.hpp"
#include "server.hpp"

namespace {

// True when `conninfo` is empty or a connection string libpq can parse; else `error` says
// why (libpq's words, which never repeat a password).
bool conninfo_parses(const std::string &conninfo, std::string &error)
{
    if (conninfo.empty()) {
        return true;
    }
    char *message = nullptr;
    PQconninfoOption *parsed = PQconninfoParse(conninfo.c_str(), &message);
    if (parsed == nullptr) {
        error = message != nullptr ? message : "out of memory";
        while (!error.empty() && error.back() == '\n') {
            error.pop_back();
        }
        PQfreemem(message);
        return false;
    }
    PQconninfoFree(parsed);
    return true;
}

}  // namespace

// Exit status: 0 after a graceful stop or --help, 1 when the server cannot start, 2 for a
// usage error.
int main(int argc, char **argv)
{
    std::string error;
    auto options = presence::parse_options(
        argc, argv, [](const char *name) { return std::getenv(name); }, error);
    if (!options) {
        std::fprintf(stderr, "presence-fcgi: %s\n%s", error.c_str(), presence::usage_text());
        return 2;
    }
    if (options->help) {
        std::fputs(presence::usage_text(), stdout);
        return 0;
    }
    if (!conninfo_parses(options->conninfo, error)) {
        std::fprintf(stderr, "presence-fcgi: bad --conninfo: %s\n", error.c_str());
        return 2;
    }
    return presence::run_server(*options);
}
