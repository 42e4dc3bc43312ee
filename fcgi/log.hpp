// One-line logs on stderr: a UTC timestamp, then key=value fields.
#pragma once

#include <string>
#include <string_view>

namespace presence {

inline constexpr std::size_t kMaxLogValueBytes = 512;

// `value` as a log field value: bare when it is a non-empty run of safe printable ASCII,
// else double-quoted with `"` and `\` escaped and every other byte outside printable ASCII
// written as \xHH. Longer than kMaxLogValueBytes input is cut and marked with "...". The
// result never holds a newline, so a client cannot forge log lines.
std::string log_value(std::string_view value);

// Builds one log line. Nothing is written until emit().
class LogLine {
public:
    // Starts a line `level=LEVEL event=EVENT`.
    LogLine(std::string_view level, std::string_view event);

    // Appends ` key=value` (the key is trusted, the value goes through log_value).
    LogLine &field(std::string_view key, std::string_view value);
    LogLine &field(std::string_view key, long long value);

    // The line without timestamp and newline.
    const std::string &text() const { return text_; }

    // Writes "TIMESTAMP text\n" to stderr with a single write, so that lines of concurrent
    // threads do not interleave.
    void emit() const;

private:
    std::string text_;
};

}  // namespace presence
