// UTF-8 Encoded Strings (MQTT 5.0 1.5.4), Topic Names and Topic Filters (4.7) and shared
// subscription filters (4.8.2).
#include "codec/validate.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace rmq::codec {
namespace {

std::string bytes(std::initializer_list<unsigned char> b) {
  return std::string(b.begin(), b.end());
}

TEST(CheckUtf8, AcceptsAsciiAndEmpty) {
  EXPECT_EQ(check_utf8(""), TextError::kNone);
  EXPECT_EQ(check_utf8("hello/world +#$"), TextError::kNone);
  EXPECT_EQ(check_utf8(bytes({0x7F})), TextError::kNone);
}

TEST(CheckUtf8, AcceptsEachSequenceLengthAtItsBounds) {
  EXPECT_EQ(check_utf8(bytes({0xC2, 0x80})), TextError::kNone);              // U+0080
  EXPECT_EQ(check_utf8(bytes({0xDF, 0xBF})), TextError::kNone);              // U+07FF
  EXPECT_EQ(check_utf8(bytes({0xE0, 0xA0, 0x80})), TextError::kNone);        // U+0800
  EXPECT_EQ(check_utf8(bytes({0xED, 0x9F, 0xBF})), TextError::kNone);        // U+D7FF
  EXPECT_EQ(check_utf8(bytes({0xEE, 0x80, 0x80})), TextError::kNone);        // U+E000
  EXPECT_EQ(check_utf8(bytes({0xEF, 0xBB, 0xBF})), TextError::kNone);        // U+FEFF, kept
  EXPECT_EQ(check_utf8(bytes({0xEF, 0xBF, 0xBF})), TextError::kNone);        // U+FFFF allowed
  EXPECT_EQ(check_utf8(bytes({0xF0, 0x90, 0x80, 0x80})), TextError::kNone);  // U+10000
  EXPECT_EQ(check_utf8(bytes({0xF0, 0xAA, 0x9B, 0x94})), TextError::kNone);  // U+2A6D4
  EXPECT_EQ(check_utf8(bytes({0xF4, 0x8F, 0xBF, 0xBF})), TextError::kNone);  // U+10FFFF
}

TEST(CheckUtf8, RejectsU0000) {
  EXPECT_EQ(check_utf8(std::string_view("a\0b", 3)), TextError::kNullCharacter);
  EXPECT_EQ(check_utf8(std::string_view("\0", 1)), TextError::kNullCharacter);
}

TEST(CheckUtf8, RejectsOverlongEncodings) {
  EXPECT_EQ(check_utf8(bytes({0xC0, 0x80})), TextError::kInvalidUtf8);  // overlong U+0000
  EXPECT_EQ(check_utf8(bytes({0xC0, 0xAF})), TextError::kInvalidUtf8);  // overlong '/'
  EXPECT_EQ(check_utf8(bytes({0xC1, 0xBF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xE0, 0x80, 0xAF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xE0, 0x9F, 0xBF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF0, 0x80, 0x80, 0xAF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF0, 0x8F, 0xBF, 0xBF})), TextError::kInvalidUtf8);
}

TEST(CheckUtf8, RejectsSurrogates) {
  EXPECT_EQ(check_utf8(bytes({0xED, 0xA0, 0x80})), TextError::kInvalidUtf8);  // U+D800
  EXPECT_EQ(check_utf8(bytes({0xED, 0xAD, 0xBF})), TextError::kInvalidUtf8);  // U+DB7F
  EXPECT_EQ(check_utf8(bytes({0xED, 0xBF, 0xBF})), TextError::kInvalidUtf8);  // U+DFFF
  // A CESU-8 style surrogate pair for U+10000.
  EXPECT_EQ(check_utf8(bytes({0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80})), TextError::kInvalidUtf8);
}

TEST(CheckUtf8, RejectsCodePointsAboveU10FFFF) {
  EXPECT_EQ(check_utf8(bytes({0xF4, 0x90, 0x80, 0x80})), TextError::kInvalidUtf8);  // U+110000
  EXPECT_EQ(check_utf8(bytes({0xF5, 0x80, 0x80, 0x80})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF7, 0xBF, 0xBF, 0xBF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF8, 0x88, 0x80, 0x80, 0x80})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xFE})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xFF})), TextError::kInvalidUtf8);
}

TEST(CheckUtf8, RejectsTruncatedSequences) {
  EXPECT_EQ(check_utf8(bytes({0xC3})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xE2, 0x82})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF0, 0x9F, 0x98})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({'a', 0xE2, 0x82, 'b'})), TextError::kInvalidUtf8);
}

TEST(CheckUtf8, RejectsStrayContinuationBytes) {
  EXPECT_EQ(check_utf8(bytes({0x80})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({'a', 0xBF})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xC3, 0xA9, 0xA9})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xE2, 0x28, 0xA1})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_utf8(bytes({0xF0, 0x90, 0x28, 0xBC})), TextError::kInvalidUtf8);
}

TEST(CheckUtf8, ReportsTheFirstProblem) {
  EXPECT_EQ(check_utf8(bytes({0x00, 0xFF})), TextError::kNullCharacter);
  EXPECT_EQ(check_utf8(bytes({0xFF, 0x00})), TextError::kInvalidUtf8);
}

TEST(CheckTopicName, Rules) {
  EXPECT_EQ(check_topic_name("a/b/c"), TextError::kNone);
  EXPECT_EQ(check_topic_name("/"), TextError::kNone);
  EXPECT_EQ(check_topic_name("//"), TextError::kNone);
  EXPECT_EQ(check_topic_name("$SYS/broker"), TextError::kNone);
  EXPECT_EQ(check_topic_name("Accounts payable"), TextError::kNone);
  EXPECT_EQ(check_topic_name(""), TextError::kEmpty);
  EXPECT_EQ(check_topic_name("a/+"), TextError::kWildcardInTopic);
  EXPECT_EQ(check_topic_name("#"), TextError::kWildcardInTopic);
  EXPECT_EQ(check_topic_name("sport+"), TextError::kWildcardInTopic);
  EXPECT_EQ(check_topic_name(std::string_view("a\0", 2)), TextError::kNullCharacter);
  EXPECT_EQ(check_topic_name(bytes({0xC0, 0xAF})), TextError::kInvalidUtf8);
}

TEST(CheckTopicFilter, ValidFilters) {
  for (std::string_view f :
       {"#", "+", "a/b", "sport/tennis/player1/#", "sport/#", "+/tennis/#", "sport/+/player1", "/+",
        "+/+", "/", "a//b", "$SYS/#", "a/+/#", "$share", "$sharex/a", "$share/g/#",
        "$share/consumer1//finance", "$share/g/+/b"}) {
    EXPECT_EQ(check_topic_filter(f), TextError::kNone) << f;
  }
}

TEST(CheckTopicFilter, MultiLevelWildcardMustBeLastAndAlone) {
  for (std::string_view f : {"sport/tennis#", "sport/tennis/#/ranking", "#/a", "##", "a/#/"}) {
    EXPECT_EQ(check_topic_filter(f), TextError::kBadMultiLevel) << f;
  }
}

TEST(CheckTopicFilter, SingleLevelWildcardMustFillItsLevel) {
  for (std::string_view f : {"sport+", "+a", "a/b+/c", "++", "a/+b"}) {
    EXPECT_EQ(check_topic_filter(f), TextError::kBadSingleLevel) << f;
  }
}

TEST(CheckTopicFilter, EmptyAndUtf8) {
  EXPECT_EQ(check_topic_filter(""), TextError::kEmpty);
  EXPECT_EQ(check_topic_filter(bytes({'a', 0xED, 0xA0, 0x80})), TextError::kInvalidUtf8);
  EXPECT_EQ(check_topic_filter(std::string_view("a/\0", 3)), TextError::kNullCharacter);
}

TEST(CheckTopicFilter, SharedSubscriptionSyntax) {
  for (std::string_view f :
       {"$share/", "$share//a", "$share/g", "$share/g/", "$share/g+/a", "$share/#/a", "$share/+"}) {
    EXPECT_EQ(check_topic_filter(f), TextError::kBadShareName) << f;
  }
  // The filter part follows the ordinary rules.
  EXPECT_EQ(check_topic_filter("$share/g/a#"), TextError::kBadMultiLevel);
  EXPECT_EQ(check_topic_filter("$share/g/a+"), TextError::kBadSingleLevel);
}

TEST(SplitShared, SplitsGroupAndFilter) {
  SharedFilter s = split_shared("$share/consumer1/sport/tennis/+");
  EXPECT_EQ(s.group, "consumer1");
  EXPECT_EQ(s.filter, "sport/tennis/+");
  s = split_shared("$share/g//finance");
  EXPECT_EQ(s.group, "g");
  EXPECT_EQ(s.filter, "/finance");
  s = split_shared("sport/#");
  EXPECT_TRUE(s.group.empty());
  EXPECT_EQ(s.filter, "sport/#");
  s = split_shared("$share");
  EXPECT_TRUE(s.group.empty());
  EXPECT_EQ(s.filter, "$share");
}

}  // namespace
}  // namespace rmq::codec
