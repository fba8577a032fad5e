// Replacements for the global allocation functions ([new.delete] in the C++ standard), counting
// into thread-local counters. See alloc_counter.h.
#include "bench/common/alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace rmq::bench {
namespace {

// Constant-initialised and trivially destructible, so it is usable from operator new at any point
// of a thread's life (including before main and during thread exit).
constinit thread_local AllocCounts tl_counts{};

// The same counts summed over every thread (relaxed: totals, no ordering with anything else).
constinit std::atomic<std::uint64_t> g_allocations{0};
constinit std::atomic<std::uint64_t> g_deallocations{0};
constinit std::atomic<std::uint64_t> g_bytes{0};

void note_allocation(std::size_t size) {
  ++tl_counts.allocations;
  tl_counts.bytes += size;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_bytes.fetch_add(size, std::memory_order_relaxed);
}

void note_deallocation(void* p) {
  if (p == nullptr) return;
  ++tl_counts.deallocations;
  g_deallocations.fetch_add(1, std::memory_order_relaxed);
}

// malloc or posix_memalign; nullptr on failure. `alignment` 0 means the default alignment.
void* raw_allocate(std::size_t size, std::size_t alignment) {
  if (size == 0) size = 1;  // operator new(0) must return a unique pointer
  if (alignment <= alignof(std::max_align_t)) return std::malloc(size);
  void* p = nullptr;
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  return posix_memalign(&p, alignment, size) == 0 ? p : nullptr;
}

// The throwing forms: retry through the new-handler, then throw std::bad_alloc.
void* allocate_or_throw(std::size_t size, std::size_t alignment) {
  for (;;) {
    if (void* p = raw_allocate(size, alignment)) {
      note_allocation(size);
      return p;
    }
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* allocate_or_null(std::size_t size, std::size_t alignment) noexcept {
  try {
    return allocate_or_throw(size, alignment);
  } catch (...) {
    return nullptr;
  }
}

void release(void* p) noexcept {
  note_deallocation(p);
  std::free(p);
}

std::size_t to_size(std::align_val_t alignment) { return static_cast<std::size_t>(alignment); }

}  // namespace

AllocCounts thread_alloc_counts() { return tl_counts; }

AllocCounts process_alloc_counts() {
  return {g_allocations.load(std::memory_order_relaxed),
          g_deallocations.load(std::memory_order_relaxed), g_bytes.load(std::memory_order_relaxed)};
}

}  // namespace rmq::bench

using rmq::bench::allocate_or_null;
using rmq::bench::allocate_or_throw;
using rmq::bench::release;
using rmq::bench::to_size;

// NOLINTBEGIN(readability-inconsistent-declaration-parameter-name)
void* operator new(std::size_t size) { return allocate_or_throw(size, 0); }
void* operator new[](std::size_t size) { return allocate_or_throw(size, 0); }
void* operator new(std::size_t size, std::align_val_t al) {
  return allocate_or_throw(size, to_size(al));
}
void* operator new[](std::size_t size, std::align_val_t al) {
  return allocate_or_throw(size, to_size(al));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, 0);
}
void* operator new(std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, to_size(al));
}
void* operator new[](std::size_t size, std::align_val_t al, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, to_size(al));
}

void operator delete(void* p) noexcept { release(p); }
void operator delete[](void* p) noexcept { release(p); }
void operator delete(void* p, std::size_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t) noexcept { release(p); }
void operator delete(void* p, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { release(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { release(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { release(p); }
// NOLINTEND(readability-inconsistent-declaration-parameter-name)
