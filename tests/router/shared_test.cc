// Shared subscriptions ($share/{group}/{filter}, MQTT 5.0 4.8.2): one member per group per
// message, round robin, skipping members the caller rejects.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::sub;

class SharedTest : public ::testing::Test {
 protected:
  // The sessions that received `messages` publications of `topic`, counted.
  std::map<SessionHandle, int> deliver(std::string_view topic, int messages, SkipMember skip = {}) {
    std::map<SessionHandle, int> counts;
    for (int i = 0; i < messages; ++i) {
      index_.match(topic, result_, skip);
      for (ShardId shard : result_.shards()) {
        for (const MatchedSubscriber& m : result_.for_shard(shard)) {
          EXPECT_EQ(m.kind, MatchKind::kShared);
          ++counts[m.subscriber.session];
        }
      }
    }
    return counts;
  }

  TopicIndex index_{{.shards = 3}};
  testing::OnlineReader reader_{index_, 0};
  MatchResult result_;
};

TEST_F(SharedTest, RoundRobinIsExactlyFair) {
  for (SessionHandle s = 1; s <= 3; ++s) {
    ASSERT_TRUE(index_.subscribe("$share/g/sensors/+", sub(s % 3, s)).ok());
  }
  SessionHandle previous = 0;
  for (int i = 0; i < 30; ++i) {
    index_.match("sensors/t", result_);
    ASSERT_EQ(result_.size(), 1u) << "exactly one member per message";
    const SessionHandle got = result_.for_shard(result_.shards()[0])[0].subscriber.session;
    EXPECT_NE(got, previous) << "consecutive messages go to different members";
    previous = got;
  }
  const auto counts = deliver("sensors/t", 3000);
  EXPECT_EQ(counts, (std::map<SessionHandle, int>{{1, 1000}, {2, 1000}, {3, 1000}}));
}

TEST_F(SharedTest, EachGroupGetsOneCopy) {
  ASSERT_TRUE(index_.subscribe("$share/g1/a/b", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g1/a/b", sub(0, 2)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g2/a/b", sub(0, 3)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g1/a/+", sub(0, 4)).ok()) << "same name, other filter";
  index_.match("a/b", result_);
  EXPECT_EQ(result_.size(), 3u) << "g1 on a/b, g2 on a/b, g1 on a/+";
  const auto counts = deliver("a/b", 100);
  EXPECT_EQ(counts, (std::map<SessionHandle, int>{{1, 50}, {2, 50}, {3, 100}, {4, 100}}));
}

TEST_F(SharedTest, SkippedMembersAreSkippedFairly) {
  for (SessionHandle s = 1; s <= 3; ++s) {
    ASSERT_TRUE(index_.subscribe("$share/g/q", sub(0, s)).ok());
  }
  auto skip_two = [](const SubscriberRef& m) { return m.session == 2; };
  const auto counts = deliver("q", 1000, skip_two);
  EXPECT_EQ(counts, (std::map<SessionHandle, int>{{1, 500}, {3, 500}}))
      << "the member after a skipped one does not get a double share";
  EXPECT_EQ(result_.unserved_groups(), 0u);
}

TEST_F(SharedTest, AllSkippedIsReported) {
  ASSERT_TRUE(index_.subscribe("$share/g/q", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g/q", sub(1, 2)).ok());
  ASSERT_TRUE(index_.subscribe("$share/h/q", sub(2, 3)).ok());
  ASSERT_TRUE(index_.subscribe("q", sub(1, 9)).ok());
  int calls = 0;
  auto skip_g = [&calls](const SubscriberRef& m) {
    ++calls;
    return m.session != 3;
  };
  index_.match("q", result_, skip_g);
  EXPECT_EQ(result_.unserved_groups(), 1u) << "group g: every member skipped";
  EXPECT_EQ(calls, 3) << "both members of g tried once, h's member once";
  EXPECT_EQ(testing::flatten(result_), (std::vector<testing::Flat>{{1, 9, 0, MatchKind::kDirect},
                                                                   {2, 3, 0, MatchKind::kShared}}))
      << "direct subscribers are never skipped";
  index_.match("q", result_);
  EXPECT_EQ(result_.unserved_groups(), 0u) << "reset by the next match";
}

TEST_F(SharedTest, SharedAndDirectOfOneSessionAreTwoMatches) {
  ASSERT_TRUE(index_.subscribe("t/#", sub(0, 1, 7)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g/t/#", sub(0, 1, 8)).ok());
  index_.match("t/x", result_);
  EXPECT_EQ(testing::flatten(result_), (std::vector<testing::Flat>{{0, 1, 7, MatchKind::kDirect},
                                                                   {0, 1, 8, MatchKind::kShared}}));
}

TEST_F(SharedTest, MembershipChanges) {
  EXPECT_EQ(*index_.subscribe("$share/g/t", sub(0, 1, 1)), SubscribeOutcome::kAdded);
  EXPECT_EQ(*index_.subscribe("$share/g/t", sub(0, 2)), SubscribeOutcome::kAdded);
  EXPECT_EQ(*index_.subscribe("$share/g/t", sub(0, 1, 5)), SubscribeOutcome::kReplaced);
  EXPECT_EQ(*index_.subscribe("$share/other/t", sub(0, 1)), SubscribeOutcome::kAdded);
  EXPECT_EQ(index_.stats().subscriptions, 3u);
  EXPECT_EQ(index_.stats().exact_filters, 1u) << "one filter, two groups";

  EXPECT_EQ(*index_.unsubscribe("t", {0, 1}), UnsubscribeOutcome::kNotFound) << "not direct";
  EXPECT_EQ(*index_.unsubscribe("$share/nope/t", {0, 1}), UnsubscribeOutcome::kNotFound);
  EXPECT_EQ(*index_.unsubscribe("$share/g/t", {0, 3}), UnsubscribeOutcome::kNotFound);
  EXPECT_EQ(*index_.unsubscribe("$share/g/t", {0, 2}), UnsubscribeOutcome::kRemoved);
  std::set<std::uint32_t> ids;
  for (int i = 0; i < 4; ++i) {
    index_.match("t", result_, [](const SubscriberRef& m) { return m.subscription_id == 0; });
    for (const MatchedSubscriber& m : result_.for_shard(0))
      ids.insert(m.subscriber.subscription_id);
  }
  EXPECT_EQ(ids, (std::set<std::uint32_t>{5})) << "g now has only session 1, with its new id";
  EXPECT_EQ(result_.unserved_groups(), 1u) << "group `other` has only an id-0 member";

  EXPECT_EQ(*index_.unsubscribe("$share/g/t", {0, 1}), UnsubscribeOutcome::kRemoved);
  EXPECT_EQ(*index_.unsubscribe("$share/other/t", {0, 1}), UnsubscribeOutcome::kRemoved);
  index_.match("t", result_);
  EXPECT_TRUE(result_.empty());
  EXPECT_EQ(result_.unserved_groups(), 0u) << "empty groups are gone, not unserved";
  EXPECT_EQ(index_.stats().exact_filters, 0u);
  EXPECT_EQ(index_.stats().subscriptions, 0u);
}

TEST_F(SharedTest, DollarRuleAppliesToTheFilterProper) {
  ASSERT_TRUE(index_.subscribe("$share/g/#", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("$share/g/$SYS/#", sub(0, 2)).ok());
  index_.match("$SYS/load", result_);
  EXPECT_EQ(testing::flatten(result_), (std::vector<testing::Flat>{{0, 2, 0, MatchKind::kShared}}));
}

}  // namespace
}  // namespace rmq::router
