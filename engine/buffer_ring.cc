#include "engine/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>

#include "base/assert.h"

namespace rmq::engine {
namespace {

std::size_t page_round(std::size_t bytes) {
  constexpr std::size_t kPage = 4096;
  return (bytes + kPage - 1) / kPage * kPage;
}

// `populate`: fault every page in now, so the data path never takes a first-touch page fault
// (the receive buffers are a fixed cost of the shard, resident from its start).
void* map_anonymous(std::size_t bytes, bool populate) {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | (populate ? MAP_POPULATE : 0);
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, flags, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

ProvidedBufferRing::ProvidedBufferRing(std::uint16_t group, std::uint32_t count, std::uint32_t size)
    : group_(group), count_(count), size_(size), refs_(std::make_unique<std::uint32_t[]>(count)) {}

Result<std::unique_ptr<ProvidedBufferRing>> ProvidedBufferRing::create(io_uring* ring,
                                                                       std::uint16_t group,
                                                                       std::uint32_t count,
                                                                       std::uint32_t size) {
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0) {
    return Status(StatusCode::kInvalidArgument,
                  "receive buffer count must be a power of two in [1, 32768], size > 0");
  }
  std::unique_ptr<ProvidedBufferRing> self(new ProvidedBufferRing(group, count, size));
  self->ring_bytes_ = page_round(sizeof(io_uring_buf) * count);
  self->ring_memory_ = static_cast<io_uring_buf_ring*>(map_anonymous(self->ring_bytes_, false));
  self->memory_bytes_ = page_round(static_cast<std::size_t>(count) * size);
  self->memory_ = static_cast<std::byte*>(map_anonymous(self->memory_bytes_, true));
  if (self->ring_memory_ == nullptr || self->memory_ == nullptr) {
    return Status::Errno(StatusCode::kResourceExhausted, "cannot map receive buffers", errno);
  }
  io_uring_buf_ring_init(self->ring_memory_);
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(self->ring_memory_);
  reg.ring_entries = count;
  reg.bgid = group;
  int rc = io_uring_register_buf_ring(ring, &reg, 0);
  if (rc < 0) {
    return Status::Errno(StatusCode::kUnavailable,
                         "cannot register the provided-buffer ring (needs Linux 5.19+)", -rc);
  }
  for (std::uint32_t id = 0; id < count; ++id) self->recycle(static_cast<std::uint16_t>(id));
  return self;
}

ProvidedBufferRing::~ProvidedBufferRing() {
  RMQ_DCHECK(leases_ == 0);
  if (memory_ != nullptr) munmap(memory_, memory_bytes_);
  if (ring_memory_ != nullptr) munmap(ring_memory_, ring_bytes_);
}

void ProvidedBufferRing::recycle(std::uint16_t id) {
  io_uring_buf_ring_add(ring_memory_, buffer(id), size_, id, io_uring_buf_ring_mask(count_), 0);
  io_uring_buf_ring_advance(ring_memory_, 1);
  ++available_;
}

void ProvidedBufferRing::on_delivered(std::uint16_t id) {
  RMQ_DCHECK(id < count_ && refs_[id] == 0 && available_ > 0);
  refs_[id] = 1;
  --available_;
}

void ProvidedBufferRing::add_ref(std::uint16_t id) {
  RMQ_DCHECK(id < count_ && refs_[id] > 0);
  ++refs_[id];
}

void ProvidedBufferRing::release(std::uint16_t id) {
  RMQ_DCHECK(id < count_ && refs_[id] > 0);
  if (--refs_[id] == 0) recycle(id);
}

RingBuf::RingBuf(ProvidedBufferRing* ring, std::uint16_t id, const std::byte* data,
                 std::size_t size)
    : ring_(ring), id_(id), data_(data), size_(size) {
  ring_->add_ref(id_);
  ++ring_->leases_;
}

RingBuf RingBuf::share() const {
  if (ring_ == nullptr) return RingBuf();
  return RingBuf(ring_, id_, data_, size_);
}

void RingBuf::release() {
  if (ring_ == nullptr) return;
  --ring_->leases_;
  std::exchange(ring_, nullptr)->release(id_);
  size_ = 0;
  data_ = nullptr;
}

RingBuf RecvView::retain(std::size_t offset, std::size_t length) const {
  RMQ_ASSERT(ring_ != nullptr);
  RMQ_ASSERT(offset <= bytes_.size() && length <= bytes_.size() - offset);
  return RingBuf(ring_, id_, bytes_.data() + offset, length);
}

}  // namespace rmq::engine
