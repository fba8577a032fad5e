// IovecArena: the iovec arrays of a shard's sendmsg requests, from preparation to submission.
//
// The kernel copies a sendmsg's msghdr and iovec array when it consumes the SQE (every kernel with
// IORING_FEAT_SUBMIT_STABLE, 5.5+; the shard checks the flag at start), so an array need not live
// until the send completes, only until it is submitted. The shard therefore lends each send its
// iovecs from one fixed arena and recycles the whole arena whenever its submission queue is empty:
// a connection never owns an iovec array, and the per-send batch can be as large as the kernel
// allows (SendQueue::kMaxIov) at a fixed cost per shard.
//
// Threading: one shard's thread.
#pragma once

#include <sys/uio.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <span>

namespace rmq::engine {

class IovecArena {
 public:
  explicit IovecArena(std::size_t capacity)
      : entries_(std::make_unique<iovec[]>(capacity)), capacity_(capacity) {}
  IovecArena(const IovecArena&) = delete;
  IovecArena& operator=(const IovecArena&) = delete;

  // min(wanted, available()) contiguous entries, valid until recycle().
  std::span<iovec> take(std::size_t wanted) {
    const std::size_t n = std::min(wanted, available());
    std::span<iovec> taken(entries_.get() + used_, n);
    used_ += n;
    return taken;
  }
  std::size_t available() const { return capacity_ - used_; }
  std::size_t capacity() const { return capacity_; }
  // Every array taken so far may be overwritten: the kernel has consumed each SQE pointing at one.
  void recycle() { used_ = 0; }

 private:
  std::unique_ptr<iovec[]> entries_;
  std::size_t capacity_;
  std::size_t used_ = 0;
};

}  // namespace rmq::engine
