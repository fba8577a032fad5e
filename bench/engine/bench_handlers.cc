#include "bench_handlers.h"

#include <algorithm>

namespace rmq::bench {
namespace {

void* const kSubscriber = reinterpret_cast<void*>(1);
void* const kPublisher = reinterpret_cast<void*>(2);

}  // namespace

engine::RecvResult RelayService::on_data(engine::ConnId id, const engine::RecvView& data) {
  std::size_t pos = 0;
  void* role = shard_.user_data(id);
  if (role == nullptr) {
    role = data.bytes()[0] == std::byte{'S'} ? kSubscriber : kPublisher;
    shard_.set_user_data(id, role);
    if (role == kSubscriber) {
      subscribers_.push_back(id);
      state_.subscribers.fetch_add(1);
    }
    pos = 1;
  }
  if (role == kSubscriber) return {data.size(), 0};
  const std::size_t whole = (data.size() - pos) / state_.message_size * state_.message_size;
  if (whole > 0) {
    engine::SharedBytes batch = data.copy(pos, whole);
    fan_out(batch);
    for (engine::ShardId to = 0; to < shard_.shard_count(); ++to) {
      if (to == shard_.id()) continue;
      engine::MailboxMessage message;
      message.bytes = batch.share().into_raw();
      if (!shard_.post(to, message).ok()) {
        engine::SharedBytes::from_raw(message.bytes).release();
        state_.mailbox_full.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  return {pos + whole, state_.message_size};
}

void RelayService::on_mailbox(const engine::MailboxMessage& message) {
  fan_out(engine::SharedBytes::from_raw(message.bytes));
}

void RelayService::fan_out(const engine::SharedBytes& batch) {
  for (engine::ConnId id : subscribers_) {
    if (shard_.queued_bytes(id) > state_.max_queued_per_subscriber) {
      state_.dropped_batches.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    (void)shard_.send(id, batch.share());
  }
}

BurstService::BurstService(engine::Shard& shard, std::size_t messages, std::size_t message_size)
    : shard_(shard), messages_(messages), message_size_(message_size) {
  engine::SharedBytes::Builder builder(messages * message_size);
  std::span<std::byte> bytes = builder.writable();
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<std::byte>('a' + i % 26);
  block_ = std::move(builder).finish(messages * message_size);
}

engine::RecvResult BurstService::on_data(engine::ConnId id, const engine::RecvView& data) {
  for (std::size_t request = 0; request < data.size(); ++request) {
    for (std::size_t i = 0; i < messages_; ++i) {
      if (!shard_.send(id, block_.slice(i * message_size_, message_size_)).ok()) break;
    }
  }
  return {data.size(), 0};
}

void RelayService::on_close(engine::ConnId id, engine::CloseReason) {
  auto it = std::find(subscribers_.begin(), subscribers_.end(), id);
  if (it == subscribers_.end()) return;
  *it = subscribers_.back();
  subscribers_.pop_back();
  state_.subscribers.fetch_sub(1);
}

}  // namespace rmq::bench
