#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "engine/iovec_arena.h"
#include "engine/recv_tail.h"
#include "engine/send_queue.h"
#include "engine/shared_bytes.h"
#include "engine/types.h"
#include "engine/user_data.h"

namespace rmq::engine {
namespace {

TEST(SharedBytes, ShareSliceAndReleaseCountReferences) {
  SharedBytes a = SharedBytes::copy_of("hello world");
  EXPECT_EQ(a.view(), "hello world");
  EXPECT_EQ(a.use_count(), 1u);
  SharedBytes b = a.share();
  SharedBytes c = a.slice(6, 5);
  EXPECT_EQ(c.view(), "world");
  EXPECT_EQ(a.use_count(), 3u);
  b.release();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(a.use_count(), 2u);
  SharedBytes moved = std::move(c);
  EXPECT_EQ(moved.view(), "world");
  EXPECT_EQ(a.use_count(), 2u);
}

TEST(SharedBytes, BuilderWritesOnceThenPublishes) {
  SharedBytes::Builder builder(16);
  auto out = builder.writable();
  ASSERT_EQ(out.size(), 16u);
  for (std::size_t i = 0; i < 4; ++i) out[i] = std::byte{static_cast<unsigned char>('a' + i)};
  SharedBytes bytes = std::move(builder).finish(4);
  EXPECT_EQ(bytes.view(), "abcd");
}

TEST(SharedBytes, RawRoundTripKeepsTheReference) {
  SharedBytes a = SharedBytes::copy_of("xyz");
  SharedBytes::Raw raw = a.slice(1, 2).into_raw();
  EXPECT_EQ(a.use_count(), 2u);
  SharedBytes back = SharedBytes::from_raw(raw);
  EXPECT_EQ(back.view(), "yz");
  back.release();
  EXPECT_EQ(a.use_count(), 1u);
}

TEST(SharedBytes, ReferencesMayBeDroppedOnOtherThreads) {
  SharedBytes a = SharedBytes::copy_of("shared across threads");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    std::vector<SharedBytes> mine;
    for (int i = 0; i < 1000; ++i) mine.push_back(a.share());
    threads.emplace_back([held = std::move(mine)]() mutable { held.clear(); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(a.use_count(), 1u);
}

TEST(SendQueue, PartialSendsAdvanceThroughSlices) {
  iovec iov[SendQueue::kMaxIov];
  SendQueue queue;
  queue.push(SharedBytes::copy_of("abc"));
  queue.push(SharedBytes::copy_of("defgh"));
  queue.push(SharedBytes::copy_of("ij"));
  EXPECT_EQ(queue.queued_bytes(), 10u);
  EXPECT_EQ(queue.prepare_send(iov), 10u);
  EXPECT_EQ(queue.msg()->msg_iovlen, 3u);
  queue.complete_send(4);  // "abc" + "d"
  EXPECT_EQ(queue.queued_bytes(), 6u);
  EXPECT_EQ(queue.slices(), 2u);
  EXPECT_EQ(queue.prepare_send(iov), 6u);
  const iovec& first = queue.msg()->msg_iov[0];
  EXPECT_EQ(std::string(static_cast<const char*>(first.iov_base), first.iov_len), "efgh");
  queue.complete_send(6);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.queued_bytes(), 0u);
}

TEST(SendQueue, GrowsPastItsInitialCapacityAndGathersAtMostTheIovecsItIsLent) {
  constexpr std::size_t kSlices = 3000;
  static_assert(kSlices > 2 * SendQueue::kMaxIov);
  std::vector<iovec> iov(SendQueue::kMaxIov);
  SendQueue queue;
  SharedBytes one = SharedBytes::copy_of("x");
  for (std::size_t i = 0; i < kSlices; ++i) queue.push(one.share());
  EXPECT_EQ(one.use_count(), kSlices + 1);
  EXPECT_EQ(queue.prepare_send(iov), SendQueue::kMaxIov);
  EXPECT_EQ(queue.msg()->msg_iovlen, SendQueue::kMaxIov);
  queue.complete_send(SendQueue::kMaxIov);
  EXPECT_EQ(queue.slices(), kSlices - SendQueue::kMaxIov);
  // Fewer iovecs lent (the shard's arena ran short): fewer slices gathered.
  EXPECT_EQ(queue.prepare_send(std::span(iov).first(10)), 10u);
  EXPECT_EQ(queue.msg()->msg_iovlen, 10u);
  queue.complete_send(10);
  EXPECT_EQ(queue.clear(), kSlices - SendQueue::kMaxIov - 10);
  EXPECT_EQ(one.use_count(), 1u);
}

TEST(IovecArena, LendsUntilFullAndRecyclesWhole) {
  IovecArena arena(100);
  EXPECT_EQ(arena.take(60).size(), 60u);
  const std::span<iovec> rest = arena.take(60);
  EXPECT_EQ(rest.size(), 40u) << "only what is left";
  EXPECT_EQ(arena.available(), 0u);
  EXPECT_TRUE(arena.take(1).empty());
  arena.recycle();
  EXPECT_EQ(arena.available(), 100u);
  EXPECT_EQ(arena.take(100).data(), rest.data() - 60) << "the same memory again";
}

TEST(RecvTail, AppendConsumeCompacts) {
  RecvTail tail;
  const std::string text = "0123456789";
  tail.append(std::as_bytes(std::span(text.data(), text.size())));
  tail.consume(4);
  EXPECT_EQ(tail.size(), 6u);
  tail.append(std::as_bytes(std::span(text.data(), 2)));
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(tail.bytes().data()), tail.size()),
            "45678901");
  tail.consume(8);
  EXPECT_TRUE(tail.empty());
}

TEST(ConnId, PacksShardSlotAndGeneration) {
  ConnId id(1023, kMaxSlotsPerShard - 1, 0xfffffffeu);
  EXPECT_EQ(id.shard(), 1023u);
  EXPECT_EQ(id.slot(), kMaxSlotsPerShard - 1);
  EXPECT_EQ(id.generation(), 0xfffffffeu);
  EXPECT_TRUE(id.valid());
  EXPECT_FALSE(ConnId().valid());
  EXPECT_EQ(ConnId::from_raw(id.raw()), id);
}

TEST(UserData, RoundTripsAtRuntime) {
  const std::uint64_t raw = encode_user_data(OpTag::kRecv, 123456, 0xabcdef12);
  const UserData ud = decode_user_data(raw);
  EXPECT_EQ(ud.tag, OpTag::kRecv);
  EXPECT_EQ(ud.index, 123456u);
  EXPECT_EQ(ud.generation24, 0xabcdef12u & kGenerationMask);
}

}  // namespace
}  // namespace rmq::engine
