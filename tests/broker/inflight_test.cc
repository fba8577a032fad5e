#include "broker/inflight.h"

#include <gtest/gtest.h>

#include "test_messages.h"

namespace rmq::broker {
namespace {

using codec::QoS;
using testing::make_outbound;

TEST(InflightWindow, FullAtCapacity) {
  InflightWindow w(2);
  EXPECT_FALSE(w.full());
  w.add(1, make_outbound("a", QoS::kAtLeastOnce));
  w.add(2, make_outbound("b", QoS::kAtLeastOnce));
  EXPECT_TRUE(w.full());
  EXPECT_EQ(w.on_puback(1), AckAction::kCompleted);
  EXPECT_FALSE(w.full());
  w.set_capacity(1);
  EXPECT_TRUE(w.full());
  w.set_capacity(0);  // a zero Receive Maximum is a protocol error; never a dead window
  EXPECT_EQ(w.capacity(), 1);
}

TEST(InflightWindow, Qos1Flow) {
  InflightWindow w;
  w.add(5, make_outbound("a", QoS::kAtLeastOnce));
  EXPECT_EQ(w.on_pubrec(5, false), AckAction::kWrongStage);
  EXPECT_EQ(w.on_pubcomp(5), AckAction::kWrongStage);
  EXPECT_EQ(w.on_puback(5), AckAction::kCompleted);
  EXPECT_EQ(w.on_puback(5), AckAction::kNotFound);
  EXPECT_TRUE(w.empty());
}

TEST(InflightWindow, Qos2FlowReleasesThePayloadAfterPubrec) {
  InflightWindow w;
  w.add(9, make_outbound("payload", QoS::kExactlyOnce));
  EXPECT_EQ(w.find(9)->stage, InflightStage::kAwaitPubrec);
  EXPECT_EQ(w.on_puback(9), AckAction::kWrongStage);
  EXPECT_EQ(w.on_pubcomp(9), AckAction::kWrongStage);
  EXPECT_EQ(w.on_pubrec(9, false), AckAction::kSendPubrel);
  EXPECT_EQ(w.find(9)->stage, InflightStage::kAwaitPubcomp);
  EXPECT_TRUE(w.find(9)->message.message.empty());
  EXPECT_EQ(w.on_pubrec(9, false), AckAction::kSendPubrel);  // repeated PUBREC: PUBREL again
  EXPECT_EQ(w.on_pubcomp(9), AckAction::kCompleted);
  EXPECT_TRUE(w.empty());
}

TEST(InflightWindow, FailedPubrecEndsTheFlow) {
  InflightWindow w;
  w.add(3, make_outbound("a", QoS::kExactlyOnce));
  EXPECT_EQ(w.on_pubrec(3, true), AckAction::kCompleted);
  EXPECT_FALSE(w.contains(3));
}

TEST(InflightWindow, UnknownAcks) {
  InflightWindow w;
  EXPECT_EQ(w.on_puback(1), AckAction::kNotFound);
  EXPECT_EQ(w.on_pubrec(1, false), AckAction::kNotFound);
  EXPECT_EQ(w.on_pubcomp(1), AckAction::kNotFound);
}

TEST(InflightWindow, SendOrderSurvivesIdentifierWrap) {
  InflightWindow w;
  w.add(65535, make_outbound("a", QoS::kAtLeastOnce));
  w.add(1, make_outbound("b", QoS::kExactlyOnce));
  w.add(2, make_outbound("c", QoS::kAtLeastOnce));
  EXPECT_EQ(w.ids_in_send_order(), (std::vector<std::uint16_t>{65535, 1, 2}));
  EXPECT_TRUE(w.erase(1));
  EXPECT_EQ(w.ids_in_send_order(), (std::vector<std::uint16_t>{65535, 2}));
  EXPECT_GT(w.bytes(), 0u);
}

}  // namespace
}  // namespace rmq::broker
