#include "broker/packet_ids.h"

#include <gtest/gtest.h>

#include <set>

namespace rmq::broker {
namespace {

TEST(PacketIdAllocator, HandsOutOneToMaxThenWraps) {
  PacketIdAllocator ids;
  const auto none = [](std::uint16_t) { return false; };
  EXPECT_EQ(ids.next(none), 1);
  EXPECT_EQ(ids.next(none), 2);
  ids.restore(65534);
  EXPECT_EQ(ids.next(none), 65535);
  EXPECT_EQ(ids.next(none), 1);  // never 0 [MQTT-2.2.1-3]
}

TEST(PacketIdAllocator, SkipsIdentifiersInUse) {
  PacketIdAllocator ids;
  const std::set<std::uint16_t> used = {1, 2, 4};
  const auto in_use = [&](std::uint16_t id) { return used.count(id) != 0; };
  EXPECT_EQ(ids.next(in_use), 3);
  EXPECT_EQ(ids.next(in_use), 5);
}

TEST(PacketIdAllocator, ReturnsZeroWhenAllAreInUse) {
  PacketIdAllocator ids;
  EXPECT_EQ(ids.next([](std::uint16_t) { return true; }), 0);
}

TEST(InboundQos2, RemembersIdentifiersUntilRemoved) {
  InboundQos2 q;
  EXPECT_TRUE(q.add(7));
  EXPECT_FALSE(q.add(7));  // a retransmission is recognised
  EXPECT_TRUE(q.add(3));
  EXPECT_TRUE(q.contains(7));
  EXPECT_EQ(q.size(), 2u);
  EXPECT_EQ(q.ids(), (std::vector<std::uint16_t>{3, 7}));
  EXPECT_TRUE(q.remove(7));
  EXPECT_FALSE(q.remove(7));  // PUBREL for an unknown id
  EXPECT_FALSE(q.contains(7));
  EXPECT_EQ(q.size(), 1u);
}

}  // namespace
}  // namespace rmq::broker
