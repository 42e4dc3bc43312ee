// The query string rules: decoding, crew_id, unknown parameters, limits.
#include <gtest/gtest.h>

#include <string>

#include "request.hpp"

namespace presence {
namespace {

// The malformed text for `query`, or "" when it parses.
std::string why(const std::string &query)
{
    return parse_query(query).malformed.value_or("");
}

TEST(QueryParsing, NoQueryMeansNoFilter)
{
    QueryResult r = parse_query("");
    EXPECT_FALSE(r.malformed);
    EXPECT_FALSE(r.crew_id);
}

TEST(QueryParsing, CrewIdIsTheFilter)
{
    QueryResult r = parse_query("crew_id=crw_backend");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(r.crew_id, std::optional<std::string>("crw_backend"));
}

TEST(QueryParsing, EveryAllowedIdCharacterPasses)
{
    QueryResult r = parse_query("crew_id=AZaz09._:-");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "AZaz09._:-");
}

TEST(QueryParsing, PercentEncodedCrewIdIsDecoded)
{
    QueryResult r = parse_query("crew_id=crw%5Fbackend%3a1");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "crw_backend:1");
}

TEST(QueryParsing, EncodedParameterNameIsDecodedToo)
{
    QueryResult r = parse_query("crew%5Fid=crw_a");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "crw_a");
}

TEST(QueryParsing, EmptyCrewIdMeansNoFilter)
{
    QueryResult r = parse_query("crew_id=");
    EXPECT_FALSE(r.malformed);
    EXPECT_FALSE(r.crew_id);
}

TEST(QueryParsing, CrewIdWithoutEqualsSignIsEmpty)
{
    QueryResult r = parse_query("crew_id");
    EXPECT_FALSE(r.malformed);
    EXPECT_FALSE(r.crew_id);
}

TEST(QueryParsing, UnknownParametersAreIgnored)
{
    QueryResult r = parse_query("foo=bar&crew_id=crw_a&limit=10&flag");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "crw_a");
}

TEST(QueryParsing, EmptyPairsAreSkipped)
{
    QueryResult r = parse_query("&&crew_id=crw_a&");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "crw_a");
}

TEST(QueryParsing, CrewIdTwiceIsMalformed)
{
    EXPECT_EQ(why("crew_id=a&crew_id=b"), malformed::kCrewRepeated);
    EXPECT_EQ(why("crew_id=a&crew_id=a"), malformed::kCrewRepeated);
    EXPECT_EQ(why("crew_id=&crew_id=b"), malformed::kCrewRepeated);
    EXPECT_EQ(why("crew_id=a&crew%5fid=b"), malformed::kCrewRepeated);
}

TEST(QueryParsing, EncodedNulIsMalformed)
{
    EXPECT_EQ(why("crew_id=a%00b"), malformed::kNul);
    EXPECT_EQ(why("other=%00"), malformed::kNul);
}

TEST(QueryParsing, BadEscapesAreMalformed)
{
    EXPECT_EQ(why("crew_id=%ZZ"), malformed::kBadEscape);
    EXPECT_EQ(why("crew_id=abc%"), malformed::kBadEscape);
    EXPECT_EQ(why("crew_id=abc%4"), malformed::kBadEscape);
    EXPECT_EQ(why("crew_id=%G0"), malformed::kBadEscape);
}

TEST(QueryParsing, BadEscapeInAnUnknownParameterIsMalformed)
{
    EXPECT_EQ(why("crew_id=crw_a&junk=%ZZ"), malformed::kBadEscape);
    EXPECT_EQ(why("%zz=1"), malformed::kBadEscape);
}

TEST(QueryParsing, InvalidUtf8IsMalformed)
{
    EXPECT_EQ(why("crew_id=%C0%AF"), malformed::kBadUtf8);      // overlong '/'
    EXPECT_EQ(why("crew_id=%FF"), malformed::kBadUtf8);         // never valid
    EXPECT_EQ(why("crew_id=%ED%A0%80"), malformed::kBadUtf8);   // surrogate U+D800
    EXPECT_EQ(why("crew_id=%E0%80%AF"), malformed::kBadUtf8);   // overlong, 3 bytes
    EXPECT_EQ(why("crew_id=%F4%90%80%80"), malformed::kBadUtf8);  // above U+10FFFF
    EXPECT_EQ(why("crew_id=%C3"), malformed::kBadUtf8);         // cut short
    EXPECT_EQ(why("x=%80"), malformed::kBadUtf8);               // stray continuation
}

TEST(QueryParsing, ValidUtf8OutsideTheIdAlphabetIsAnInvalidId)
{
    EXPECT_EQ(why("crew_id=%C3%A9"), malformed::kCrewInvalid);
    EXPECT_EQ(why("note=%C3%A9&crew_id=a"), "");
}

TEST(QueryParsing, IdLengthLimitIs128)
{
    std::string id128(128, 'a');
    QueryResult ok = parse_query("crew_id=" + id128);
    ASSERT_FALSE(ok.malformed);
    EXPECT_EQ(*ok.crew_id, id128);
    EXPECT_EQ(why("crew_id=" + std::string(129, 'a')), malformed::kCrewInvalid);
}

TEST(QueryParsing, SqlLookingCharactersAreInvalid)
{
    EXPECT_EQ(why("crew_id=a'b"), malformed::kCrewInvalid);
    EXPECT_EQ(why("crew_id=a%27b"), malformed::kCrewInvalid);
    EXPECT_EQ(why("crew_id=a;b"), malformed::kCrewInvalid);
    EXPECT_EQ(why("crew_id=x%27%20--"), malformed::kCrewInvalid);
    EXPECT_EQ(why("crew_id=a%3Bdrop"), malformed::kCrewInvalid);
    EXPECT_EQ(why("crew_id=a%20b"), malformed::kCrewInvalid);
}

TEST(QueryParsing, DoubleDashIsWithinTheIdAlphabet)
{
    // '-' is an id character, so "--" inside an id is a valid id; it reaches the database
    // only as a bind parameter.
    QueryResult r = parse_query("crew_id=crw--1");
    ASSERT_FALSE(r.malformed);
    EXPECT_EQ(*r.crew_id, "crw--1");
}

TEST(QueryParsing, PlusStaysALiteralPlus)
{
    std::string out;
    ASSERT_EQ(percent_decode("a+b", out), DecodeError::kNone);
    EXPECT_EQ(out, "a+b");
    EXPECT_EQ(why("crew_id=a+b"), malformed::kCrewInvalid);
}

TEST(QueryParsing, ValueMayContainAnEqualsSign)
{
    EXPECT_EQ(why("crew_id=a=b"), malformed::kCrewInvalid);
    EXPECT_EQ(why("other=a=b&crew_id=c"), "");
}

TEST(QueryParsing, QueryLongerThan16KiBIsMalformed)
{
    std::string at_limit = "crew_id=crw_a&pad=" + std::string(16384 - 18, 'x');
    ASSERT_EQ(at_limit.size(), 16384u);
    EXPECT_EQ(why(at_limit), "");
    EXPECT_EQ(why(at_limit + "x"), malformed::kQueryTooLong);
}

TEST(QueryParsing, FirstProblemInOrderIsReported)
{
    EXPECT_EQ(why("crew_id=a&crew_id=b&x=%ZZ"), malformed::kCrewRepeated);
    EXPECT_EQ(why("x=%ZZ&crew_id=a&crew_id=b"), malformed::kBadEscape);
}

TEST(WorkspaceHeader, AbsentOrValidPasses)
{
    EXPECT_FALSE(check_workspace(std::nullopt, 0));
    EXPECT_FALSE(check_workspace(std::string("ws_acme"), 1));
}

TEST(WorkspaceHeader, InvalidIsMalformed)
{
    EXPECT_EQ(check_workspace(std::string(""), 1), malformed::kWorkspaceInvalid);
    EXPECT_EQ(check_workspace(std::string("ws acme"), 1), malformed::kWorkspaceInvalid);
    EXPECT_EQ(check_workspace(std::string("ws';--"), 1), malformed::kWorkspaceInvalid);
    EXPECT_EQ(check_workspace(std::string(129, 'w'), 1), malformed::kWorkspaceInvalid);
    EXPECT_EQ(check_workspace(std::string("ws%41"), 1), malformed::kWorkspaceInvalid);
}

TEST(WorkspaceHeader, RepeatedIsMalformed)
{
    EXPECT_EQ(check_workspace(std::string("ws_a"), 2), malformed::kWorkspaceRepeated);
}

}  // namespace
}  // namespace presence
