// The tokenizer.
#include "router/topic.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace rmq::router {
namespace {

using Levels = std::vector<std::string_view>;

TEST(SplitLevels, EmptyLevelsAreLevels) {
  Levels levels;
  split_levels("a/b/c", levels);
  EXPECT_EQ(levels, (Levels{"a", "b", "c"}));
  split_levels("/", levels);
  EXPECT_EQ(levels, (Levels{"", ""}));
  split_levels("a//b/", levels);
  EXPECT_EQ(levels, (Levels{"a", "", "b", ""}));
  split_levels("x", levels);
  EXPECT_EQ(levels, (Levels{"x"})) << "replaces the previous contents";
}

TEST(IsWildcardFilter, LooksForPlusAndHash) {
  EXPECT_FALSE(is_wildcard_filter("a/b"));
  EXPECT_FALSE(is_wildcard_filter("$SYS/x"));
  EXPECT_TRUE(is_wildcard_filter("a/+"));
  EXPECT_TRUE(is_wildcard_filter("#"));
  EXPECT_TRUE(is_wildcard_filter("+/b"));
}

}  // namespace
}  // namespace rmq::router
