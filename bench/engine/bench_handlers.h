// Engine benchmark services: a byte echo and a one-to-many relay. Knows nothing of MQTT.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "engine/engine.h"

namespace rmq::bench {

// Echoes every received chunk back (one SharedBytes copy per receive completion).
class EchoService : public engine::ShardHandler {
 public:
  explicit EchoService(engine::Shard& shard) : shard_(shard) {}
  void on_open(engine::ConnId, const engine::PeerAddress&) override {}
  engine::RecvResult on_data(engine::ConnId id, const engine::RecvView& data) override {
    (void)shard_.send(id, data.copy(0, data.size()));
    return {data.size(), 0};
  }
  void on_close(engine::ConnId, engine::CloseReason) override {}

 private:
  engine::Shard& shard_;
};

// Shared by the relay handlers of all shards.
struct RelayState {
  std::size_t message_size = 16;
  std::size_t max_queued_per_subscriber = 4 * 1024 * 1024;
  std::atomic<std::uint32_t> subscribers{0};
  std::atomic<std::uint64_t> dropped_batches{0};  // subscriber over its queue limit
  std::atomic<std::uint64_t> mailbox_full{0};
};

// A connection's first byte picks its role: 'S' subscribes, 'P' publishes fixed-size messages.
// Each batch of whole messages a publisher's receive completion carries is copied once into
// SharedBytes and the same bytes are queued to every subscriber: directly on this shard, through
// one mailbox message per other shard (fan-out without copying).
class RelayService : public engine::ShardHandler {
 public:
  RelayService(engine::Shard& shard, RelayState& state) : shard_(shard), state_(state) {}

  void on_open(engine::ConnId, const engine::PeerAddress&) override {}
  engine::RecvResult on_data(engine::ConnId id, const engine::RecvView& data) override;
  void on_close(engine::ConnId id, engine::CloseReason) override;
  void on_mailbox(const engine::MailboxMessage& message) override;

 private:
  void fan_out(const engine::SharedBytes& batch);

  engine::Shard& shard_;
  RelayState& state_;
  std::vector<engine::ConnId> subscribers_;
};

// Each byte a connection sends asks for one burst: `messages` slices of `message_size` bytes queued
// at once on that connection, each its own SharedBytes (a slice of one shared block, as a broker
// queues one encoded packet per message). Measures how fast a long queue of small slices drains.
class BurstService : public engine::ShardHandler {
 public:
  BurstService(engine::Shard& shard, std::size_t messages, std::size_t message_size);
  void on_open(engine::ConnId, const engine::PeerAddress&) override {}
  engine::RecvResult on_data(engine::ConnId id, const engine::RecvView& data) override;
  void on_close(engine::ConnId, engine::CloseReason) override {}

 private:
  engine::Shard& shard_;
  std::size_t messages_;
  std::size_t message_size_;
  engine::SharedBytes block_;
};

}  // namespace rmq::bench
