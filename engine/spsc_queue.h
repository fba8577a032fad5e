// SpscQueue<T>: a bounded, lock-free, single-producer single-consumer ring of trivially copyable
// values, with batched publication.
//
// Producer (one thread): try_push() stages a value in the ring; staged values become visible to
// the consumer only at publish(), so a burst costs one release store. try_push() returns false
// when the ring is full (staged values count), which the caller reports as backpressure.
// Consumer (one thread): pop_batch() hands out published values in order.
//
// Memory order: publish() stores the tail with seq_cst and the consumer's first tail load in a
// pop_batch() is seq_cst, so a producer that publishes and then reads a "wakeup pending" flag
// (seq_cst) and a consumer that clears that flag (seq_cst) and then pops cannot both miss each
// other: either the consumer sees the values or the producer sees the cleared flag and wakes it.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <type_traits>

#include "base/assert.h"

namespace rmq::engine {

template <typename T>
class SpscQueue {
  static_assert(std::is_trivially_copyable_v<T>, "SpscQueue holds trivially copyable values");

 public:
  explicit SpscQueue(std::uint32_t capacity)
      : mask_(capacity - 1), slots_(static_cast<T*>(std::calloc(capacity, sizeof(T)))) {
    RMQ_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0);
    RMQ_ASSERT(slots_ != nullptr);
  }
  SpscQueue(const SpscQueue&) = delete;
  SpscQueue& operator=(const SpscQueue&) = delete;

  std::uint32_t capacity() const { return static_cast<std::uint32_t>(mask_ + 1); }

  // Producer side.
  bool try_push(const T& value) {
    if (staged_tail_ - cached_head_ > mask_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (staged_tail_ - cached_head_ > mask_) return false;
    }
    slots_.get()[staged_tail_ & mask_] = value;
    ++staged_tail_;
    return true;
  }
  // Makes every staged value visible; returns whether there was anything to publish.
  bool publish() {
    if (staged_tail_ == published_tail_) return false;
    published_tail_ = staged_tail_;
    tail_.store(staged_tail_, std::memory_order_seq_cst);
    return true;
  }
  bool has_staged() const { return staged_tail_ != published_tail_; }

  // Consumer side. Calls consume(const T&) for up to `max` published values, oldest first.
  template <typename Consume>
  std::size_t pop_batch(std::size_t max, Consume&& consume) {
    std::uint64_t head = head_.load(std::memory_order_relaxed);
    std::size_t n = 0;
    while (n < max) {
      if (head == cached_tail_) {
        cached_tail_ = tail_.load(std::memory_order_seq_cst);
        if (head == cached_tail_) break;
      }
      T value = slots_.get()[head & mask_];
      ++head;
      ++n;
      head_.store(head, std::memory_order_release);
      consume(value);
    }
    return n;
  }
  // Whether published values are waiting (consumer side; a hint from any other thread).
  bool has_published() const {
    return tail_.load(std::memory_order_acquire) != head_.load(std::memory_order_acquire);
  }

 private:
  const std::uint64_t mask_;
  struct FreeSlots {
    void operator()(T* p) const { std::free(p); }
  };
  // calloc: a large ring is backed by untouched zero pages until used.
  std::unique_ptr<T, FreeSlots> slots_;
  alignas(64) std::atomic<std::uint64_t> head_{0};  // consumer writes
  alignas(64) std::atomic<std::uint64_t> tail_{0};  // producer publishes
  alignas(64) std::uint64_t staged_tail_ = 0;       // producer private
  std::uint64_t published_tail_ = 0;                // producer private
  std::uint64_t cached_head_ = 0;                   // producer private
  alignas(64) std::uint64_t cached_tail_ = 0;       // consumer private
};

}  // namespace rmq::engine
