// The Authorization header rules.
#include <gtest/gtest.h>

#include <string>

#include "request.hpp"
#include "support.hpp"

namespace presence {
namespace {

using test::kGoodToken;

Credentials parse(const std::string &header)
{
    return parse_authorization(header, 1);
}

TEST(Authorization, NoHeaderIsMissing)
{
    EXPECT_EQ(parse_authorization(std::nullopt, 0).kind, AuthKind::kMissing);
}

TEST(Authorization, BearerTokenIsAccepted)
{
    Credentials c = parse(std::string("Bearer ") + kGoodToken);
    ASSERT_EQ(c.kind, AuthKind::kBearer);
    EXPECT_EQ(c.token, kGoodToken);
}

TEST(Authorization, SchemeIsCaseInsensitive)
{
    for (const char *scheme : {"bearer", "BEARER", "bEaReR"}) {
        Credentials c = parse(std::string(scheme) + " " + kGoodToken);
        ASSERT_EQ(c.kind, AuthKind::kBearer) << scheme;
        EXPECT_EQ(c.token, kGoodToken);
    }
}

TEST(Authorization, SeveralSpacesAfterTheSchemeAreAccepted)
{
    Credentials c = parse(std::string("Bearer    ") + kGoodToken);
    ASSERT_EQ(c.kind, AuthKind::kBearer);
    EXPECT_EQ(c.token, kGoodToken);
}

TEST(Authorization, SurroundingWhitespaceIsIgnored)
{
    Credentials c = parse(std::string(" \tBearer ") + kGoodToken + " \t");
    ASSERT_EQ(c.kind, AuthKind::kBearer);
    EXPECT_EQ(c.token, kGoodToken);
}

TEST(Authorization, OtherSchemesCarryNoBearerToken)
{
    EXPECT_EQ(parse("Basic dXNlcjpwYXNz").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("Token abc").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("Digest username=x").kind, AuthKind::kMissing);
}

TEST(Authorization, AGarbledBearerSchemeIsInvalid)
{
    EXPECT_EQ(parse("Bearerx abc").kind, AuthKind::kInvalid);
}

TEST(Authorization, EmptyHeaderCarriesNoToken)
{
    EXPECT_EQ(parse("").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("   ").kind, AuthKind::kMissing);
}

TEST(Authorization, BearerWithoutTokenCarriesNoToken)
{
    EXPECT_EQ(parse("Bearer").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("Bearer ").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("Bearer     ").kind, AuthKind::kMissing);
    EXPECT_EQ(parse("bearer").kind, AuthKind::kMissing);
}

TEST(Authorization, TabInsteadOfSpaceIsInvalid)
{
    EXPECT_EQ(parse(std::string("Bearer\t") + kGoodToken).kind, AuthKind::kInvalid);
}

TEST(Authorization, TokenOutsideTheAlphabetIsInvalid)
{
    EXPECT_EQ(parse("Bearer prs_abc=").kind, AuthKind::kInvalid);
    EXPECT_EQ(parse("Bearer prs_a+b/c").kind, AuthKind::kInvalid);
    EXPECT_EQ(parse("Bearer prs_abc def").kind, AuthKind::kInvalid);
    EXPECT_EQ(parse("Bearer prs_abc'--").kind, AuthKind::kInvalid);
    EXPECT_EQ(parse("Bearer prs_%41").kind, AuthKind::kInvalid);
    EXPECT_EQ(parse("Bearer prs_\xc3\xa9").kind, AuthKind::kInvalid);
}

TEST(Authorization, TokenLengthLimitIs256)
{
    std::string t256(256, 'A');
    Credentials ok = parse("Bearer " + t256);
    ASSERT_EQ(ok.kind, AuthKind::kBearer);
    EXPECT_EQ(ok.token, t256);
    EXPECT_EQ(parse("Bearer " + std::string(257, 'A')).kind, AuthKind::kInvalid);
}

TEST(Authorization, FourKilobyteTokenIsInvalid)
{
    EXPECT_EQ(parse("Bearer " + std::string(4096, 'A')).kind, AuthKind::kInvalid);
}

TEST(Authorization, HeaderGivenTwiceIsInvalid)
{
    Credentials c = parse_authorization(std::string("Bearer ") + kGoodToken, 2);
    EXPECT_EQ(c.kind, AuthKind::kInvalid);
    EXPECT_TRUE(c.token.empty());
}

}  // namespace
}  // namespace presence
