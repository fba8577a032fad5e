// Allocation counter: a hook on the global allocation functions, so a benchmark or test can
// report how many heap allocations an operation really made instead of assuming it.
//
// Linking ringmq_bench_common replaces every form of the global operator new and operator delete
// (single and array; plain, nothrow, sized and aligned) for the whole program. Each call bumps
// counters of the calling thread, then allocates with malloc/posix_memalign or releases with free.
// Memory obtained from malloc directly (C libraries) is not seen.
//
// Threads: each thread counts into its own thread_local counters, which only it reads, and into
// process-wide atomic totals, which any thread may read (a relaxed snapshot: exact once the other
// threads are quiet).
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

// Every thread's counts since the process started.
AllocCounts process_alloc_counts();

// The calling thread's allocations between construction and each call to counts().
class AllocScope {
 public:
  AllocScope() : start_(thread_alloc_counts()) {}
  AllocCounts counts() const { return thread_alloc_counts() - start_; }

 private:
  AllocCounts start_;
};

// The allocations of all threads but the calling one between construction and each call to
// others(): what background threads (e.g. a server's) did while this thread watched. Construct
// and read it on the same thread.
class OtherThreadsAllocScope {
 public:
  OtherThreadsAllocScope() : process_start_(process_alloc_counts()) {}
  AllocCounts others() const { return (process_alloc_counts() - process_start_) - own_.counts(); }

 private:
  AllocCounts process_start_;
  AllocScope own_;
};

}  // namespace rmq::bench
