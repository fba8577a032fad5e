// TopicIndex::resubscribe (a session moving to another shard or handle) and
// MemberPick::serve_when_all_skipped (a shared group whose members are all busy or offline).
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::sub;

class ResubscribeTest : public ::testing::Test {
 protected:
  std::vector<testing::Flat> match(std::string_view topic) {
    index_.match(topic, result_);
    return testing::flatten(result_);
  }

  TopicIndex index_{{.shards = 3}};
  testing::OnlineReader reader_{index_, 0};
  MatchResult result_;
};

TEST_F(ResubscribeTest, MovesADirectSubscriptionKeepingItsOptions) {
  ASSERT_TRUE(index_.subscribe("a/b", sub(0, 1, 7)).ok());
  ASSERT_TRUE(index_.subscribe("a/b", sub(2, 5)).ok());
  EXPECT_EQ(*index_.resubscribe("a/b", {0, 1}, sub(1, 9, 7)), SubscribeOutcome::kReplaced);
  EXPECT_EQ(match("a/b"), (std::vector<testing::Flat>{{1, 9, 7, MatchKind::kDirect},
                                                      {2, 5, 0, MatchKind::kDirect}}));
  EXPECT_EQ(index_.stats().subscriptions, 2u);
  EXPECT_EQ(*index_.unsubscribe("a/b", {0, 1}), UnsubscribeOutcome::kNotFound) << "moved away";
}

TEST_F(ResubscribeTest, MovesAWildcardSubscription) {
  ASSERT_TRUE(index_.subscribe("a/#", sub(0, 1)).ok());
  EXPECT_EQ(*index_.resubscribe("a/#", {0, 1}, sub(0, 2)), SubscribeOutcome::kReplaced);
  EXPECT_EQ(match("a/x/y"), (std::vector<testing::Flat>{{0, 2, 0, MatchKind::kDirect}}));
  EXPECT_EQ(index_.stats().wildcard_filters, 1u);
}

TEST_F(ResubscribeTest, MovesASharedMembership) {
  ASSERT_TRUE(index_.subscribe("$share/g/t", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g/t", sub(0, 2)).ok());
  EXPECT_EQ(*index_.resubscribe("$share/g/t", {0, 1}, sub(2, 3)), SubscribeOutcome::kReplaced);
  std::set<SessionHandle> members;
  for (int i = 0; i < 4; ++i) {
    for (const testing::Flat& f : match("t")) members.insert(std::get<1>(f));
  }
  EXPECT_EQ(members, (std::set<SessionHandle>{2, 3}));
  EXPECT_EQ(index_.stats().subscriptions, 2u);
}

TEST_F(ResubscribeTest, AddsWhenTheOldSubscriptionIsGone) {
  EXPECT_EQ(*index_.resubscribe("x", {0, 1}, sub(1, 2)), SubscribeOutcome::kAdded);
  EXPECT_EQ(*index_.resubscribe("$share/g/x", {0, 1}, sub(1, 2)), SubscribeOutcome::kAdded);
  EXPECT_EQ(match("x"), (std::vector<testing::Flat>{{1, 2, 0, MatchKind::kDirect},
                                                    {1, 2, 0, MatchKind::kShared}}));
  EXPECT_EQ(index_.stats().subscriptions, 2u);
}

TEST_F(ResubscribeTest, RejectsWhatSubscribeRejects) {
  EXPECT_FALSE(index_.resubscribe("a/#/b", {0, 1}, sub(0, 2)).ok());
  EXPECT_FALSE(index_.resubscribe("a", {0, 1}, sub(7, 2)).ok()) << "shard out of range";
}

TEST_F(ResubscribeTest, AllSkippedServesTheMemberInTurnWhenAsked) {
  ASSERT_TRUE(index_.subscribe("$share/g/q", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g/q", sub(1, 2)).ok());
  auto skip_all = [](const SubscriberRef&) { return true; };
  std::map<SessionHandle, int> counts;
  for (int i = 0; i < 10; ++i) {
    index_.match("q", result_, MemberPick{skip_all, /*serve_when_all_skipped=*/true});
    EXPECT_EQ(result_.unserved_groups(), 1u) << "still reported";
    for (const testing::Flat& f : testing::flatten(result_)) ++counts[std::get<1>(f)];
  }
  EXPECT_EQ(counts, (std::map<SessionHandle, int>{{1, 5}, {2, 5}})) << "round robin continues";
  index_.match("q", result_, MemberPick{skip_all, /*serve_when_all_skipped=*/false});
  EXPECT_TRUE(result_.empty());
  auto skip_one = [](const SubscriberRef& m) { return m.session == 1; };
  for (int i = 0; i < 4; ++i) {
    index_.match("q", result_, MemberPick{skip_one, true});
    EXPECT_EQ(testing::flatten(result_),
              (std::vector<testing::Flat>{{1, 2, 0, MatchKind::kShared}}));
    EXPECT_EQ(result_.unserved_groups(), 0u);
  }
}

}  // namespace
}  // namespace rmq::router
