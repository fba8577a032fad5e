#include "engine/spsc_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "engine/config.h"
#include "engine/mailbox.h"
#include "sanitized.h"

namespace rmq::engine {
namespace {

TEST(SpscQueue, StagedValuesAreInvisibleUntilPublished) {
  SpscQueue<int> queue(8);
  EXPECT_TRUE(queue.try_push(1));
  EXPECT_TRUE(queue.has_staged());
  int seen = 0;
  EXPECT_EQ(queue.pop_batch(10, [&](int) { ++seen; }), 0u);
  EXPECT_TRUE(queue.publish());
  EXPECT_FALSE(queue.publish());
  EXPECT_EQ(queue.pop_batch(10, [&](int v) { seen += v; }), 1u);
  EXPECT_EQ(seen, 1);
}

TEST(SpscQueue, FullIsReportedAndOrderIsKept) {
  SpscQueue<int> queue(4);
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(queue.try_push(i));
  EXPECT_FALSE(queue.try_push(99));  // full, staged values count
  queue.publish();
  EXPECT_FALSE(queue.try_push(99));  // still full until the consumer pops
  std::vector<int> out;
  EXPECT_EQ(queue.pop_batch(2, [&](int v) { out.push_back(v); }), 2u);
  EXPECT_TRUE(queue.try_push(4));
  EXPECT_TRUE(queue.try_push(5));
  EXPECT_FALSE(queue.try_push(6));
  queue.publish();
  queue.pop_batch(100, [&](int v) { out.push_back(v); });
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2, 3, 4, 5}));
}

// Posts `count` sequenced messages from `from` to `to`, publishing every 16 and waking the
// consumer as a shard would; returns how often the mailbox was full.
std::uint64_t produce(MailboxHub& hub, ShardId from, ShardId to, std::uint64_t count,
                      std::atomic<std::uint32_t>& wakeups) {
  auto& queue = hub.queue(from, to);
  std::uint64_t full = 0;
  for (std::uint64_t seq = 0; seq < count;) {
    MailboxMessage message;
    message.source = static_cast<std::uint16_t>(from);
    message.u64 = seq;
    const bool pushed = queue.try_push(message);
    if (pushed) ++seq;
    if (!pushed || seq % 16 == 0 || seq == count) {
      queue.publish();
      if (!hub.wake_pending(to).exchange(true, std::memory_order_seq_cst)) {
        wakeups.fetch_add(1, std::memory_order_seq_cst);
        wakeups.notify_one();
      }
    }
    if (!pushed) {
      ++full;
      std::this_thread::yield();
    }
  }
  return full;
}

// The mailbox protocol with threads standing in for shards: producers publish and then set the
// destination's wake flag (a "MSG_RING" is an increment of `wakeups` plus a notify); the consumer
// clears the flag, drains, and sleeps only when a drain found nothing. Nothing may be lost,
// duplicated or reordered per producer, and the consumer must never sleep through a message.
// The automatic capacity: 64k entries per destination over its sources, a power of two in
// [1024, 32768] per queue; 0 in the config selects it and is valid.
TEST(MailboxCapacity, ScalesWithTheShardCount) {
  EXPECT_EQ(mailbox_capacity_for(1), 32768u);
  EXPECT_EQ(mailbox_capacity_for(2), 32768u);
  EXPECT_EQ(mailbox_capacity_for(3), 16384u);
  EXPECT_EQ(mailbox_capacity_for(4), 16384u);
  EXPECT_EQ(mailbox_capacity_for(16), 4096u);
  EXPECT_EQ(mailbox_capacity_for(64), 1024u);
  EXPECT_EQ(mailbox_capacity_for(1024), 1024u);
  EngineConfig config;
  EXPECT_EQ(config.mailbox_capacity, 0u);
  EXPECT_TRUE(config.validate().ok());
  config.mailbox_capacity = 1000;
  EXPECT_FALSE(config.validate().ok());
  MailboxHub hub(2, 0);
  EXPECT_EQ(hub.queue(0, 1).capacity(), 32768u);
  MailboxHub small(2, 64);
  EXPECT_EQ(small.queue(1, 0).capacity(), 64u);
}

TEST(MailboxProtocol, ManyProducersOneConsumerNothingLostOrDuplicated) {
#ifdef RMQ_TEST_SANITIZED
  constexpr std::uint64_t kPerProducer = 20000;
#else
  constexpr std::uint64_t kPerProducer = 200000;
#endif
  constexpr std::uint32_t kProducers = 4;
  MailboxHub hub(kProducers + 1, 64);
  const ShardId consumer_id = kProducers;
  std::atomic<std::uint32_t> wakeups{0};
  std::atomic<std::uint64_t> full_events{0};

  std::vector<std::thread> producers;
  for (ShardId p = 0; p < kProducers; ++p) {
    producers.emplace_back(
        [&, p] { full_events.fetch_add(produce(hub, p, consumer_id, kPerProducer, wakeups)); });
  }

  std::vector<std::uint64_t> next(kProducers, 0);
  std::uint64_t received = 0;
  std::uint64_t out_of_order = 0;
  while (received < kPerProducer * kProducers) {
    const std::uint32_t seen_wakeups = wakeups.load(std::memory_order_seq_cst);
    hub.wake_pending(consumer_id).store(false, std::memory_order_seq_cst);
    std::size_t drained = 0;
    for (ShardId p = 0; p < kProducers; ++p) {
      drained += hub.queue(p, consumer_id).pop_batch(256, [&](const MailboxMessage& m) {
        if (m.u64 != next[m.source]) ++out_of_order;
        next[m.source] = m.u64 + 1;
        ++received;
      });
    }
    if (drained == 0) wakeups.wait(seen_wakeups, std::memory_order_seq_cst);
  }
  for (auto& t : producers) t.join();
  EXPECT_EQ(out_of_order, 0u);
  EXPECT_EQ(received, kPerProducer * kProducers);
  for (ShardId p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPerProducer);
  EXPECT_GT(full_events.load(), 0u) << "a 64-slot mailbox should have filled up";
}

TEST(MailboxHub, ReleasesPayloadsOfUndeliveredMessages) {
  SharedBytes payload = SharedBytes::copy_of("payload");
  {
    MailboxHub hub(2, 8);
    MailboxMessage message;
    message.bytes = payload.share().into_raw();
    ASSERT_TRUE(hub.queue(0, 1).try_push(message));
    EXPECT_EQ(payload.use_count(), 2u);
  }
  EXPECT_EQ(payload.use_count(), 1u);
}

}  // namespace
}  // namespace rmq::engine
