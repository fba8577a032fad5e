// Memory under subscribe/unsubscribe churn: after 100k distinct filters come and go, and readers
// pass quiescent points, the index is back to (about) nothing.
#include <gtest/gtest.h>

#include <string>

#include "router/subscriber_set.h"
#include "router/topic_index.h"
#include "router/wildcard_trie.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::sub;

// Distinct filters of every kind: exact, '+', '#', shared.
std::string churn_filter(int i) {
  const std::string n = std::to_string(i);
  switch (i % 5) {
    case 0: return "site/" + n + "/temp";
    case 1: return "site/" + n + "/+";
    case 2: return "site/+/dev/" + n + "/#";
    case 3: return "$share/g" + std::to_string(i % 7) + "/fleet/" + n;
    default: return "+/" + n + "/x/+";
  }
}

constexpr int kFilters = 100'000;
// Tombstones a table may keep between stripe rebuilds: below 32 per stripe, 64 stripes.
constexpr std::size_t kTombstoneBound = 64 * 32;

TEST(Churn, HundredThousandFiltersInAndOutLeaveNothing) {
  const std::int64_t nodes_before = detail::TrieNode::live_count();
  const std::int64_t sets_before = SubscriberSet::live_count();
  {
    TopicIndex index({.shards = 2, .readers = 2});
    index.quiescent(0);  // one reader online throughout, passing quiescent points
    for (int i = 0; i < kFilters; ++i) {
      ASSERT_TRUE(index.subscribe(churn_filter(i), sub(i % 2, i)).ok());
      if (i % 100 == 0) index.quiescent(0);
    }
    IndexStats s = index.stats();
    EXPECT_EQ(s.subscriptions, static_cast<std::size_t>(kFilters));
    EXPECT_GT(s.trie_nodes, 100'000u);

    MatchResult result;
    index.match("site/42/dev/7/a/b", result);  // site/+/dev/7/# (i = 7)
    EXPECT_EQ(result.size(), 1u);

    for (int i = 0; i < kFilters; ++i) {
      ASSERT_EQ(*index.unsubscribe(churn_filter(i),
                                   {static_cast<ShardId>(i % 2), static_cast<SessionHandle>(i)}),
                UnsubscribeOutcome::kRemoved);
      if (i % 100 == 0) index.quiescent(0);
    }
    s = index.stats();
    EXPECT_EQ(s.subscriptions, 0u);
    EXPECT_EQ(s.exact_filters, 0u);
    EXPECT_EQ(s.wildcard_filters, 0u);
    EXPECT_EQ(s.trie_nodes, 1u) << "every emptied node was unlinked";
    EXPECT_LT(s.exact_tombstones, kTombstoneBound) << "stripes rebuilt along the way";
    EXPECT_LT(s.edge_tombstones, kTombstoneBound);
    EXPECT_LT(s.retired_pending, 1000u) << "writers reclaim as they go";

    index.quiescent(0);
    index.compact();
    index.quiescent(0);
    index.reclaim();
    s = index.stats();
    EXPECT_EQ(s.exact_tombstones, 0u);
    EXPECT_EQ(s.edge_tombstones, 0u);
    EXPECT_EQ(s.retired_pending, 0u);
    EXPECT_EQ(detail::TrieNode::live_count() - nodes_before, 1) << "the root alone is allocated";
    EXPECT_EQ(SubscriberSet::live_count() - sets_before, 0);
    index.offline(0);
  }
  EXPECT_EQ(detail::TrieNode::live_count(), nodes_before);
  EXPECT_EQ(SubscriberSet::live_count(), sets_before);
}

TEST(Churn, RollingWindowStaysBounded) {
  // 100k filters pass through a window of 500 live ones: memory follows the window.
  TopicIndex index({.shards = 1});
  index.quiescent(0);
  constexpr int kWindow = 500;
  std::size_t max_nodes = 0;
  std::size_t max_pending = 0;
  for (int i = 0; i < kFilters; ++i) {
    ASSERT_TRUE(index.subscribe(churn_filter(i), sub(0, i)).ok());
    if (i >= kWindow) {
      const int old = i - kWindow;
      ASSERT_EQ(*index.unsubscribe(churn_filter(old), {0, static_cast<SessionHandle>(old)}),
                UnsubscribeOutcome::kRemoved);
    }
    index.quiescent(0);
    const IndexStats s = index.stats();
    max_nodes = std::max(max_nodes, s.trie_nodes);
    max_pending = std::max(max_pending, s.retired_pending);
    ASSERT_LT(s.exact_tombstones, kWindow + kTombstoneBound) << i;
    ASSERT_LT(s.edge_tombstones, 4 * kWindow + kTombstoneBound) << i;
  }
  EXPECT_LT(max_nodes, 4u * kWindow);
  EXPECT_LT(max_pending, 200u);
  index.offline(0);
}

TEST(Churn, StalledReaderHoldsMemoryUntilItQuiesces) {
  TopicIndex index({.shards = 1, .readers = 2});
  index.quiescent(0);
  index.quiescent(1);  // reader 1 goes online and then stalls
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(index.subscribe(churn_filter(i), sub(0, 1)).ok());
    ASSERT_TRUE(index.unsubscribe(churn_filter(i), {0, 1}).ok());
    index.quiescent(0);
  }
  EXPECT_GT(index.stats().retired_pending, 1000u) << "nothing freed past the stalled reader";
  index.quiescent(1);
  index.reclaim();
  EXPECT_EQ(index.stats().retired_pending, 0u);
  index.offline(0);
  index.offline(1);
}

}  // namespace
}  // namespace rmq::router
