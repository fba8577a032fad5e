#include "broker/topic_alias.h"

#include <gtest/gtest.h>

namespace rmq::broker {
namespace {

TEST(InboundAliases, SetThenUse) {
  InboundAliases a(10);
  std::string_view topic;
  EXPECT_EQ(a.resolve(3, "a/b", &topic), AliasError::kNone);
  EXPECT_EQ(topic, "a/b");
  EXPECT_EQ(a.resolve(3, "", &topic), AliasError::kNone);
  EXPECT_EQ(topic, "a/b");
  EXPECT_EQ(a.resolve(3, "c", &topic), AliasError::kNone);  // remapped
  EXPECT_EQ(a.resolve(3, "", &topic), AliasError::kNone);
  EXPECT_EQ(topic, "c");
}

TEST(InboundAliases, RejectsZeroAndAboveMaximum) {
  InboundAliases a(10);
  std::string_view topic;
  EXPECT_EQ(a.resolve(0, "a", &topic), AliasError::kInvalid);
  EXPECT_EQ(a.resolve(11, "a", &topic), AliasError::kInvalid);
  InboundAliases none;
  EXPECT_EQ(none.resolve(1, "a", &topic), AliasError::kInvalid);
}

TEST(InboundAliases, UnknownAliasWithEmptyTopic) {
  InboundAliases a(10);
  std::string_view topic;
  EXPECT_EQ(a.resolve(2, "", &topic), AliasError::kUnknown);
  EXPECT_EQ(a.resolve(9, "x", &topic), AliasError::kNone);
  EXPECT_EQ(a.resolve(2, "", &topic), AliasError::kUnknown);
}

TEST(OutboundAliases, MapsUntilFullThenSendsTopics) {
  OutboundAliases a(2);
  auto c = a.choose("x");
  EXPECT_EQ(c.alias, 1);
  EXPECT_FALSE(c.omit_topic);
  EXPECT_TRUE(c.is_new);
  EXPECT_EQ(a.choose("x").alias, 1);  // not committed yet: proposed again
  a.commit("x", c);
  c = a.choose("x");
  EXPECT_EQ(c.alias, 1);
  EXPECT_TRUE(c.omit_topic);
  EXPECT_FALSE(c.is_new);
  a.commit("y", a.choose("y"));
  EXPECT_EQ(a.choose("y").alias, 2);
  c = a.choose("z");
  EXPECT_EQ(c.alias, 0);  // full
  EXPECT_FALSE(c.omit_topic);
  EXPECT_EQ(a.size(), 2u);
}

TEST(OutboundAliases, NoneWhenTheClientAllowsNone) {
  OutboundAliases a;
  EXPECT_EQ(a.choose("x").alias, 0);
}

}  // namespace
}  // namespace rmq::broker
