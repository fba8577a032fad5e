// Allocation counter: a hook on the global allocation functions, so a benchmark or test can
// report how many heap allocations an operation really made instead of assuming it.
//
// Linking ringmq_bench_common replaces every form of the global operator new and operator delete
// (single and array; plain, nothrow, sized and aligned) for the whole program. Each call bumps
// counters of the calling thread, then allocates with malloc/posix_memalign or releases with free.
// Memory obtained from malloc directly (C libraries) is not seen.
//
// Threads: the counters are thread_local; a thread reads only its own, without synchronisation.
#pragma once

#include <cstdint>

namespace rmq::bench {

struct AllocCounts {
  std::uint64_t allocations = 0;    // operator new calls that returned memory
  std::uint64_t deallocations = 0;  // operator delete calls with a non-null pointer
  std::uint64_t bytes = 0;          // bytes asked of operator new (before any rounding)

  friend AllocCounts operator-(const AllocCounts& a, const AllocCounts& b) {
    return {a.allocations - b.allocations, a.deallocations - b.deallocations, a.bytes - b.bytes};
  }
  friend bool operator==(const AllocCounts&, const AllocCounts&) = default;
};

// The calling thread's counts since the thread started.
AllocCounts thread_alloc_counts();

// The calling thread's allocations between construction and each call to counts().
class AllocScope {
 public:
  AllocScope() : start_(thread_alloc_counts()) {}
  AllocCounts counts() const { return thread_alloc_counts() - start_; }

 private:
  AllocCounts start_;
};

}  // namespace rmq::bench
