// Block pool: memory blocks for per-message objects (SharedBytes, delivery batches), cached per
// thread by size class, so steady-state traffic takes its blocks from a cache instead of the heap.
//
// Each thread that allocates gets its own pool (lazily, on its first pool_allocate). A block
// remembers the pool it came from. Freeing:
//   - on the owning thread: the block goes onto that pool's list for its size class, up to a cap
//     per class (kCachedBytesPerClass); past the cap it goes back to the heap;
//   - on any other thread: the block is pushed onto the owning pool's return stack (a lock-free
//     multi-producer stack; pushes only, no ABA). The owner takes the whole stack with one
//     exchange when a size class runs dry and sorts it into its lists (same cap).
// So the memory a pool keeps is bounded: at most the cap per class in its lists, plus blocks freed
// since the owner last took its return stack (each of them was in use before, so no more than the
// thread's peak of blocks in use).
//
// Blocks larger than kMaxPooledBlock come from the heap and go straight back to it.
//
// Threads: pool_allocate uses the calling thread's pool; pool_free may be called on any thread.
// When a thread ends, its pool frees every cached block, closes its return stack (blocks freed
// later by other threads go to the heap) and is kept for the next new thread to adopt, so pools
// are bounded by the number of threads alive at once. Pools live until the process ends.
// Allocations a thread makes after its pool closed (during its own thread exit) use the heap.
//
// Under AddressSanitizer the bytes of a cached block are poisoned, so a use after free is still
// caught.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace rmq::engine {

// Size classes: blocks of 64, 128, ..., 16384 bytes, a 16-byte header included.
inline constexpr std::size_t kBlockHeaderSize = 16;
inline constexpr std::size_t kMinPooledBlock = 64;
inline constexpr std::size_t kMaxPooledBlock = 16 * 1024;
inline constexpr std::size_t kBlockClasses = 9;
// A pool caches up to this many bytes of blocks per size class (at least kMinCachedPerClass
// blocks), whatever the traffic.
inline constexpr std::size_t kCachedBytesPerClass = 256 * 1024;
inline constexpr std::size_t kMinCachedPerClass = 16;

// Largest pool_allocate size served from a pool.
inline constexpr std::size_t kMaxPooledSize = kMaxPooledBlock - kBlockHeaderSize;

// At least `size` bytes, aligned to 16. Throws std::bad_alloc only when the heap does.
void* pool_allocate(std::size_t size);
// Frees a block from pool_allocate, on any thread. Null is ignored.
void pool_free(void* p) noexcept;
// The usable bytes of a block from pool_allocate (at least what was asked for).
std::size_t pool_block_size(const void* p);

// The calling thread's pool, for tests and benchmarks.
struct BlockPoolStats {
  std::uint64_t heap_allocations = 0;  // blocks this pool took from the heap (cache misses)
  std::uint64_t reuses = 0;            // blocks handed out again from the cache
  std::uint64_t heap_frees = 0;        // blocks this pool gave back to the heap (over the cap)
  std::size_t cached_blocks = 0;       // blocks in the lists now (not counting the return stack)
  std::size_t cached_bytes = 0;
};
BlockPoolStats this_thread_block_pool_stats();
// Blocks of size class `size_class` the calling thread's pool caches at most.
std::size_t block_pool_class_cap(std::size_t size_class);
// Takes the calling thread's return stack now (as an allocation miss would).
void collect_returned_blocks();

// A standard allocator over the block pool: containers of per-message objects whose storage may
// be freed on another thread (e.g. one that crossed a mailbox).
template <typename T>
struct PoolAllocator {
  static_assert(alignof(T) <= 16, "pool blocks are aligned to 16 bytes");
  using value_type = T;

  PoolAllocator() = default;
  template <typename U>
  PoolAllocator(const PoolAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor)

  T* allocate(std::size_t n) {
    if (n > kMaxAllocation) throw std::bad_array_new_length();
    return static_cast<T*>(pool_allocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept { pool_free(p); }

  template <typename U>
  bool operator==(const PoolAllocator<U>&) const noexcept {
    return true;
  }

 private:
  static constexpr std::size_t kMaxAllocation = SIZE_MAX / sizeof(T);
};

}  // namespace rmq::engine
