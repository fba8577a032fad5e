// SendQueue: a connection's outgoing byte slices while it has any, plus the msghdr and iovec array
// of its one sendmsg in flight. Taken from the shard's FreeList when the first slice is queued and
// given back once drained, so an idle connection owns none.
//
// Invariants: slices are sent front to back; the first `front_offset_` bytes of the front slice
// have left already; queued_bytes() counts every byte not yet sent (in flight included). While a
// sendmsg is in flight its iovecs point into the front slices, which therefore stay queued (the
// slice objects may move when the queue grows; the bytes they reference do not).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "engine/shared_bytes.h"

namespace rmq::engine {

class SendQueue {
 public:
  static constexpr std::size_t kMaxIov = 64;
  static constexpr std::uint32_t kInitialCapacity = 8;
  static constexpr std::uint32_t kMaxCachedCapacity = 1024;

  SendQueue();
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  void push(SharedBytes bytes);
  bool empty() const { return count_ == 0; }
  std::size_t slices() const { return count_; }
  std::size_t queued_bytes() const { return queued_bytes_; }

  // Points msg() at up to kMaxIov slices from the front; returns the bytes it covers.
  std::size_t prepare_send();
  msghdr* msg() { return &msg_; }
  std::size_t in_flight_bytes() const { return in_flight_bytes_; }
  // `sent` bytes of the prepared send left the socket.
  void complete_send(std::size_t sent);
  // Drops every slice; returns the bytes dropped.
  std::size_t clear();

  // FreeList hooks.
  void reset() { clear(); }
  bool reusable() const { return capacity_ <= kMaxCachedCapacity; }

 private:
  SharedBytes& at(std::uint32_t i) { return slots_[(head_ + i) & (capacity_ - 1)]; }
  void grow();
  void pop_front();

  std::unique_ptr<SharedBytes[]> slots_;
  std::uint32_t capacity_;
  std::uint32_t head_ = 0;
  std::uint32_t count_ = 0;
  std::size_t front_offset_ = 0;
  std::size_t queued_bytes_ = 0;
  std::size_t in_flight_bytes_ = 0;
  msghdr msg_{};
  iovec iov_[kMaxIov];
};

}  // namespace rmq::engine
