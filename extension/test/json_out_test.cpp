#include "json_out.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

struct StringSink {
    std::string s;
    void append(const char *p, std::size_t n) { s.append(p, n); }
    void push(char c) { s.push_back(c); }
};

std::string ts(std::int64_t t)
{
    char out[presence::kTimestampLength];
    presence::format_timestamp(t, out);
    return std::string(out, sizeof(out));
}

std::string quoted(const std::string &in)
{
    StringSink sink;
    presence::append_json_string(sink, in.data(), in.size());
    return sink.s;
}

constexpr std::int64_t kSec = 1000000;

}  // namespace

TEST(Timestamp, PostgresEpochIsMidnight2000)
{
    EXPECT_EQ(ts(0), "2000-01-01T00:00:00.000000Z");
}

TEST(Timestamp, ContractExample)
{
    // 2026-04-17T10:23:41Z is 829736621 s after 2000-01-01.
    EXPECT_EQ(ts(829736621 * kSec), "2026-04-17T10:23:41.000000Z");
    EXPECT_EQ(ts(829736621 * kSec + 7), "2026-04-17T10:23:41.000007Z");
}

TEST(Timestamp, LeapDayAndYearEnds)
{
    // 2024-02-29T23:59:59.999999Z
    EXPECT_EQ(ts(762566399 * kSec + 999999), "2024-02-29T23:59:59.999999Z");
    EXPECT_EQ(ts(-1), "1999-12-31T23:59:59.999999Z");
    EXPECT_EQ(ts(-946684800 * kSec), "1970-01-01T00:00:00.000000Z");
}

TEST(Timestamp, ClampsOutOfRange)
{
    EXPECT_EQ(ts(INT64_MAX), "9999-12-31T23:59:59.999999Z");
    EXPECT_EQ(ts(INT64_MIN), "0000-01-01T00:00:00.000000Z");
}

TEST(JsonString, EscapesQuotesBackslashesAndControls)
{
    EXPECT_EQ(quoted("plain"), "\"plain\"");
    EXPECT_EQ(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(quoted("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    EXPECT_EQ(quoted(std::string("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
    EXPECT_EQ(quoted(std::string("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonString, KeepsValidUtf8AndReplacesInvalid)
{
    EXPECT_EQ(quoted("caf\xc3\xa9 \xf0\x9f\xa4\x96"), "\"caf\xc3\xa9 \xf0\x9f\xa4\x96\"");
    EXPECT_EQ(quoted("\xff"), "\"\\ufffd\"");
    EXPECT_EQ(quoted("\xc0\xaf"), "\"\\ufffd\\ufffd\"");        // overlong '/'
    EXPECT_EQ(quoted("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");  // a surrogate
    EXPECT_EQ(quoted("\xe2\x82"), "\"\\ufffd\\ufffd\"");        // truncated
}

TEST(JsonWriter, PlacesCommasAndColons)
{
    StringSink sink;
    presence::JsonWriter<StringSink> w(sink);
    w.begin_object();
    w.key("a", 1);
    w.begin_array();
    w.raw("1", 1);
    w.string("x", 1);
    w.begin_object();
    w.end_object();
    w.null();
    w.end_array();
    w.key("b", 1);
    w.boolean(true);
    w.end_object();
    EXPECT_EQ(sink.s, "{\"a\":[1,\"x\",{},null],\"b\":true}");
}

TEST(RosterBody, EmptyRoster)
{
    StringSink sink;
    presence::RosterBody<StringSink> body(sink);
    body.begin();
    body.end();
    EXPECT_EQ(sink.s, "{\"rows\":[],\"count\":0}");
}

TEST(RosterBody, ContractShapeWithOmissions)
{
    StringSink sink;
    presence::RosterBody<StringSink> body(sink);
    const std::string details = "{\"current_task_id\":\"T-42\"}";

    presence::RosterRow full{};
    full.agent_id = "agt_viktor";
    full.agent_id_len = 10;
    full.crew_id = "crw_backend";
    full.crew_id_len = 11;
    full.status = "busy";
    full.status_len = 4;
    full.since = 829736621 * kSec;
    full.details_json = details.data();
    full.details_json_len = details.size();

    presence::RosterRow bare{};
    bare.agent_id = "agt_z";
    bare.agent_id_len = 5;
    bare.status = "online";
    bare.status_len = 6;
    bare.since = 0;

    body.begin();
    body.row(full);
    body.row(bare);
    body.end();
    EXPECT_EQ(sink.s,
              "{\"rows\":[{\"agent_id\":\"agt_viktor\",\"crew_id\":\"crw_backend\","
              "\"status\":\"busy\",\"since\":\"2026-04-17T10:23:41.000000Z\","
              "\"details\":{\"current_task_id\":\"T-42\"}},"
              "{\"agent_id\":\"agt_z\",\"status\":\"online\","
              "\"since\":\"2000-01-01T00:00:00.000000Z\"}],\"count\":2}");
    EXPECT_EQ(body.count(), 2u);
}
