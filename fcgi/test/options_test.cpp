// Flags and their environment fallbacks.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "options.hpp"

namespace presence {
namespace {

struct Parsed {
    std::optional<Options> options;
    std::string error;
};

Parsed run(std::vector<const char *> args, std::map<std::string, std::string> env = {})
{
    args.insert(args.begin(), "presence-fcgi");
    Parsed r;
    r.options = parse_options(
        static_cast<int>(args.size()), args.data(),
        [&](const char *name) -> const char * {
            auto it = env.find(name);
            return it == env.end() ? nullptr : it->second.c_str();
        },
        r.error);
    return r;
}

TEST(Options, FlagsWithSeparateOrJoinedValues)
{
    Parsed r = run({"--socket", "/run/p.sock", "--threads=4", "--conninfo", "dbname=x"});
    ASSERT_TRUE(r.options) << r.error;
    EXPECT_EQ(r.options->socket_path, "/run/p.sock");
    EXPECT_EQ(r.options->threads, 4);
    EXPECT_EQ(r.options->conninfo, "dbname=x");
}

TEST(Options, DefaultsAndEnvironment)
{
    Parsed r = run({}, {{"PRESENCE_FCGI_SOCKET", "/tmp/s"}});
    ASSERT_TRUE(r.options) << r.error;
    EXPECT_EQ(r.options->socket_path, "/tmp/s");
    EXPECT_EQ(r.options->threads, 8);
    EXPECT_TRUE(r.options->conninfo.empty());

    Parsed e = run({}, {{"PRESENCE_FCGI_SOCKET", "/tmp/s"},
                     {"PRESENCE_FCGI_THREADS", "3"},
                     {"PRESENCE_DB_CONNINFO", "host=db"}});
    ASSERT_TRUE(e.options) << e.error;
    EXPECT_EQ(e.options->threads, 3);
    EXPECT_EQ(e.options->conninfo, "host=db");
}

TEST(Options, FlagsWinOverEnvironment)
{
    Parsed r = run({"--socket", "/a", "--threads", "2"},
                {{"PRESENCE_FCGI_SOCKET", "/b"}, {"PRESENCE_FCGI_THREADS", "9"}});
    ASSERT_TRUE(r.options) << r.error;
    EXPECT_EQ(r.options->socket_path, "/a");
    EXPECT_EQ(r.options->threads, 2);
}

TEST(Options, SocketIsRequired)
{
    Parsed r = run({"--threads", "2"});
    EXPECT_FALSE(r.options);
    EXPECT_NE(r.error.find("socket"), std::string::npos);
}

TEST(Options, BadThreadCountsAreRefused)
{
    for (const char *n : {"0", "257", "-1", "4x", "", "99999"}) {
        Parsed r = run({"--socket", "/s", "--threads", n});
        EXPECT_FALSE(r.options) << n;
    }
    EXPECT_TRUE(run({"--socket", "/s", "--threads", "256"}).options);
}

TEST(Options, DeadlineDefaultsFlagAndEnvironment)
{
    EXPECT_EQ(run({"--socket", "/s"}).options->deadline_ms, 2000);
    EXPECT_EQ(run({"--socket", "/s", "--deadline-ms=250"}).options->deadline_ms, 250);
    Parsed e = run({"--socket", "/s"}, {{"PRESENCE_FCGI_DEADLINE_MS", "900"}});
    ASSERT_TRUE(e.options) << e.error;
    EXPECT_EQ(e.options->deadline_ms, 900);
    for (const char *n : {"0", "60001", "1.5", "-3", ""}) {
        Parsed r = run({"--socket", "/s", "--deadline-ms", n});
        EXPECT_FALSE(r.options) << n;
        EXPECT_NE(r.error.find("deadline"), std::string::npos) << n;
    }
}

TEST(Options, UnknownFlagAndMissingValueAreRefused)
{
    EXPECT_FALSE(run({"--socket", "/s", "--verbose"}).options);
    EXPECT_FALSE(run({"--socket"}).options);
}

TEST(Options, HelpNeedsNothingElse)
{
    Parsed r = run({"--help"});
    ASSERT_TRUE(r.options);
    EXPECT_TRUE(r.options->help);
}

}  // namespace
}  // namespace presence
