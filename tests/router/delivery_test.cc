// merge_by_session(): one delivery per session with the highest QoS and every subscription id.
#include "router/delivery.h"

#include <gtest/gtest.h>

#include <vector>

#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using codec::QoS;
using testing::sub;

MatchedSubscriber direct(SubscriberRef s) { return {s, MatchKind::kDirect}; }
MatchedSubscriber shared(SubscriberRef s) { return {s, MatchKind::kShared}; }

std::vector<std::uint32_t> ids(const DeliveryList& list, const Delivery& d) {
  auto span = list.ids_of(d);
  return {span.begin(), span.end()};
}

TEST(MergeBySession, FoldsOverlappingSubscriptions) {
  SubscriberRef rap = sub(0, 1, 9, QoS::kAtMostOnce);
  rap.options.retain_as_published = true;
  const std::vector<MatchedSubscriber> matches = {
      direct(sub(0, 1, 5, QoS::kAtLeastOnce)), direct(sub(0, 2, 0, QoS::kAtMostOnce)),
      direct(sub(0, 1, 3, QoS::kExactlyOnce)), direct(rap),
      direct(sub(0, 1, 5, QoS::kAtMostOnce)),  // the same id on two filters
      direct(sub(0, 1, 0, QoS::kAtMostOnce)),
  };
  DeliveryList out;
  merge_by_session(matches, out);
  ASSERT_EQ(out.deliveries().size(), 2u);
  const Delivery& one = out.deliveries()[0];
  EXPECT_EQ(one.session, 1u);
  EXPECT_EQ(one.kind, MatchKind::kDirect);
  EXPECT_EQ(one.max_qos, QoS::kExactlyOnce);
  EXPECT_TRUE(one.retain_as_published);
  EXPECT_EQ(ids(out, one), (std::vector<std::uint32_t>{3, 5, 9})) << "sorted, unique, no zero";
  const Delivery& two = out.deliveries()[1];
  EXPECT_EQ(two.session, 2u);
  EXPECT_EQ(two.max_qos, QoS::kAtMostOnce);
  EXPECT_FALSE(two.retain_as_published);
  EXPECT_TRUE(ids(out, two).empty());
}

TEST(MergeBySession, SharedMatchesStaySeparate) {
  const std::vector<MatchedSubscriber> matches = {
      shared(sub(0, 1, 4, QoS::kAtMostOnce)), direct(sub(0, 1, 1, QoS::kAtLeastOnce)),
      shared(sub(0, 1, 6, QoS::kExactlyOnce)),  // picked by a second group
  };
  DeliveryList out;
  merge_by_session(matches, out);
  ASSERT_EQ(out.deliveries().size(), 3u);
  EXPECT_EQ(out.deliveries()[0].kind, MatchKind::kDirect);
  EXPECT_EQ(ids(out, out.deliveries()[0]), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(out.deliveries()[1].kind, MatchKind::kShared);
  EXPECT_EQ(out.deliveries()[1].max_qos, QoS::kAtMostOnce);
  EXPECT_EQ(ids(out, out.deliveries()[1]), (std::vector<std::uint32_t>{4}));
  EXPECT_EQ(out.deliveries()[2].max_qos, QoS::kExactlyOnce);
  EXPECT_EQ(ids(out, out.deliveries()[2]), (std::vector<std::uint32_t>{6}));
}

TEST(MergeBySession, NoLocalDropsThePublishersOwnSubscriptions) {
  SubscriberRef no_local = sub(1, 7, 2, QoS::kExactlyOnce);
  no_local.options.no_local = true;
  SubscriberRef other_no_local = sub(1, 8, 3);
  other_no_local.options.no_local = true;
  const std::vector<MatchedSubscriber> matches = {
      direct(no_local), direct(sub(1, 7, 1, QoS::kAtMostOnce)), direct(other_no_local)};
  DeliveryList out;
  merge_by_session(matches, out, SessionKey{1, 7});
  ASSERT_EQ(out.deliveries().size(), 2u);
  EXPECT_EQ(out.deliveries()[0].session, 7u);
  EXPECT_EQ(out.deliveries()[0].max_qos, QoS::kAtMostOnce) << "the No Local match is gone";
  EXPECT_EQ(ids(out, out.deliveries()[0]), (std::vector<std::uint32_t>{1}));
  EXPECT_EQ(out.deliveries()[1].session, 8u) << "No Local only concerns the publisher";

  out.clear();
  merge_by_session({&matches[0], 1}, out, SessionKey{1, 7});
  EXPECT_TRUE(out.deliveries().empty()) << "only a No Local match: nothing to deliver";
}

TEST(MergeBySession, AppendsAcrossShardsFromAMatch) {
  TopicIndex index({.shards = 2});
  testing::OnlineReader reader(index, 0);
  ASSERT_TRUE(index.subscribe("a/+", sub(0, 1, 1, QoS::kAtLeastOnce)).ok());
  ASSERT_TRUE(index.subscribe("a/#", sub(0, 1, 2)).ok());
  ASSERT_TRUE(index.subscribe("a/b", sub(1, 1, 3, QoS::kExactlyOnce)).ok());
  MatchResult result;
  index.match("a/b", result);
  DeliveryList out;
  for (ShardId shard : result.shards()) merge_by_session(result.for_shard(shard), out);
  ASSERT_EQ(out.deliveries().size(), 2u);
  for (const Delivery& d : out.deliveries()) {
    if (d.shard == 0) {
      EXPECT_EQ(d.max_qos, QoS::kAtLeastOnce);
      EXPECT_EQ(ids(out, d), (std::vector<std::uint32_t>{1, 2}));
    } else {
      EXPECT_EQ(d.max_qos, QoS::kExactlyOnce);
      EXPECT_EQ(ids(out, d), (std::vector<std::uint32_t>{3}));
    }
  }
}

}  // namespace
}  // namespace rmq::router
