// SendQueue: a connection's outgoing byte slices while it has any, plus the msghdr of its one
// sendmsg in flight. Taken from the shard's FreeList when the first slice is queued and given back
// once drained, so an idle connection owns none. The iovec array of a send is not here: the shard
// lends it from its IovecArena, for no longer than it takes to submit the send.
//
// Invariants: slices are sent front to back; the first `front_offset_` bytes of the front slice
// have left already; queued_bytes() counts every byte not yet sent (in flight included). At most
// one sendmsg per queue is prepared or in flight at a time; its iovecs point into the front
// slices, which therefore stay queued until it completes (the slice objects may move when the
// queue grows; the bytes they reference do not).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "engine/shared_bytes.h"

namespace rmq::engine {

class SendQueue {
 public:
  // Slices one sendmsg gathers at most: the kernel's limit (UIO_MAXIOV; sendmsg fails with
  // EMSGSIZE above it).
  static constexpr std::size_t kMaxIov = 1024;
  static_assert(kMaxIov <= IOV_MAX);
  static constexpr std::uint32_t kInitialCapacity = 8;
  static constexpr std::uint32_t kMaxCachedCapacity = 1024;

  SendQueue();
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;

  void push(SharedBytes bytes);
  bool empty() const { return count_ == 0; }
  std::size_t slices() const { return count_; }
  std::size_t queued_bytes() const { return queued_bytes_; }

  // Fills `iov` with up to iov.size() (<= kMaxIov) slices from the front, points msg() at them and
  // returns the bytes they cover. `iov` must stay valid until the send is submitted.
  std::size_t prepare_send(std::span<iovec> iov);
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
};

}  // namespace rmq::engine
