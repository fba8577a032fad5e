#include "broker/message_queue.h"

#include <utility>

namespace rmq::broker {

MessageQueue::MessageQueue(const QueueLimits& limits)
    : storage_(std::make_unique<Storage>()), limits_(&storage_->own_limits) {
  storage_->own_limits = limits;
}

bool MessageQueue::fits(std::size_t extra_bytes) const {
  if (limits_->max_messages != 0 && size() + 1 > limits_->max_messages) return false;
  if (limits_->max_bytes != 0 && bytes() + extra_bytes > limits_->max_bytes) return false;
  return true;
}

bool MessageQueue::evict_oldest_qos0() {
  Storage& s = *storage_;
  if (s.qos0 == 0) return false;
  for (auto it = s.queue.begin(); it != s.queue.end(); ++it) {
    if (it->qos != codec::QoS::kAtMostOnce) continue;
    s.bytes -= it->bytes();
    --s.qos0;
    s.queue.erase(it);
    ++s.dropped;
    return true;
  }
  return false;
}

bool MessageQueue::push(OutboundMessage message) {
  if (storage_ == nullptr) storage_ = std::make_unique<Storage>();
  Storage& s = *storage_;
  const std::size_t size = message.bytes();
  while (!fits(size)) {
    if (message.qos == codec::QoS::kAtMostOnce || !evict_oldest_qos0()) {
      ++s.dropped;
      return false;
    }
  }
  if (message.qos == codec::QoS::kAtMostOnce) ++s.qos0;
  s.bytes += size;
  s.queue.push_back(std::move(message));
  return true;
}

OutboundMessage MessageQueue::pop_front() {
  Storage& s = *storage_;
  OutboundMessage message = std::move(s.queue.front());
  s.queue.pop_front();
  s.bytes -= message.bytes();
  if (message.qos == codec::QoS::kAtMostOnce) --s.qos0;
  return message;
}

void MessageQueue::clear() {
  if (storage_ == nullptr) return;
  storage_->queue.clear();
  storage_->bytes = 0;
  storage_->qos0 = 0;
}

}  // namespace rmq::broker
