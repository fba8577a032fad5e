#include "engine/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "engine/shared_bytes.h"

#if defined(__SANITIZE_ADDRESS__)
#define RMQ_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RMQ_TEST_ASAN 1
#endif
#endif

namespace rmq::engine {
namespace {

std::vector<void*> allocate_many(std::size_t count, std::size_t size) {
  std::vector<void*> blocks;
  blocks.reserve(count);
  for (std::size_t i = 0; i < count; ++i) blocks.push_back(pool_allocate(size));
  return blocks;
}

void free_all(const std::vector<void*>& blocks) {
  for (void* p : blocks) pool_free(p);
}

TEST(BlockPoolTest, ReusesABlockFreedOnTheSameThread) {
  void* first = pool_allocate(100);
  pool_free(first);
  const BlockPoolStats before = this_thread_block_pool_stats();
  void* again = pool_allocate(100);
  const BlockPoolStats after = this_thread_block_pool_stats();
  EXPECT_EQ(again, first);
  EXPECT_EQ(after.heap_allocations, before.heap_allocations);
  EXPECT_EQ(after.reuses, before.reuses + 1);
  pool_free(again);
}

TEST(BlockPoolTest, SizesRoundUpToTheClassAndAlignTo16) {
  const std::size_t sizes[] = {0, 1, 48, 49, 100, 1000, 5000, kMaxPooledSize};
  const std::size_t usable[] = {48, 48, 48, 112, 112, 1008, 8176, kMaxPooledSize};
  for (std::size_t i = 0; i < std::size(sizes); ++i) {
    void* p = pool_allocate(sizes[i]);
    EXPECT_EQ(pool_block_size(p), usable[i]) << "size " << sizes[i];
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % 16, 0u);
    std::memset(p, 0xAB, pool_block_size(p));  // all of it is writable
    pool_free(p);
  }
}

TEST(BlockPoolTest, LargeBlocksComeFromTheHeap) {
  const BlockPoolStats before = this_thread_block_pool_stats();
  void* p = pool_allocate(kMaxPooledSize + 1);
  EXPECT_EQ(pool_block_size(p), kMaxPooledSize + 1);
  pool_free(p);
  const BlockPoolStats after = this_thread_block_pool_stats();
  EXPECT_EQ(after.heap_allocations, before.heap_allocations);
  EXPECT_EQ(after.cached_blocks, before.cached_blocks);
}

TEST(BlockPoolTest, EachClassCachesAtMostItsCap) {
  const std::size_t cap = block_pool_class_cap(0);
  EXPECT_EQ(cap, kCachedBytesPerClass / kMinPooledBlock);
  EXPECT_EQ(block_pool_class_cap(kBlockClasses - 1), kMinCachedPerClass);
  collect_returned_blocks();
  const std::vector<void*> blocks = allocate_many(cap + 50, 16);
  const BlockPoolStats before_free = this_thread_block_pool_stats();
  free_all(blocks);
  const BlockPoolStats after_free = this_thread_block_pool_stats();
  EXPECT_EQ(after_free.heap_frees, before_free.heap_frees + 50);
  // The cache holds exactly `cap` blocks of that class now: `cap` allocations reuse, one more
  // goes to the heap.
  const std::vector<void*> reused = allocate_many(cap, 16);
  EXPECT_EQ(this_thread_block_pool_stats().heap_allocations, after_free.heap_allocations);
  void* extra = pool_allocate(16);
  EXPECT_EQ(this_thread_block_pool_stats().heap_allocations, after_free.heap_allocations + 1);
  pool_free(extra);
  free_all(reused);
}

TEST(BlockPoolTest, BlocksFreedOnAnotherThreadGoBackToTheirOwner) {
  constexpr std::size_t kCount = 200;
  const std::vector<void*> blocks = allocate_many(kCount, 200);
  std::thread other([&] { free_all(blocks); });
  other.join();
  const BlockPoolStats before = this_thread_block_pool_stats();
  const std::vector<void*> again = allocate_many(kCount, 200);
  const BlockPoolStats after = this_thread_block_pool_stats();
  EXPECT_EQ(after.heap_allocations, before.heap_allocations);
  EXPECT_EQ(after.reuses, before.reuses + kCount);
  free_all(again);
}

TEST(BlockPoolTest, ManyThreadsReturnToOnePoolAtOnce) {
  // 400 blocks of the 512-byte class: under its cap, so all of them can be kept.
  constexpr std::size_t kThreads = 4;
  constexpr std::size_t kPerThread = 100;
  std::vector<std::vector<void*>> handed(kThreads);
  for (auto& blocks : handed) blocks = allocate_many(kPerThread, 300);
  std::vector<std::thread> threads;
  for (auto& blocks : handed) {
    threads.emplace_back([&blocks] {
      for (void* p : blocks) {
        std::memset(p, 1, 300);  // the freeing thread used the bytes
        pool_free(p);
      }
    });
  }
  // Meanwhile the owner keeps allocating and freeing (collecting what arrives).
  for (int i = 0; i < 2000; ++i) pool_free(pool_allocate(300));
  for (std::thread& t : threads) t.join();
  const BlockPoolStats before = this_thread_block_pool_stats();
  const std::vector<void*> again = allocate_many(kThreads * kPerThread, 300);
  EXPECT_EQ(this_thread_block_pool_stats().heap_allocations, before.heap_allocations);
  free_all(again);
}

TEST(BlockPoolTest, BlocksMayOutliveTheThreadThatMadeThem) {
  std::vector<void*> orphans;
  std::thread maker([&] {
    orphans = allocate_many(100, 64);
    free_all(allocate_many(50, 64));  // some cached when the thread ends
  });
  maker.join();
  for (void* p : orphans) std::memset(p, 2, 64);
  free_all(orphans);  // the maker's pool is closed: these go to the heap
  // A new thread adopts a retired pool, which starts empty, and works as usual.
  BlockPoolStats fresh;
  std::thread adopter([&] {
    fresh = this_thread_block_pool_stats();
    pool_free(pool_allocate(64));
  });
  adopter.join();
  EXPECT_EQ(fresh.cached_blocks, 0u);
  EXPECT_EQ(fresh.heap_allocations, 0u);
}

TEST(BlockPoolTest, PoolAllocatorBacksStandardContainers) {
  std::vector<std::uint64_t, PoolAllocator<std::uint64_t>> numbers;
  for (std::uint64_t i = 0; i < 1000; ++i) numbers.push_back(i);
  EXPECT_EQ(numbers[999], 999u);
  auto* moved = new std::vector<std::uint64_t, PoolAllocator<std::uint64_t>>(std::move(numbers));
  std::thread other([moved] { delete moved; });  // freed on another thread
  other.join();
}

TEST(BlockPoolTest, SharedBytesReleasedElsewhereAreReusedByTheirOwner) {
  SharedBytes bytes = SharedBytes::copy_of(std::string_view("a message"));
  const std::byte* data = bytes.data();
  std::thread other([b = std::move(bytes)]() mutable { b.release(); });
  other.join();
  collect_returned_blocks();
  const BlockPoolStats before = this_thread_block_pool_stats();
  SharedBytes again = SharedBytes::copy_of(std::string_view("next one!"));
  EXPECT_EQ(again.data(), data);
  EXPECT_EQ(this_thread_block_pool_stats().heap_allocations, before.heap_allocations);
}

#ifdef RMQ_TEST_ASAN
TEST(BlockPoolDeathTest, UsingACachedBlockIsReported) {
  EXPECT_DEATH(
      {
        auto* p = static_cast<volatile char*>(pool_allocate(100));
        pool_free(const_cast<char*>(p));
        p[0] = 1;
      },
      "use-after-poison");
}
#endif

}  // namespace
}  // namespace rmq::engine
