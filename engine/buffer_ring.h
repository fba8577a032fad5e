// ProvidedBufferRing: a shard's receive buffers, registered with its io_uring as a provided-buffer
// ring (IORING_REGISTER_PBUF_RING), and RingBuf, a lease on one of those buffers.
//
// A buffer is either in the ring (the kernel may fill it) or out (delivered by a recv completion).
// A delivered buffer carries a reference count: the shard holds one while the bytes are handed to
// the layer above, and every RingBuf holds one. When the count drops to zero the buffer goes back
// into the ring at once, so an idle connection holds no receive memory.
//
// Threading: a ring, its buffers and every RingBuf on it belong to the owning shard's thread.
// Teardown order: the io_uring is exited first (that drops the registration), then the ring is
// destroyed; no RingBuf may outlive it.
#pragma once

#include <liburing.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "base/status.h"
#include "engine/shared_bytes.h"

namespace rmq::engine {

class ProvidedBufferRing {
 public:
  // `count` is a power of two in [1, 32768]; `size` is each buffer's size in bytes.
  static Result<std::unique_ptr<ProvidedBufferRing>> create(io_uring* ring, std::uint16_t group,
                                                            std::uint32_t count,
                                                            std::uint32_t size);
  ProvidedBufferRing(const ProvidedBufferRing&) = delete;
  ProvidedBufferRing& operator=(const ProvidedBufferRing&) = delete;
  ~ProvidedBufferRing();

  std::uint16_t group() const { return group_; }
  std::uint32_t count() const { return count_; }
  std::uint32_t buffer_size() const { return size_; }
  // Buffers currently in the ring, available to the kernel.
  std::uint32_t available() const { return available_; }
  // RingBuf leases currently held by the layer above.
  std::uint32_t leases() const { return leases_; }

  std::byte* buffer(std::uint16_t id) { return memory_ + static_cast<std::size_t>(id) * size_; }
  // A recv completion took buffer `id` out of the ring: the shard now holds one reference.
  void on_delivered(std::uint16_t id);
  void add_ref(std::uint16_t id);
  // Drops one reference; the last one puts the buffer back into the ring.
  void release(std::uint16_t id);

 private:
  friend class RingBuf;
  ProvidedBufferRing(std::uint16_t group, std::uint32_t count, std::uint32_t size);
  void recycle(std::uint16_t id);

  std::uint16_t group_;
  std::uint32_t count_;
  std::uint32_t size_;
  std::uint32_t available_ = 0;
  std::uint32_t leases_ = 0;
  io_uring_buf_ring* ring_memory_ = nullptr;
  std::size_t ring_bytes_ = 0;
  std::byte* memory_ = nullptr;
  std::size_t memory_bytes_ = 0;
  std::unique_ptr<std::uint32_t[]> refs_;
};

// RingBuf: a lease on received bytes that still lie in a shard's receive buffer (zero-copy).
//
// Lifetime rule: a lease keeps its whole receive buffer out of the kernel's reach until the last
// lease on that buffer is released, and every buffer held is one fewer for receiving (a ring that
// runs dry pauses receiving on the whole shard). So hold a RingBuf only while the bytes are needed
// soon on this shard (a packet being processed across a few loop turns). To keep bytes longer, or
// to hand them to another shard or a send queue, copy() them into SharedBytes and release() the
// lease. share() adds a reference to the same buffer; release() (or destruction) drops one. A
// RingBuf is created, shared, released and destroyed only on the owning shard's thread.
class RingBuf {
 public:
  RingBuf() = default;
  RingBuf(RingBuf&& other) noexcept
      : ring_(std::exchange(other.ring_, nullptr)),
        id_(other.id_),
        data_(other.data_),
        size_(std::exchange(other.size_, 0)) {}
  RingBuf& operator=(RingBuf&& other) noexcept {
    if (this != &other) {
      release();
      ring_ = std::exchange(other.ring_, nullptr);
      id_ = other.id_;
      data_ = other.data_;
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  RingBuf(const RingBuf&) = delete;
  RingBuf& operator=(const RingBuf&) = delete;
  ~RingBuf() { release(); }

  RingBuf share() const;
  SharedBytes copy() const { return SharedBytes::copy_of(bytes()); }
  void release();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return ring_ == nullptr; }

 private:
  friend class RecvView;
  RingBuf(ProvidedBufferRing* ring, std::uint16_t id, const std::byte* data, std::size_t size);

  ProvidedBufferRing* ring_ = nullptr;
  std::uint16_t id_ = 0;
  const std::byte* data_ = nullptr;
  std::size_t size_ = 0;
};

// RecvView: received bytes handed to ShardHandler::on_data, valid only during that call.
// The bytes lie either in a receive buffer (leasable(): retain() gives a zero-copy RingBuf) or in
// the connection's reassembly buffer (a message that straddled receive buffers; copy() it).
class RecvView {
 public:
  RecvView(std::span<const std::byte> bytes, ProvidedBufferRing* ring, std::uint16_t id)
      : bytes_(bytes), ring_(ring), id_(id) {}

  std::span<const std::byte> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool leasable() const { return ring_ != nullptr; }
  // A lease on bytes [offset, offset + length) of this view. Precondition: leasable().
  RingBuf retain(std::size_t offset, std::size_t length) const;
  // An independent copy of bytes [offset, offset + length), safe to keep anywhere.
  SharedBytes copy(std::size_t offset, std::size_t length) const {
    return SharedBytes::copy_of(bytes_.subspan(offset, length));
  }

 private:
  std::span<const std::byte> bytes_;
  ProvidedBufferRing* ring_;
  std::uint16_t id_;
};

// What ShardHandler::on_data reports back.
//   consumed: bytes of the view the handler is done with (<= view size). The engine keeps the rest
//             and presents it again, followed by newly received bytes, on the next on_data.
//   need:     if known, the total number of bytes (counted from the first unconsumed one) the
//             handler needs before it can consume more, e.g. a partly received packet's full size.
//             With it the engine copies only the straddling packet into the reassembly buffer and
//             hands the bytes after it over zero-copy; 0 means unknown.
struct RecvResult {
  std::size_t consumed = 0;
  std::size_t need = 0;
};

}  // namespace rmq::engine
