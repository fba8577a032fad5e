// TopicIndex behaviour beyond the matching rules: subscribe/replace/unsubscribe outcomes, grouping
// by shard, reuse of MatchResult, deep topics.
#include <gtest/gtest.h>

#include <string>

#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::Flat;
using testing::flatten;
using testing::sub;
constexpr MatchKind kDirect = MatchKind::kDirect;

class IndexTest : public ::testing::Test {
 protected:
  TopicIndex index_{{.shards = 4}};
  testing::OnlineReader reader_{index_, 0};
  MatchResult result_;
};

TEST_F(IndexTest, SubscribeTwiceReplacesOptions) {
  EXPECT_EQ(*index_.subscribe("a/+", sub(1, 5, 11, codec::QoS::kAtMostOnce)),
            SubscribeOutcome::kAdded);
  EXPECT_EQ(*index_.subscribe("a/+", sub(1, 5, 12, codec::QoS::kExactlyOnce)),
            SubscribeOutcome::kReplaced);
  EXPECT_EQ(*index_.subscribe("a/+", sub(1, 5, 12, codec::QoS::kExactlyOnce)),
            SubscribeOutcome::kReplaced)
      << "identical resubscribe";
  index_.match("a/b", result_);
  ASSERT_EQ(result_.size(), 1u);
  const SubscriberRef& got = result_.for_shard(1)[0].subscriber;
  EXPECT_EQ(got.subscription_id, 12u);
  EXPECT_EQ(got.options.max_qos, codec::QoS::kExactlyOnce);
  EXPECT_EQ(index_.stats().subscriptions, 1u);
}

TEST_F(IndexTest, SameSessionOnAnotherShardIsAnotherSubscriber) {
  ASSERT_TRUE(index_.subscribe("t", sub(1, 5)).ok());
  ASSERT_TRUE(index_.subscribe("t", sub(2, 5)).ok());
  index_.match("t", result_);
  EXPECT_EQ(result_.size(), 2u);
}

TEST_F(IndexTest, UnsubscribeOutcomes) {
  ASSERT_TRUE(index_.subscribe("a/b", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("a/#", sub(0, 1)).ok());
  EXPECT_EQ(*index_.unsubscribe("a/b", {0, 2}), UnsubscribeOutcome::kNotFound) << "other session";
  EXPECT_EQ(*index_.unsubscribe("a/c", {0, 1}), UnsubscribeOutcome::kNotFound) << "other filter";
  EXPECT_EQ(*index_.unsubscribe("a/+", {0, 1}), UnsubscribeOutcome::kNotFound) << "no such path";
  EXPECT_EQ(*index_.unsubscribe("a/b", {0, 1}), UnsubscribeOutcome::kRemoved);
  EXPECT_EQ(*index_.unsubscribe("a/b", {0, 1}), UnsubscribeOutcome::kNotFound) << "twice";
  index_.match("a/b", result_);
  EXPECT_EQ(flatten(result_), (std::vector<Flat>{{0, 1, 0, kDirect}})) << "a/# still there";
  EXPECT_EQ(*index_.unsubscribe("a/#", {0, 1}), UnsubscribeOutcome::kRemoved);
  index_.match("a/b", result_);
  EXPECT_TRUE(result_.empty());
  const IndexStats s = index_.stats();
  EXPECT_EQ(s.subscriptions, 0u);
  EXPECT_EQ(s.exact_filters, 0u);
  EXPECT_EQ(s.wildcard_filters, 0u);
  EXPECT_EQ(s.trie_nodes, 1u);
}

TEST_F(IndexTest, GroupsMatchesByShard) {
  ASSERT_TRUE(index_.subscribe("s/1", sub(2, 20)).ok());
  ASSERT_TRUE(index_.subscribe("s/+", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("s/+", sub(2, 21)).ok());
  ASSERT_TRUE(index_.subscribe("#", sub(3, 30)).ok());
  ASSERT_TRUE(index_.subscribe("s/#", sub(0, 2)).ok());
  index_.match("s/1", result_);
  EXPECT_EQ(result_.size(), 5u);
  ASSERT_EQ(result_.shards().size(), 3u) << "shard 1 has nobody";
  std::vector<ShardId> shards(result_.shards().begin(), result_.shards().end());
  std::sort(shards.begin(), shards.end());
  EXPECT_EQ(shards, (std::vector<ShardId>{0, 2, 3}));
  EXPECT_EQ(result_.for_shard(0).size(), 2u);
  EXPECT_EQ(result_.for_shard(1).size(), 0u);
  EXPECT_EQ(result_.for_shard(2).size(), 2u);
  EXPECT_EQ(result_.for_shard(3).size(), 1u);
  for (ShardId shard : result_.shards()) {
    for (const MatchedSubscriber& m : result_.for_shard(shard)) {
      EXPECT_EQ(m.subscriber.shard, shard);
    }
  }
  EXPECT_EQ(result_.for_shard(99).size(), 0u);
}

TEST_F(IndexTest, OverlappingFiltersReturnEachMatch) {
  ASSERT_TRUE(index_.subscribe("a/b", sub(0, 1, 1)).ok());
  ASSERT_TRUE(index_.subscribe("a/+", sub(0, 1, 2)).ok());
  ASSERT_TRUE(index_.subscribe("+/b", sub(0, 1, 3)).ok());
  ASSERT_TRUE(index_.subscribe("#", sub(0, 1, 4)).ok());
  ASSERT_TRUE(index_.subscribe("a/#", sub(0, 1, 5)).ok());
  ASSERT_TRUE(index_.subscribe("a/b/#", sub(0, 1, 6)).ok());
  index_.match("a/b", result_);
  EXPECT_EQ(flatten(result_), (std::vector<Flat>{{0, 1, 1, kDirect},
                                                 {0, 1, 2, kDirect},
                                                 {0, 1, 3, kDirect},
                                                 {0, 1, 4, kDirect},
                                                 {0, 1, 5, kDirect},
                                                 {0, 1, 6, kDirect}}));
}

TEST_F(IndexTest, ResultIsClearedAndReused) {
  ASSERT_TRUE(index_.subscribe("x/+", sub(1, 1)).ok());
  ASSERT_TRUE(index_.subscribe("x/+", sub(2, 2)).ok());
  index_.match("x/y", result_);
  EXPECT_EQ(result_.size(), 2u);
  index_.match("nothing", result_);
  EXPECT_TRUE(result_.empty());
  EXPECT_TRUE(result_.shards().empty());
  EXPECT_TRUE(result_.for_shard(1).empty());
  index_.match("x/z", result_);
  EXPECT_EQ(result_.size(), 2u);
  result_.clear();
  EXPECT_TRUE(result_.empty());
}

TEST_F(IndexTest, DeepTopicsDoNotRecurse) {
  // 20,000 levels: the walk keeps its own stack, so depth costs heap, not the thread's stack.
  std::string topic = "d";
  std::string filter = "d";
  for (int i = 0; i < 20000; ++i) {
    topic += "/d";
    filter += "/+";
  }
  ASSERT_TRUE(index_.subscribe(filter, sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("d/#", sub(0, 2)).ok());
  ASSERT_TRUE(index_.subscribe(topic, sub(0, 3)).ok());
  index_.match(topic, result_);
  EXPECT_EQ(result_.size(), 3u);
  EXPECT_EQ(*index_.unsubscribe(filter, {0, 1}), UnsubscribeOutcome::kRemoved);
  EXPECT_EQ(index_.stats().trie_nodes, 2u) << "root and d";
}

TEST_F(IndexTest, NoReadersOnlineFreesAtOnce) {
  index_.offline(0);
  ASSERT_TRUE(index_.subscribe("a/+", sub(0, 1)).ok());
  ASSERT_TRUE(index_.subscribe("a/+", sub(0, 2)).ok());  // retires the one-member set
  EXPECT_GE(index_.stats().retired_pending, 1u);
  index_.reclaim();
  EXPECT_EQ(index_.stats().retired_pending, 0u);
  index_.quiescent(0);
}

}  // namespace
}  // namespace rmq::router
