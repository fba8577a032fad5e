// MessageQueue: a session's messages waiting to be sent: while it is offline (a persistent
// session), or while its inflight window is full (ARCHITECTURE.md section 5). Bounded by a
// message count and a byte total. When a limit is reached, QoS 0 messages go first: a QoS 0
// arrival is dropped, and a QoS 1/2 arrival evicts the oldest queued QoS 0 message if there is
// one; otherwise the arrival is dropped. Every drop is counted.
// Owned by a session; one shard's thread. The storage (with its counters) is created by the first
// push and kept: a session that never queues (most of them) holds 16 bytes (an empty std::deque
// alone would hold a 512-byte node). The limits are the shard's, shared by all its sessions.
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
  // Limits owned by the caller (e.g. the shard's, for all its sessions): they must outlive the
  // queue. Allocates nothing.
  explicit MessageQueue(const QueueLimits* limits) : limits_(limits) {}
  // A queue with limits of its own (kept in its storage, allocated now).
  explicit MessageQueue(const QueueLimits& limits = {});
  // False when the message was dropped (counted in dropped()).
  bool push(OutboundMessage message);
  bool empty() const { return size() == 0; }
  std::size_t size() const { return storage_ == nullptr ? 0 : storage_->queue.size(); }
  std::size_t bytes() const { return storage_ == nullptr ? 0 : storage_->bytes; }
  std::uint64_t dropped() const { return storage_ == nullptr ? 0 : storage_->dropped; }
  OutboundMessage& front() { return storage_->queue.front(); }       // not empty()
  OutboundMessage pop_front();                                       // not empty()
  OutboundMessage& at(std::size_t i) { return storage_->queue[i]; }  // i < size()
  // Calls fn(OutboundMessage&) for every queued message, oldest first.
  template <typename F>
  void for_each(F&& fn) {
    if (storage_ == nullptr) return;
    for (OutboundMessage& m : storage_->queue) fn(m);
  }
  void clear();

 private:
  bool fits(std::size_t extra_bytes) const;
  bool evict_oldest_qos0();

  struct Storage {
    std::deque<OutboundMessage> queue;
    std::size_t bytes = 0;
    std::size_t qos0 = 0;  // QoS 0 messages in the queue
    std::uint64_t dropped = 0;
    QueueLimits own_limits;  // used when the queue was given limits by value
  };

  std::unique_ptr<Storage> storage_;  // null until the first push
  const QueueLimits* limits_;         // never null
};

}  // namespace rmq::broker
