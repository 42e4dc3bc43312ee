#include "ids.hpp"

#include <gtest/gtest.h>

#include <string>

using presence::is_token_shaped;
using presence::is_valid_id;
using presence::parse_status;
using presence::Status;

namespace {

bool valid(const std::string &s) { return is_valid_id(s.data(), s.size()); }

}  // namespace

TEST(Ids, AcceptsEveryAllowedCharacter)
{
    EXPECT_TRUE(valid("agt_viktor"));
    EXPECT_TRUE(valid("A-Z.a_z:0-9"));
    EXPECT_TRUE(valid("x"));
    EXPECT_TRUE(valid(std::string(128, 'a')));
}

TEST(Ids, RejectsEmptyAndTooLong)
{
    EXPECT_FALSE(valid(""));
    EXPECT_FALSE(valid(std::string(129, 'a')));
}

TEST(Ids, RejectsCharactersOutsideTheSet)
{
    for (const char *bad : {"a%b", "a\tb", "a--b;", "a,b", "a\"b", "a\\b", "<a>"})
        EXPECT_FALSE(valid(bad)) << bad;
    EXPECT_FALSE(valid("a b"));
    EXPECT_FALSE(valid("a'b"));
    EXPECT_FALSE(valid("a;b"));
    EXPECT_FALSE(valid("a/b"));
    EXPECT_FALSE(valid("\xc3\xa9"));
    EXPECT_FALSE(valid(std::string("a\0b", 3)));
}

TEST(Status, ParsesTheFourNamesExactly)
{
    Status s;
    ASSERT_TRUE(parse_status("online", 6, &s));
    EXPECT_EQ(s, Status::online);
    ASSERT_TRUE(parse_status("busy", 4, &s));
    EXPECT_EQ(s, Status::busy);
    ASSERT_TRUE(parse_status("blocked", 7, &s));
    EXPECT_EQ(s, Status::blocked);
    ASSERT_TRUE(parse_status("offline", 7, &s));
    EXPECT_EQ(s, Status::offline);
    EXPECT_STREQ(presence::status_name(Status::blocked), "blocked");
}

TEST(Status, RejectsOtherSpellings)
{
    Status s;
    EXPECT_FALSE(parse_status("Online", 6, &s));
    EXPECT_FALSE(parse_status("onlin", 5, &s));
    EXPECT_FALSE(parse_status("online ", 7, &s));
    EXPECT_FALSE(parse_status("", 0, &s));
}

TEST(Token, ShapeIsPrefixAnd43Base64UrlCharacters)
{
    std::string good = "prs_" + std::string(43, 'A');
    EXPECT_TRUE(is_token_shaped(good.data(), good.size()));
    std::string with_dash = "prs_" + std::string(42, 'z') + "-";
    EXPECT_TRUE(is_token_shaped(with_dash.data(), with_dash.size()));

    std::string short_one = "prs_" + std::string(42, 'A');
    EXPECT_FALSE(is_token_shaped(short_one.data(), short_one.size()));
    std::string wrong_prefix = "prx_" + std::string(43, 'A');
    EXPECT_FALSE(is_token_shaped(wrong_prefix.data(), wrong_prefix.size()));
    std::string padded = "prs_" + std::string(42, 'A') + "=";
    EXPECT_FALSE(is_token_shaped(padded.data(), padded.size()));
}

TEST(Base64Url, EncodesWithoutPadding)
{
    char out[64];
    const unsigned char f[] = {'f', 'o', 'o', 'b', 'a', 'r'};
    EXPECT_EQ(std::string(out, presence::base64url_encode(f, 6, out)), "Zm9vYmFy");
    EXPECT_EQ(std::string(out, presence::base64url_encode(f, 4, out)), "Zm9vYg");
    EXPECT_EQ(std::string(out, presence::base64url_encode(f, 5, out)), "Zm9vYmE");
    const unsigned char high[] = {0xfb, 0xff};
    EXPECT_EQ(std::string(out, presence::base64url_encode(high, 2, out)), "-_8");
    unsigned char random[32] = {};
    EXPECT_EQ(presence::base64url_encode(random, 32, out), 43u);
}
