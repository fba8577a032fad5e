// Packet identifiers of one session (MQTT 5.0 2.2.1): the allocator for the server's outgoing
// QoS 1/2 PUBLISH packets and the set of a client's QoS 2 packet identifiers awaiting PUBREL.
// Owned by a session; one shard's thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace rmq::broker {

// Hands out identifiers 1..65535 round robin, skipping those still in use [MQTT-2.2.1-3].
class PacketIdAllocator {
 public:
  // The next identifier after the last one handed out for which `in_use(id)` is false; 0 when
  // all 65535 are in use.
  template <typename InUse>
  std::uint16_t next(InUse&& in_use) {
    for (std::uint32_t tries = 0; tries < 65535; ++tries) {
      last_ = static_cast<std::uint16_t>(last_ == 65535 ? 1 : last_ + 1);
      if (!in_use(last_)) return last_;
    }
    return 0;
  }
  std::uint16_t last() const { return last_; }
  void restore(std::uint16_t last) { last_ = last; }

 private:
  std::uint16_t last_ = 0;
};

// QoS 2 PUBLISH packets received and answered with PUBREC, awaiting PUBREL (MQTT 5.0 4.3.3): a
// retransmitted PUBLISH with one of these identifiers is acknowledged again but not delivered
// again. Sorted; bounded by the Receive Maximum the server announced. The vector is allocated by
// the first add() and kept: a session that never receives QoS 2 holds 8 bytes.
class InboundQos2 {
 public:
  bool contains(std::uint16_t id) const {
    return ids_ != nullptr && std::binary_search(ids_->begin(), ids_->end(), id);
  }
  // False when `id` was already there.
  bool add(std::uint16_t id) {
    if (ids_ == nullptr) ids_ = std::make_unique<std::vector<std::uint16_t>>();
    auto it = std::lower_bound(ids_->begin(), ids_->end(), id);
    if (it != ids_->end() && *it == id) return false;
    ids_->insert(it, id);
    return true;
  }
  // False when `id` was not there.
  bool remove(std::uint16_t id) {
    if (ids_ == nullptr) return false;
    auto it = std::lower_bound(ids_->begin(), ids_->end(), id);
    if (it == ids_->end() || *it != id) return false;
    ids_->erase(it);
    return true;
  }
  std::size_t size() const { return ids_ == nullptr ? 0 : ids_->size(); }
  std::vector<std::uint16_t> ids() const {
    return ids_ == nullptr ? std::vector<std::uint16_t>{} : *ids_;
  }
  void clear() {
    if (ids_ != nullptr) ids_->clear();
  }

 private:
  std::unique_ptr<std::vector<std::uint16_t>> ids_;  // null until the first add()
};

}  // namespace rmq::broker
