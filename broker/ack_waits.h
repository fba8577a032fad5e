// AckWaits: what waits for log records to become durable before it may happen (--durability
// sync): a PUBACK/PUBREC to a publisher, a confirmation to the shard that routed a message here,
// or the note that lets a session's old owner log its end. One shard's thread.
//
// A wait has `parts`: one guard held while the broker is still adding parts, one per other shard
// that must confirm (a kDurableAck mail each), and one for a local log position. When the last
// part is done the broker acts on it (durable_acks.cc). Ids are small integers, reused; 0 is none.
// Nothing is allocated once the table has grown to the number of waits in flight.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "base/assert.h"
#include "engine/types.h"

namespace rmq::broker {

struct AckWait {
  enum class Kind : std::uint8_t { kFree, kMqttAck, kRelay, kEndRemote, kOrphan };
  Kind kind = Kind::kFree;
  bool ready = false;         // kMqttAck: every part done; sent when its turn comes
  std::uint8_t ack_type = 0;  // kMqttAck: codec::PacketType (PUBACK or PUBREC)
  std::uint8_t reason = 0;    // kMqttAck: codec::ReasonCode
  std::uint16_t packet_id = 0;
  std::uint32_t parts = 0;
  std::uint32_t next = 0;   // kMqttAck: the next wait of the same connection
  std::uint32_t shard = 0;  // kRelay / kEndRemote: whom to tell
  std::uint32_t token = 0;  // kRelay: the AckWaits id there
  engine::ConnId conn{};    // kMqttAck
  // kMqttAck of a QoS 2 PUBLISH that also went to other shards: its session (handle and
  // generation), whose InboundQos2 record is written once those confirmed (durable_acks.cc).
  std::uint32_t inbound_session = 0;
  std::uint64_t inbound_generation = 0;
  void* note = nullptr;  // kEndRemote: SessionEndNote*
};

class AckWaits {
 public:
  std::uint32_t create(AckWait::Kind kind) {
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      waits_.emplace_back();
      id = static_cast<std::uint32_t>(waits_.size());
    }
    AckWait& w = at(id);
    w = AckWait{};
    w.kind = kind;
    w.parts = 1;  // the guard
    ++live_;
    return id;
  }
  AckWait& at(std::uint32_t id) {
    RMQ_DCHECK(id != 0 && id <= waits_.size());
    return waits_[id - 1];
  }
  void release(std::uint32_t id) {
    at(id).kind = AckWait::Kind::kFree;
    free_.push_back(id);
    --live_;
  }
  // One more part: the local log up to `position` must be durable.
  void wait_position(std::uint32_t id, std::uint64_t position) {
    ++at(id).parts;
    by_position_.push_back(Pending{position, id});
  }
  // Calls `part_done(id)` for every wait whose position `durable` has reached, in order.
  template <typename F>
  void on_durable(std::uint64_t durable, F&& part_done) {
    while (!by_position_.empty() && by_position_.front().position <= durable) {
      const std::uint32_t id = by_position_.front().id;
      by_position_.pop_front();
      part_done(id);
    }
  }
  std::size_t live() const { return live_; }
  // Calls fn(AckWait&) for every wait in use (e.g. to free what they own at a stop).
  template <typename F>
  void for_each_live(F&& fn) {
    for (AckWait& w : waits_) {
      if (w.kind != AckWait::Kind::kFree) fn(w);
    }
  }
  std::size_t waiting_for_disk() const { return by_position_.size(); }

 private:
  struct Pending {
    std::uint64_t position;
    std::uint32_t id;
  };
  std::deque<AckWait> waits_;  // ids index it (a deque: references stay valid as it grows)
  std::vector<std::uint32_t> free_;
  std::deque<Pending> by_position_;  // positions never decrease
  std::size_t live_ = 0;
};

}  // namespace rmq::broker
