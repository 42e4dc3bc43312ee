// Log field values: one line, no injected fields, bounded.
#include <gtest/gtest.h>

#include <string>

#include "log.hpp"

namespace presence {
namespace {

TEST(LogValue, PlainValuesStayBare)
{
    EXPECT_EQ(log_value("GET"), "GET");
    EXPECT_EQ(log_value("/api/v1/presence/roster"), "/api/v1/presence/roster");
    EXPECT_EQ(log_value("PR404"), "PR404");
}

TEST(LogValue, SpacesAndQuotesAreQuotedAndEscaped)
{
    EXPECT_EQ(log_value("a b"), "\"a b\"");
    EXPECT_EQ(log_value("say \"x\" \\"), "\"say \\\"x\\\" \\\\\"");
    EXPECT_EQ(log_value(""), "\"\"");
    EXPECT_EQ(log_value("a=b"), "\"a=b\"");
}

TEST(LogValue, ControlAndHighBytesCannotBreakTheLine)
{
    std::string v = log_value("x\nlevel=info event=forged\r\x01\xff");
    EXPECT_EQ(v, "\"x\\x0alevel=info event=forged\\x0d\\x01\\xff\"");
    EXPECT_EQ(v.find('\n'), std::string::npos);
}

TEST(LogValue, LongValuesAreCut)
{
    std::string v = log_value(std::string(5000, 'a'));
    EXPECT_EQ(v, "\"" + std::string(kMaxLogValueBytes, 'a') + "...\"");
}

TEST(LogLine, FieldsFollowLevelAndEvent)
{
    LogLine line("info", "request");
    line.field("status", 404).field("path", "/x y");
    EXPECT_EQ(line.text(), "level=info event=request status=404 path=\"/x y\"");
}

}  // namespace
}  // namespace presence
