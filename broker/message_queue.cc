#include "broker/message_queue.h"

#include <utility>

namespace rmq::broker {

bool MessageQueue::fits(std::size_t extra_bytes) const {
  if (limits_.max_messages != 0 && size() + 1 > limits_.max_messages) return false;
  if (limits_.max_bytes != 0 && bytes_ + extra_bytes > limits_.max_bytes) return false;
  return true;
}

bool MessageQueue::evict_oldest_qos0() {
  if (qos0_ == 0) return false;
  for (auto it = queue_->begin(); it != queue_->end(); ++it) {
    if (it->qos != codec::QoS::kAtMostOnce) continue;
    bytes_ -= it->bytes();
    --qos0_;
    queue_->erase(it);
    ++dropped_;
    return true;
  }
  return false;
}

bool MessageQueue::push(OutboundMessage message) {
  const std::size_t size = message.bytes();
  while (!fits(size)) {
    if (message.qos == codec::QoS::kAtMostOnce || !evict_oldest_qos0()) {
      ++dropped_;
      return false;
    }
  }
  if (message.qos == codec::QoS::kAtMostOnce) ++qos0_;
  bytes_ += size;
  if (queue_ == nullptr) queue_ = std::make_unique<std::deque<OutboundMessage>>();
  queue_->push_back(std::move(message));
  return true;
}

OutboundMessage MessageQueue::pop_front() {
  OutboundMessage message = std::move(queue_->front());
  queue_->pop_front();
  bytes_ -= message.bytes();
  if (message.qos == codec::QoS::kAtMostOnce) --qos0_;
  return message;
}

void MessageQueue::clear() {
  if (queue_ != nullptr) queue_->clear();
  bytes_ = 0;
  qos0_ = 0;
}

}  // namespace rmq::broker
