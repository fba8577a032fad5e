// SessionPresence: session handles that name their cell, reused oldest-first with a new cycle,
// and the ready flag other shards read for shared-subscription picks.
#include "broker/session_presence.h"

#include <gtest/gtest.h>

#include <set>

namespace rmq::broker {
namespace {

constexpr std::uint32_t kSlotMask = (1u << SessionPresence::kSlotBits) - 1;

TEST(SessionPresence, HandlesAreNonZeroDistinctAndNotReady) {
  SessionPresence p(2);
  std::set<std::uint32_t> handles;
  for (int i = 0; i < 5000; ++i) {
    const std::uint32_t h = p.allocate(1);
    ASSERT_NE(h, 0u);
    EXPECT_TRUE(handles.insert(h).second);
    EXPECT_FALSE(p.ready(1, h));
  }
  EXPECT_EQ(p.allocate(0) & kSlotMask, 0u) << "shards count their slots apart";
}

TEST(SessionPresence, ReadyIsPerHandleAndPerShard) {
  SessionPresence p(2);
  const std::uint32_t a = p.allocate(0);
  const std::uint32_t b = p.allocate(0);
  p.set_ready(0, a, true);
  EXPECT_TRUE(p.ready(0, a));
  EXPECT_FALSE(p.ready(0, b));
  EXPECT_FALSE(p.ready(1, a)) << "same handle value, other shard";
  EXPECT_FALSE(p.ready(7, a)) << "no such shard";
  p.set_ready(0, a, false);
  EXPECT_FALSE(p.ready(0, a));
}

TEST(SessionPresence, ReleasedSlotComesBackOldestFirstWithANewCycle) {
  SessionPresence p(1);
  const std::uint32_t a = p.allocate(0);
  const std::uint32_t b = p.allocate(0);
  p.set_ready(0, a, true);
  p.release(0, a);
  EXPECT_FALSE(p.ready(0, a)) << "a released handle is never ready";
  p.release(0, b);
  const std::uint32_t c = p.allocate(0);
  EXPECT_EQ(c & kSlotMask, a & kSlotMask) << "oldest freed slot first";
  EXPECT_NE(c, a) << "with another cycle";
  p.set_ready(0, c, true);
  EXPECT_TRUE(p.ready(0, c));
  EXPECT_FALSE(p.ready(0, a)) << "the old handle of the same slot stays not ready";
  EXPECT_EQ(p.allocate(0) & kSlotMask, b & kSlotMask);
}

TEST(SessionPresence, CyclesWrapWithoutZero) {
  SessionPresence p(1);
  std::uint32_t h = p.allocate(0);
  const std::uint32_t first = h;
  for (int i = 0; i < (1 << SessionPresence::kCycleBits) - 1; ++i) {
    p.release(0, h);
    h = p.allocate(0);
    ASSERT_NE(h, 0u);
  }
  EXPECT_EQ(h, first) << "after 1023 reuses the first handle comes back";
}

}  // namespace
}  // namespace rmq::broker
