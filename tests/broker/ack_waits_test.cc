#include "broker/ack_waits.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace rmq::broker {
namespace {

TEST(AckWaits, IdsStartAtOneAndAreReusedAfterRelease) {
  AckWaits waits;
  const std::uint32_t a = waits.create(AckWait::Kind::kMqttAck);
  const std::uint32_t b = waits.create(AckWait::Kind::kRelay);
  const std::uint32_t c = waits.create(AckWait::Kind::kOrphan);
  EXPECT_EQ(a, 1u);
  EXPECT_EQ(b, 2u);
  EXPECT_EQ(c, 3u);
  EXPECT_EQ(waits.live(), 3u);
  waits.release(b);
  EXPECT_EQ(waits.live(), 2u);
  EXPECT_EQ(waits.at(b).kind, AckWait::Kind::kFree);
  EXPECT_EQ(waits.create(AckWait::Kind::kEndRemote), b) << "a released id is handed out again";
  EXPECT_EQ(waits.create(AckWait::Kind::kMqttAck), 4u) << "no free id left: the table grows";
  EXPECT_EQ(waits.live(), 4u);
}

TEST(AckWaits, CreateResetsAReusedWait) {
  AckWaits waits;
  const std::uint32_t id = waits.create(AckWait::Kind::kMqttAck);
  AckWait& w = waits.at(id);
  w.ready = true;
  w.packet_id = 77;
  w.parts = 5;
  w.next = 3;
  w.shard = 2;
  w.token = 9;
  w.inbound_generation = 11;
  waits.release(id);
  ASSERT_EQ(waits.create(AckWait::Kind::kRelay), id);
  const AckWait& again = waits.at(id);
  EXPECT_EQ(again.kind, AckWait::Kind::kRelay);
  EXPECT_FALSE(again.ready);
  EXPECT_EQ(again.packet_id, 0);
  EXPECT_EQ(again.parts, 1u) << "only the guard";
  EXPECT_EQ(again.next, 0u);
  EXPECT_EQ(again.shard, 0u);
  EXPECT_EQ(again.token, 0u);
  EXPECT_EQ(again.inbound_generation, 0u);
}

TEST(AckWaits, ReferencesStayValidAsTheTableGrows) {
  AckWaits waits;
  const std::uint32_t first = waits.create(AckWait::Kind::kMqttAck);
  AckWait* w = &waits.at(first);
  w->packet_id = 1234;
  for (int i = 0; i < 10000; ++i) waits.create(AckWait::Kind::kRelay);
  EXPECT_EQ(&waits.at(first), w);
  EXPECT_EQ(w->packet_id, 1234);
  EXPECT_EQ(waits.live(), 10001u);
}

TEST(AckWaits, PartsCountTheGuardAndEachPosition) {
  AckWaits waits;
  const std::uint32_t id = waits.create(AckWait::Kind::kMqttAck);
  EXPECT_EQ(waits.at(id).parts, 1u);
  waits.wait_position(id, 100);
  EXPECT_EQ(waits.at(id).parts, 2u);
  waits.wait_position(id, 200);
  EXPECT_EQ(waits.at(id).parts, 3u);
  ++waits.at(id).parts;  // another shard must confirm
  EXPECT_EQ(waits.at(id).parts, 4u);
  EXPECT_EQ(waits.waiting_for_disk(), 2u);
}

TEST(AckWaits, OnDurablePopsOnlyReachedPositionsInOrder) {
  AckWaits waits;
  const std::uint32_t a = waits.create(AckWait::Kind::kMqttAck);
  const std::uint32_t b = waits.create(AckWait::Kind::kRelay);
  const std::uint32_t c = waits.create(AckWait::Kind::kMqttAck);
  waits.wait_position(a, 10);
  waits.wait_position(b, 20);
  waits.wait_position(c, 20);
  waits.wait_position(a, 35);
  std::vector<std::uint32_t> done;
  auto record = [&](std::uint32_t id) { done.push_back(id); };

  waits.on_durable(9, record);
  EXPECT_TRUE(done.empty()) << "nothing is durable below the first position";
  EXPECT_EQ(waits.waiting_for_disk(), 4u);

  waits.on_durable(10, record);  // a position equal to durable is reached
  EXPECT_EQ(done, (std::vector<std::uint32_t>{a}));
  EXPECT_EQ(waits.waiting_for_disk(), 3u);

  waits.on_durable(34, record);
  EXPECT_EQ(done, (std::vector<std::uint32_t>{a, b, c}));
  EXPECT_EQ(waits.waiting_for_disk(), 1u);

  waits.on_durable(34, record);  // again: nothing more
  EXPECT_EQ(done.size(), 3u);

  waits.on_durable(1000, record);
  EXPECT_EQ(done, (std::vector<std::uint32_t>{a, b, c, a}));
  EXPECT_EQ(waits.waiting_for_disk(), 0u);
  waits.on_durable(2000, record);
  EXPECT_EQ(done.size(), 4u);
}

// The broker's use: each part done lowers `parts`; the wait acts when the guard and every
// position are done.
TEST(AckWaits, LastPartDoneCompletesTheWait) {
  AckWaits waits;
  const std::uint32_t id = waits.create(AckWait::Kind::kMqttAck);
  waits.wait_position(id, 5);
  waits.wait_position(id, 8);
  std::vector<std::uint32_t> completed;
  auto part_done = [&](std::uint32_t w) {
    if (--waits.at(w).parts == 0) {
      completed.push_back(w);
      waits.release(w);
    }
  };
  part_done(id);  // the guard: the broker added every part
  waits.on_durable(6, part_done);
  EXPECT_TRUE(completed.empty());
  EXPECT_EQ(waits.at(id).parts, 1u);
  waits.on_durable(8, part_done);
  EXPECT_EQ(completed, (std::vector<std::uint32_t>{id}));
  EXPECT_EQ(waits.live(), 0u);
  EXPECT_EQ(waits.create(AckWait::Kind::kRelay), id);
}

}  // namespace
}  // namespace rmq::broker
