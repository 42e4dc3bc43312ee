// The roster body writer: compact JSON straight into a caller's buffer. Plain C++ with no
// PostgreSQL headers; a Sink is any type with append(const char *, size_t) and push(char).
// The writer holds no resources, so it is safe to abandon at any point (an error that
// leaves the caller by longjmp loses nothing).
#ifndef PRESENCE_JSON_OUT_HPP
#define PRESENCE_JSON_OUT_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace presence {

// Length of "2026-04-17T10:23:41.000000Z".
constexpr std::size_t kTimestampLength = 27;

// Writes t, microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's epoch), as RFC 3339
// in UTC with six fractional digits and a final Z into out[0..27). Years outside
// 0000..9999 are clamped to that range's ends.
void format_timestamp(std::int64_t t, char *out);

// Decodes one UTF-8 sequence at s[0..n). Returns its length (1 to 4) and sets *cp, or
// returns 0 when the bytes there are not well-formed UTF-8 (overlong forms, surrogates,
// values above U+10FFFF and truncated sequences are all rejected).
std::size_t utf8_decode(const unsigned char *s, std::size_t n, std::uint32_t *cp);

// Appends s[0..n) as a JSON string with its quotes. Control characters, quote and
// backslash are escaped; bytes that are not well-formed UTF-8 become U+FFFD, so the
// output is valid JSON and valid UTF-8 whatever the input.
template <class Sink>
void append_json_string(Sink &out, const char *s, std::size_t n)
{
    static const char kHex[] = "0123456789abcdef";
    const unsigned char *p = reinterpret_cast<const unsigned char *>(s);
    std::size_t run = 0;

    out.push('"');
    for (std::size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            run++;
            continue;
        }
        if (run > 0) {
            out.append(s + i - run, run);
            run = 0;
        }
        if (c >= 0x80) {
            std::uint32_t cp;
            std::size_t len = utf8_decode(p + i, n - i, &cp);
            if (len == 0) {
                out.append("\\ufffd", 6);
                i++;
            } else {
                out.append(s + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"':
            out.append("\\\"", 2);
            break;
        case '\\':
            out.append("\\\\", 2);
            break;
        case '\n':
            out.append("\\n", 2);
            break;
        case '\r':
            out.append("\\r", 2);
            break;
        case '\t':
            out.append("\\t", 2);
            break;
        case '\b':
            out.append("\\b", 2);
            break;
        case '\f':
            out.append("\\f", 2);
            break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
            out.append(esc, 6);
        }
        }
        i++;
    }
    if (run > 0)
        out.append(s + n - run, run);
    out.push('"');
}

// Emits compact JSON token by token, placing commas and colons itself. It keeps no stack:
// a comma is due exactly when the previous token was a value or a container's end, and
// a key is always followed by its value.
template <class Sink>
class JsonWriter {
public:
    explicit JsonWriter(Sink &out) : out_(out) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    void key(const char *s, std::size_t n)
    {
        separate();
        append_json_string(out_, s, n);
        out_.push(':');
        comma_due_ = false;
    }

    void string(const char *s, std::size_t n)
    {
        separate();
        append_json_string(out_, s, n);
        comma_due_ = true;
    }

    // A value that is already valid JSON text: a number, true, false, null, or a
    // compact document made by this writer.
    void raw(const char *s, std::size_t n)
    {
        separate();
        out_.append(s, n);
        comma_due_ = true;
    }

    void boolean(bool v) { v ? raw("true", 4) : raw("false", 5); }
    void null() { raw("null", 4); }

private:
    void separate()
    {
        if (comma_due_)
            out_.push(',');
    }

    void open(char c)
    {
        separate();
        out_.push(c);
        comma_due_ = false;
    }

    void close(char c)
    {
        out_.push(c);
        comma_due_ = true;
    }

    Sink &out_;
    bool comma_due_ = false;
};

// One agent row of the roster, borrowed from the caller's storage. details_json, when
// not null, is a compact JSON object made by JsonWriter.
struct RosterRow {
    const char *agent_id;
    std::size_t agent_id_len;
    const char *crew_id;  // null when the agent has no crew
    std::size_t crew_id_len;
    const char *status;
    std::size_t status_len;
    std::int64_t since;  // PostgreSQL timestamptz: microseconds since 2000-01-01 UTC
    const char *details_json;  // null when the agent has no details
    std::size_t details_json_len;
};

// Writes the roster body {"rows":[...],"count":N} row by row: begin(), row() for each
// row in order, end(). The contract's keys and omissions live here and only here.
template <class Sink>
class RosterBody {
public:
    explicit RosterBody(Sink &out) : out_(out) {}

    void begin()
    {
        out_.append("{\"rows\":[", 9);
    }

    void row(const RosterRow &r)
    {
        char ts[kTimestampLength];

        if (count_ > 0)
            out_.push(',');
        JsonWriter<Sink> json(out_);
        json.begin_object();
        json.key("agent_id", 8);
        json.string(r.agent_id, r.agent_id_len);
        if (r.crew_id != nullptr) {
            json.key("crew_id", 7);
            json.string(r.crew_id, r.crew_id_len);
        }
        json.key("status", 6);
        json.string(r.status, r.status_len);
        json.key("since", 5);
        format_timestamp(r.since, ts);
        json.string(ts, kTimestampLength);
        if (r.details_json != nullptr) {
            json.key("details", 7);
            json.raw(r.details_json, r.details_json_len);
        }
        json.end_object();
        count_++;
    }

    void end()
    {
        char digits[24];
        std::size_t n = format_count(count_, digits);

        out_.append("],\"count\":", 10);
        out_.append(digits, n);
        out_.push('}');
    }

    std::uint64_t count() const { return count_; }

private:
    static std::size_t format_count(std::uint64_t v, char *buf)
    {
        char tmp[24];
        std::size_t n = 0;
        do {
            tmp[n++] = char('0' + v % 10);
            v /= 10;
        } while (v != 0);
        for (std::size_t i = 0; i < n; i++)
            buf[i] = tmp[n - 1 - i];
        return n;
    }

    Sink &out_;
    std::uint64_t count_ = 0;
};

}  // namespace presence

#endif
