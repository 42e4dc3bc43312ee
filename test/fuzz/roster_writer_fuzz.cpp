// libFuzzer harness over the roster body writer: whatever ids, statuses, times and details
// (any bytes, any nesting) it is given, the body must be valid UTF-8 and valid JSON with
// exactly the contract's shape, and text that was valid UTF-8 must come back unchanged.

#include "json_out.hpp"

#include <fuzzer/FuzzedDataProvider.h>
#include <json/json.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

struct StringSink {
    std::string s;
    void append(const char *p, std::size_t n) { s.append(p, n); }
    void push(char c) { s.push_back(c); }
};

[[noreturn]] void fail(const char *what, const std::string &body)
{
    std::fprintf(stderr, "roster_writer_fuzz: %s\nbody: %s\n", what, body.c_str());
    std::abort();
}

bool valid_utf8(const std::string &s)
{
    const auto *p = reinterpret_cast<const unsigned char *>(s.data());
    std::size_t i = 0;
    while (i < s.size()) {
        std::uint32_t cp;
        std::size_t n = presence::utf8_decode(p + i, s.size() - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void random_value(FuzzedDataProvider &in, presence::JsonWriter<StringSink> &json, int depth);

// Emits a random object; like jsonb, it never repeats a key.
void random_object(FuzzedDataProvider &in, presence::JsonWriter<StringSink> &json, int depth)
{
    std::set<std::string> keys;
    json.begin_object();
    int n = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < n; i++) {
        std::string k = in.ConsumeRandomLengthString(16);
        if (!keys.insert(k).second)
            continue;
        json.key(k.data(), k.size());
        random_value(in, json, depth);
    }
    json.end_object();
}

// Emits a random JSON value the way the extension walks a jsonb document.
void random_value(FuzzedDataProvider &in, presence::JsonWriter<StringSink> &json, int depth)
{
    switch (depth >= 6 ? in.ConsumeIntegralInRange(0, 3) : in.ConsumeIntegralInRange(0, 5)) {
    case 0:
        json.null();
        break;
    case 1:
        json.boolean(in.ConsumeBool());
        break;
    case 2: {
        std::string num = std::to_string(in.ConsumeIntegral<std::int32_t>());
        json.raw(num.data(), num.size());
        break;
    }
    case 3: {
        std::string s = in.ConsumeRandomLengthString(64);
        json.string(s.data(), s.size());
        break;
    }
    case 4: {
        json.begin_array();
        int n = in.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < n; i++)
            random_value(in, json, depth + 1);
        json.end_array();
        break;
    }
    default: {
        random_object(in, json, depth + 1);
    }
    }
}

bool timestamp_shaped(const std::string &t)
{
    static const char kShape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
    if (t.size() != sizeof(kShape) - 1)
        return false;
    for (std::size_t i = 0; i < t.size(); i++) {
        bool digit = t[i] >= '0' && t[i] <= '9';
        if (kShape[i] == 'd' ? !digit : t[i] != kShape[i])
            return false;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    StringSink body;
    presence::RosterBody<StringSink> roster(body);

    struct Input {
        std::string agent, crew, status;
        bool has_crew;
    };
    std::vector<Input> inputs;

    roster.begin();
    int rows = in.ConsumeIntegralInRange(0, 6);
    for (int r = 0; r < rows; r++) {
        Input row_in{in.ConsumeRandomLengthString(140), "", "", in.ConsumeBool()};
        if (row_in.has_crew)
            row_in.crew = in.ConsumeRandomLengthString(140);
        row_in.status = in.ConsumeRandomLengthString(12);
        std::int64_t since = in.ConsumeIntegral<std::int64_t>();

        StringSink details;
        bool has_details = in.ConsumeBool();
        if (has_details) {
            presence::JsonWriter<StringSink> json(details);
            random_object(in, json, 1);
        }

        presence::RosterRow row{};
        row.agent_id = row_in.agent.data();
        row.agent_id_len = row_in.agent.size();
        if (row_in.has_crew) {
            row.crew_id = row_in.crew.data();
            row.crew_id_len = row_in.crew.size();
        }
        row.status = row_in.status.data();
        row.status_len = row_in.status.size();
        row.since = since;
        if (has_details) {
            row.details_json = details.s.data();
            row.details_json_len = details.s.size();
        }
        roster.row(row);
        inputs.push_back(row_in);
    }
    roster.end();

    if (!valid_utf8(body.s))
        fail("body is not valid UTF-8", body.s);

    Json::CharReaderBuilder builder;
    Json::CharReaderBuilder::strictMode(&builder.settings_);
    builder.settings_["allowSpecialFloats"] = false;
    // Distinct keys that are not valid UTF-8 (possible only in a non-UTF-8 database) can
    // become equal once their bad bytes are replaced: RFC 8259 still calls that JSON.
    builder.settings_["rejectDupKeys"] = false;
    std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
    Json::Value root;
    std::string errors;
    if (!reader->parse(body.s.data(), body.s.data() + body.s.size(), &root, &errors))
        fail(("body is not valid JSON: " + errors).c_str(), body.s);

    if (!root.isObject() || root.size() != 2 || !root["rows"].isArray() ||
        !root["count"].isUInt64() || root["count"].asUInt64() != root["rows"].size() ||
        root["rows"].size() != inputs.size())
        fail("body does not have the shape {rows:[...],count:N}", body.s);

    for (Json::ArrayIndex i = 0; i < root["rows"].size(); i++) {
        const Json::Value &row = root["rows"][i];
        const Input &want = inputs[i];
        if (!row["agent_id"].isString() || !row["status"].isString() ||
            !timestamp_shaped(row["since"].asString()) ||
            row.isMember("crew_id") != want.has_crew)
            fail("a row lacks a key or has one it should not", body.s);
        if (valid_utf8(want.agent) && row["agent_id"].asString() != want.agent)
            fail("agent_id did not survive the round trip", body.s);
        if (want.has_crew && valid_utf8(want.crew) && row["crew_id"].asString() != want.crew)
            fail("crew_id did not survive the round trip", body.s);
        if (row.isMember("details") && !row["details"].isObject())
            fail("details is not an object", body.s);
    }
    return 0;
}
