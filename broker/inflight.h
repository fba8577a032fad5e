// InflightWindow: a session's outgoing QoS 1 and 2 PUBLISH packets that the client has not
// completed yet (MQTT 5.0 4.3, 4.9), keyed by packet identifier, with the acknowledgement state
// machine of each. The window is bounded by the client's Receive Maximum (capped by the server's
// --max-inflight): the session sends no new QoS 1/2 PUBLISH while it is full [MQTT-4.9.0-2].
// Owned by a session; one shard's thread. The map is allocated by the first add() and kept: a
// session that never sends QoS 1/2 holds 16 bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "broker/outbound.h"

namespace rmq::broker {

enum class InflightStage : std::uint8_t {
  kAwaitPuback,   // QoS 1 PUBLISH sent
  kAwaitPubrec,   // QoS 2 PUBLISH sent
  kAwaitPubcomp,  // QoS 2 PUBREC received, PUBREL sent (the message itself is released)
};

struct InflightEntry {
  OutboundMessage message;
  InflightStage stage = InflightStage::kAwaitPuback;
  std::uint64_t order = 0;  // send order, for retransmission in the original order
};

// What the session does after an acknowledgement.
enum class AckAction : std::uint8_t {
  kCompleted,   // the flow ended: the slot is free
  kSendPubrel,  // PUBREC accepted (or repeated): send PUBREL
  kNotFound,    // no flow with this identifier (5.0: answer PUBREL with 0x92 for a PUBREC)
  kWrongStage,  // an acknowledgement that does not fit the flow's stage: ignored
};

class InflightWindow {
 public:
  explicit InflightWindow(std::uint16_t capacity = 65535) : capacity_(capacity) {}

  std::uint16_t capacity() const { return capacity_; }
  void set_capacity(std::uint16_t capacity) { capacity_ = capacity == 0 ? 1 : capacity; }
  std::size_t size() const { return flows_ == nullptr ? 0 : flows_->entries.size(); }
  bool empty() const { return size() == 0; }
  bool full() const { return size() >= capacity_; }
  bool contains(std::uint16_t id) const {
    return flows_ != nullptr && flows_->entries.count(id) != 0;
  }

  // Adds a just-sent PUBLISH under `id` (which must be free). The capacity is the caller's check:
  // a restored session may hold more than a new, smaller Receive Maximum allows.
  InflightEntry& add(std::uint16_t id, OutboundMessage message);
  InflightEntry* find(std::uint16_t id);

  AckAction on_puback(std::uint16_t id);
  // `failed`: a 5.0 PUBREC with a reason code >= 0x80 ends the flow (no PUBREL) [MQTT-4.3.3-4].
  AckAction on_pubrec(std::uint16_t id, bool failed);
  AckAction on_pubcomp(std::uint16_t id);

  // Drops the flow `id` without an acknowledgement (a message that no longer fits the client).
  bool erase(std::uint16_t id) { return flows_ != nullptr && flows_->entries.erase(id) != 0; }
  // Packet identifiers in the order their PUBLISH was first sent (for resending on resume).
  std::vector<std::uint16_t> ids_in_send_order() const;
  // Drops every entry.
  void clear() {
    if (flows_ != nullptr) flows_->entries.clear();
  }
  // Bytes held by the stored messages.
  std::size_t bytes() const;

 private:
  struct Flows {
    std::map<std::uint16_t, InflightEntry> entries;
    std::uint64_t next_order = 0;
  };
  std::map<std::uint16_t, InflightEntry>::iterator find_entry(std::uint16_t id);

  std::unique_ptr<Flows> flows_;  // null until the first add()
  std::uint16_t capacity_;
};

}  // namespace rmq::broker
