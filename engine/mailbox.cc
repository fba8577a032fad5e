#include "engine/mailbox.h"

#include "engine/config.h"

namespace rmq::engine {

MailboxHub::MailboxHub(std::uint32_t shards, std::uint32_t capacity)
    : shards_(shards), flags_(std::make_unique<WakeFlag[]>(shards)) {
  if (capacity == 0) capacity = mailbox_capacity_for(shards);
  queues_.reserve(static_cast<std::size_t>(shards) * shards);
  for (std::uint32_t i = 0; i < shards * shards; ++i) {
    queues_.push_back(std::make_unique<Queue>(capacity));
  }
}

MailboxHub::~MailboxHub() {
  for (auto& queue : queues_) {
    queue->publish();
    queue->pop_batch(SIZE_MAX, [](const MailboxMessage& message) {
      if (message.bytes.block != nullptr) SharedBytes::from_raw(message.bytes).release();
    });
  }
}

}  // namespace rmq::engine
