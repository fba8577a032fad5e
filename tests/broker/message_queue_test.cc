#include "broker/message_queue.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace rmq::broker {
namespace {

using codec::QoS;
using testing::make_outbound;

TEST(MessageQueue, BoundedByCount) {
  MessageQueue q(QueueLimits{2, 0});
  EXPECT_TRUE(q.push(make_outbound("1", QoS::kAtLeastOnce)));
  EXPECT_TRUE(q.push(make_outbound("2", QoS::kAtLeastOnce)));
  EXPECT_FALSE(q.push(make_outbound("3", QoS::kAtLeastOnce)));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.dropped(), 1u);
}

TEST(MessageQueue, BoundedByBytes) {
  const std::size_t one = make_outbound("xxxxxxxxxx", QoS::kAtLeastOnce).bytes();
  MessageQueue q(QueueLimits{0, one * 2 + 1});
  EXPECT_TRUE(q.push(make_outbound("xxxxxxxxxx", QoS::kAtLeastOnce)));
  EXPECT_TRUE(q.push(make_outbound("xxxxxxxxxx", QoS::kAtLeastOnce)));
  EXPECT_FALSE(q.push(make_outbound("xxxxxxxxxx", QoS::kAtLeastOnce)));
  EXPECT_EQ(q.bytes(), one * 2);
  EXPECT_EQ(q.dropped(), 1u);
}

TEST(MessageQueue, Qos0IsDroppedFirst) {
  MessageQueue q(QueueLimits{2, 0});
  EXPECT_TRUE(q.push(make_outbound("a", QoS::kAtMostOnce)));
  EXPECT_TRUE(q.push(make_outbound("b", QoS::kAtLeastOnce)));
  EXPECT_FALSE(q.push(make_outbound("c", QoS::kAtMostOnce)));  // a QoS 0 arrival is dropped
  EXPECT_TRUE(q.push(make_outbound("d", QoS::kExactlyOnce)));  // evicts the queued QoS 0 "a"
  EXPECT_EQ(q.dropped(), 2u);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q.pop_front().qos, QoS::kAtLeastOnce);
  EXPECT_EQ(q.pop_front().qos, QoS::kExactlyOnce);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(MessageQueue, KeepsOrderAndAccounting) {
  MessageQueue q;
  q.push(make_outbound("first", QoS::kAtLeastOnce));
  q.push(make_outbound("second", QoS::kAtMostOnce));
  const std::size_t total = q.bytes();
  OutboundMessage m = q.pop_front();
  EXPECT_EQ(q.bytes(), total - m.bytes());
  EXPECT_EQ(q.front().qos, QoS::kAtMostOnce);
  q.clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace rmq::broker
