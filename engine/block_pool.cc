#include "engine/block_pool.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "base/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define RMQ_BLOCK_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RMQ_BLOCK_POOL_ASAN 1
#endif
#endif
#ifdef RMQ_BLOCK_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace rmq::engine {
namespace {

class BlockPool;

constexpr std::uint32_t kHeapClass = UINT32_MAX;  // a block that bypasses the pools

// In front of every block. `owner` while the block is in use (null for heap-class blocks), `next`
// while it is cached in a list or waiting on a return stack.
struct alignas(16) BlockHeader {
  union {
    BlockPool* owner;
    BlockHeader* next;
  };
  std::uint32_t size_class;
  std::uint32_t usable;  // bytes after the header

  void* data() { return this + 1; }
};
static_assert(sizeof(BlockHeader) == kBlockHeaderSize, "the header is what block sizes assume");

BlockHeader* header_of(const void* p) {
  return reinterpret_cast<BlockHeader*>(
      const_cast<std::byte*>(static_cast<const std::byte*>(p) - kBlockHeaderSize));
}

constexpr std::size_t class_block_bytes(std::size_t size_class) {
  return kMinPooledBlock << size_class;
}
static_assert(class_block_bytes(kBlockClasses - 1) == kMaxPooledBlock, "classes span the range");

std::size_t class_of(std::size_t size) {
  const std::size_t block = std::bit_ceil(std::max(size + kBlockHeaderSize, kMinPooledBlock));
  return static_cast<std::size_t>(std::countr_zero(block) - std::countr_zero(kMinPooledBlock));
}

constexpr std::size_t class_cap(std::size_t size_class) {
  return std::max(kMinCachedPerClass, kCachedBytesPerClass / class_block_bytes(size_class));
}

void poison(BlockHeader* h) {
#ifdef RMQ_BLOCK_POOL_ASAN
  ASAN_POISON_MEMORY_REGION(h->data(), h->usable);
#else
  static_cast<void>(h);
#endif
}

void unpoison(BlockHeader* h) {
#ifdef RMQ_BLOCK_POOL_ASAN
  ASAN_UNPOISON_MEMORY_REGION(h->data(), h->usable);
#else
  static_cast<void>(h);
#endif
}

BlockHeader* heap_block(std::size_t usable, std::uint32_t size_class, BlockPool* owner) {
  RMQ_ASSERT(usable <= UINT32_MAX - kBlockHeaderSize);
  auto* h = new (::operator new(kBlockHeaderSize + usable)) BlockHeader;
  h->owner = owner;
  h->size_class = size_class;
  h->usable = static_cast<std::uint32_t>(usable);
  return h;
}

void heap_free(BlockHeader* h) {
  unpoison(h);
  h->~BlockHeader();
  ::operator delete(h);
}

// The return stack of a pool whose thread has ended: blocks freed into it go to the heap.
BlockHeader* closed_mark() { return reinterpret_cast<BlockHeader*>(std::uintptr_t{1}); }

// One thread's cache. Everything but returned_ belongs to the owning thread.
class BlockPool {
 public:
  BlockHeader* take(std::size_t size_class);
  // On the owning thread: keeps `h` for reuse, or frees it over the class cap.
  void cache_or_free(BlockHeader* h);
  // On any other thread.
  void push_returned(BlockHeader* h);
  void collect();
  // open() when a thread adopts the pool; close() when that thread ends.
  void open();
  void close();
  BlockPoolStats stats() const { return stats_; }

 private:
  struct ClassList {
    BlockHeader* head = nullptr;
    std::size_t count = 0;
  };

  ClassList lists_[kBlockClasses];
  BlockPoolStats stats_;
  alignas(64) std::atomic<BlockHeader*> returned_{nullptr};
};

BlockHeader* BlockPool::take(std::size_t size_class) {
  ClassList& list = lists_[size_class];
  if (list.head == nullptr) collect();
  BlockHeader* h = list.head;
  if (h == nullptr) {
    ++stats_.heap_allocations;
    return heap_block(class_block_bytes(size_class) - kBlockHeaderSize,
                      static_cast<std::uint32_t>(size_class), this);
  }
  list.head = h->next;
  --list.count;
  --stats_.cached_blocks;
  stats_.cached_bytes -= class_block_bytes(size_class);
  ++stats_.reuses;
  h->owner = this;
  unpoison(h);
  return h;
}

void BlockPool::cache_or_free(BlockHeader* h) {
  ClassList& list = lists_[h->size_class];
  if (list.count >= class_cap(h->size_class)) {
    ++stats_.heap_frees;
    heap_free(h);
    return;
  }
  poison(h);
  h->next = list.head;
  list.head = h;
  ++list.count;
  ++stats_.cached_blocks;
  stats_.cached_bytes += class_block_bytes(h->size_class);
}

void BlockPool::push_returned(BlockHeader* h) {
  poison(h);
  BlockHeader* head = returned_.load(std::memory_order_relaxed);
  do {
    if (head == closed_mark()) {
      heap_free(h);
      return;
    }
    h->next = head;
  } while (!returned_.compare_exchange_weak(head, h, std::memory_order_release,
                                            std::memory_order_relaxed));
}

void BlockPool::collect() {
  BlockHeader* h = returned_.exchange(nullptr, std::memory_order_acquire);
  RMQ_DCHECK(h != closed_mark());
  while (h != nullptr) {
    BlockHeader* next = h->next;
    cache_or_free(h);
    h = next;
  }
}

void BlockPool::open() {
  stats_ = BlockPoolStats{};
  returned_.store(nullptr, std::memory_order_relaxed);  // the registry's mutex orders this
}

void BlockPool::close() {
  BlockHeader* h = returned_.exchange(closed_mark(), std::memory_order_acquire);
  while (h != nullptr) {
    heap_free(std::exchange(h, h->next));
  }
  for (ClassList& list : lists_) {
    while (list.head != nullptr) heap_free(std::exchange(list.head, list.head->next));
    list.count = 0;
  }
  stats_.cached_blocks = 0;
  stats_.cached_bytes = 0;
}

// Every pool ever made, and those whose thread has ended (to be adopted). Never destroyed, so
// blocks freed during static destruction still find their pool.
class PoolRegistry {
 public:
  BlockPool* acquire() {
    std::lock_guard lock(mutex_);
    BlockPool* pool = nullptr;
    if (!idle_.empty()) {
      pool = idle_.back();
      idle_.pop_back();
    } else {
      all_.push_back(std::make_unique<BlockPool>());
      pool = all_.back().get();
    }
    pool->open();
    return pool;
  }

  void retire(BlockPool* pool) {
    pool->close();
    std::lock_guard lock(mutex_);
    idle_.push_back(pool);
  }

 private:
  std::mutex mutex_;
  std::vector<std::unique_ptr<BlockPool>> all_;
  std::vector<BlockPool*> idle_;
};

PoolRegistry& registry() {
  static PoolRegistry* const instance = new PoolRegistry;
  return *instance;
}

// Trivially destructible, so usable at any point of a thread's life.
constinit thread_local BlockPool* tl_pool = nullptr;
constinit thread_local bool tl_pool_retired = false;

// Hands the thread's pool back to the registry when the thread ends.
struct ThreadPoolRetirer {
  bool armed = false;
  ~ThreadPoolRetirer() {
    if (tl_pool == nullptr) return;
    BlockPool* pool = std::exchange(tl_pool, nullptr);
    tl_pool_retired = true;
    registry().retire(pool);
  }
};
thread_local ThreadPoolRetirer tl_retirer;

// The calling thread's pool; null once it was retired (during thread exit).
BlockPool* this_thread_pool() {
  if (tl_pool != nullptr) [[likely]] {
    return tl_pool;
  }
  if (tl_pool_retired) return nullptr;
  tl_retirer.armed = true;  // the first use registers its destructor for this thread
  tl_pool = registry().acquire();
  return tl_pool;
}

}  // namespace

void* pool_allocate(std::size_t size) {
  if (size <= kMaxPooledSize) {
    if (BlockPool* pool = this_thread_pool()) return pool->take(class_of(size))->data();
  }
  return heap_block(size, kHeapClass, nullptr)->data();
}

void pool_free(void* p) noexcept {
  if (p == nullptr) return;
  BlockHeader* h = header_of(p);
  if (h->size_class == kHeapClass) {
    heap_free(h);
    return;
  }
  BlockPool* owner = h->owner;
  RMQ_DCHECK(owner != nullptr);
  if (owner == tl_pool) {
    owner->cache_or_free(h);
  } else {
    owner->push_returned(h);
  }
}

std::size_t pool_block_size(const void* p) { return header_of(p)->usable; }

BlockPoolStats this_thread_block_pool_stats() {
  BlockPool* pool = this_thread_pool();
  return pool != nullptr ? pool->stats() : BlockPoolStats{};
}

std::size_t block_pool_class_cap(std::size_t size_class) {
  RMQ_ASSERT(size_class < kBlockClasses);
  return class_cap(size_class);
}

void collect_returned_blocks() {
  if (BlockPool* pool = this_thread_pool()) pool->collect();
}

}  // namespace rmq::engine
