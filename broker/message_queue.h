// MessageQueue: a session's messages waiting to be sent: while it is offline (a persistent
// session), or while its inflight window is full (ARCHITECTURE.md section 5). Bounded by a
// message count and a byte total. When a limit is reached, QoS 0 messages go first: a QoS 0
// arrival is dropped, and a QoS 1/2 arrival evicts the oldest queued QoS 0 message if there is
// one; otherwise the arrival is dropped. Every drop is counted.
// Owned by a session; one shard's thread. The storage is created by the first push and kept: a
// session that never queues (most of them) holds no queue memory (an empty std::deque would
// already hold a 512-byte node).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

#include "broker/outbound.h"

namespace rmq::broker {

struct QueueLimits {
  std::size_t max_messages = 1000;           // 0: no limit
  std::size_t max_bytes = 64 * 1024 * 1024;  // 0: no limit
};

class MessageQueue {
 public:
  explicit MessageQueue(const QueueLimits& limits = {}) : limits_(limits) {}

  void set_limits(const QueueLimits& limits) { limits_ = limits; }
  // False when the message was dropped (counted in dropped()).
  bool push(OutboundMessage message);
  bool empty() const { return queue_ == nullptr || queue_->empty(); }
  std::size_t size() const { return queue_ == nullptr ? 0 : queue_->size(); }
  std::size_t bytes() const { return bytes_; }
  std::uint64_t dropped() const { return dropped_; }
  OutboundMessage& front() { return queue_->front(); }  // not empty()
  OutboundMessage pop_front();                          // not empty()
  void clear();

 private:
  bool fits(std::size_t extra_bytes) const;
  bool evict_oldest_qos0();

  QueueLimits limits_;
  std::unique_ptr<std::deque<OutboundMessage>> queue_;  // null until the first push
  std::size_t bytes_ = 0;
  std::size_t qos0_ = 0;  // QoS 0 messages in the queue
  std::uint64_t dropped_ = 0;
};

}  // namespace rmq::broker
