#include "bench/common/alloc_counter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace rmq::bench {
namespace {

// Makes `p` observable so the compiler cannot drop the allocation that produced it.
void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

TEST(AllocCounterTest, CountsSingleObjectNewAndDelete) {
  AllocScope scope;
  int* p = new int(7);
  escape(p);
  EXPECT_EQ(scope.counts().allocations, 1u);
  EXPECT_EQ(scope.counts().bytes, sizeof(int));
  EXPECT_EQ(scope.counts().deallocations, 0u);
  delete p;
  EXPECT_EQ(scope.counts().deallocations, 1u);
}

TEST(AllocCounterTest, CountsArrayForms) {
  AllocScope scope;
  auto* p = new std::uint64_t[10];
  escape(p);
  EXPECT_EQ(scope.counts().allocations, 1u);
  EXPECT_GE(scope.counts().bytes, 10 * sizeof(std::uint64_t));
  delete[] p;
  EXPECT_EQ(scope.counts().deallocations, 1u);
}

struct alignas(128) Overaligned {
  char bytes[128];
};

TEST(AllocCounterTest, CountsAlignedNewAndKeepsTheAlignment) {
  AllocScope scope;
  auto* one = new Overaligned;
  auto* many = new Overaligned[3];
  escape(one);
  escape(many);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(one) % 128, 0u);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(many) % 128, 0u);
  EXPECT_EQ(scope.counts().allocations, 2u);
  delete one;
  delete[] many;
  EXPECT_EQ(scope.counts().deallocations, 2u);
}

TEST(AllocCounterTest, CountsNothrowAndDirectCalls) {
  AllocScope scope;
  int* a = new (std::nothrow) int(1);
  int* b = new (std::nothrow) int[4];
  void* c = ::operator new(24);
  void* d = ::operator new (64, std::align_val_t{64});
  escape(a);
  escape(b);
  escape(c);
  escape(d);
  EXPECT_EQ(scope.counts().allocations, 4u);
  EXPECT_EQ(scope.counts().bytes, sizeof(int) + 4 * sizeof(int) + 24 + 64);
  delete a;
  delete[] b;
#ifdef __cpp_sized_deallocation  // clang enables sized deallocation only on request
  ::operator delete(c, 24);
  ::operator delete (d, 64, std::align_val_t{64});
#else
  ::operator delete(c);
  ::operator delete (d, std::align_val_t{64});
#endif
  EXPECT_EQ(scope.counts().deallocations, 4u);
}

TEST(AllocCounterTest, ZeroSizeNewReturnsDistinctPointers) {
  AllocScope scope;
  void* a = ::operator new(0);
  void* b = ::operator new(0);
  EXPECT_NE(a, b);
  ::operator delete(a);
  ::operator delete(b);
  EXPECT_EQ(scope.counts().allocations, 2u);
  EXPECT_EQ(scope.counts().deallocations, 2u);
}

TEST(AllocCounterTest, DeleteOfNullIsNotCounted) {
  AllocScope scope;
  int* p = nullptr;
  escape(&p);
  delete p;
  ::operator delete(nullptr);
  EXPECT_EQ(scope.counts(), AllocCounts{});
}

TEST(AllocCounterTest, SeesStandardContainers) {
  AllocScope scope;
  {
    std::vector<int> v(100);
    std::string s(200, 'x');
    auto u = std::make_unique<double>(1.5);
    escape(v.data());
    escape(s.data());
    escape(u.get());
  }
  EXPECT_EQ(scope.counts().allocations, 3u);
  EXPECT_EQ(scope.counts().deallocations, 3u);
}

TEST(AllocCounterTest, NoAllocationCountsZero) {
  AllocScope scope;
  int on_stack[16] = {};
  escape(on_stack);
  EXPECT_EQ(scope.counts(), AllocCounts{});
}

TEST(AllocCounterTest, CountersArePerThread) {
  AllocScope main_scope;
  AllocCounts other{};
  std::thread worker([&other] {
    AllocScope scope;
    for (int i = 0; i < 5; ++i) {
      int* p = new int(i);
      escape(p);
      delete p;
    }
    other = scope.counts();
  });
  // std::thread's own state is allocated by this thread; take the count after the join so that
  // only the worker's allocations could leak into it.
  worker.join();
  const AllocCounts mine = main_scope.counts();
  EXPECT_EQ(other.allocations, 5u);
  EXPECT_EQ(other.deallocations, 5u);
  EXPECT_LE(mine.allocations, 1u);  // at most the thread's launch state
}

TEST(AllocCounterTest, OtherThreadsScopeSeesOnlyTheOtherThreads) {
  OtherThreadsAllocScope scope;
  std::vector<int*> mine;
  for (int i = 0; i < 3; ++i) mine.push_back(new int(i));
  std::thread worker([] {
    for (int i = 0; i < 5; ++i) {
      int* p = new int(i);
      escape(p);
      delete p;
    }
  });
  worker.join();
  for (int* p : mine) delete p;
  // The worker's five, and nothing of this thread's (its vector, its ints, the thread's launch
  // state). The worker frees its launch state, which this thread allocated: one more delete.
  EXPECT_EQ(scope.others().allocations, 5u);
  EXPECT_EQ(scope.others().bytes, 5 * sizeof(int));
  EXPECT_GE(scope.others().deallocations, 5u);
  EXPECT_LE(scope.others().deallocations, 6u);
}

TEST(AllocCounterTest, ProcessCountsIncludeThisThread) {
  const AllocCounts before = process_alloc_counts();
  int* p = new int(3);
  escape(p);
  delete p;
  const AllocCounts delta = process_alloc_counts() - before;
  EXPECT_GE(delta.allocations, 1u);
  EXPECT_GE(delta.deallocations, 1u);
}

}  // namespace
}  // namespace rmq::bench
