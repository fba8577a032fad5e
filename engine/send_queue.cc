#include "engine/send_queue.h"

#include <utility>

#include "base/assert.h"

namespace rmq::engine {

SendQueue::SendQueue()
    : slots_(std::make_unique<SharedBytes[]>(kInitialCapacity)), capacity_(kInitialCapacity) {}

void SendQueue::push(SharedBytes bytes) {
  if (count_ == capacity_) grow();
  queued_bytes_ += bytes.size();
  at(count_) = std::move(bytes);
  ++count_;
}

void SendQueue::grow() {
  auto bigger = std::make_unique<SharedBytes[]>(static_cast<std::size_t>(capacity_) * 2);
  for (std::uint32_t i = 0; i < count_; ++i) bigger[i] = std::move(at(i));
  slots_ = std::move(bigger);
  capacity_ *= 2;
  head_ = 0;
}

void SendQueue::pop_front() {
  at(0).release();
  head_ = (head_ + 1) & (capacity_ - 1);
  --count_;
  front_offset_ = 0;
}

std::size_t SendQueue::prepare_send(std::span<iovec> iov) {
  RMQ_DCHECK(count_ > 0 && !iov.empty() && iov.size() <= kMaxIov && in_flight_bytes_ == 0);
  std::size_t n = 0;
  std::size_t bytes = 0;
  for (; n < count_ && n < iov.size(); ++n) {
    SharedBytes& slice = at(static_cast<std::uint32_t>(n));
    const std::size_t skip = n == 0 ? front_offset_ : 0;
    iov[n].iov_base = const_cast<std::byte*>(slice.data() + skip);
    iov[n].iov_len = slice.size() - skip;
    bytes += iov[n].iov_len;
  }
  msg_ = {};
  msg_.msg_iov = iov.data();
  msg_.msg_iovlen = n;
  in_flight_bytes_ = bytes;
  return bytes;
}

void SendQueue::complete_send(std::size_t sent) {
  RMQ_DCHECK(sent <= in_flight_bytes_ && sent <= queued_bytes_);
  queued_bytes_ -= sent;
  in_flight_bytes_ = 0;
  while (sent > 0) {
    const std::size_t left_in_front = at(0).size() - front_offset_;
    if (sent < left_in_front) {
      front_offset_ += sent;
      return;
    }
    sent -= left_in_front;
    pop_front();
  }
}

std::size_t SendQueue::clear() {
  const std::size_t dropped = queued_bytes_;
  while (count_ > 0) pop_front();
  head_ = 0;
  queued_bytes_ = 0;
  in_flight_bytes_ = 0;
  return dropped;
}

}  // namespace rmq::engine
