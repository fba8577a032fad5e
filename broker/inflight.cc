#include "broker/inflight.h"

#include <algorithm>
#include <utility>

#include "base/assert.h"

namespace rmq::broker {

InflightEntry& InflightWindow::add(std::uint16_t id, OutboundMessage message) {
  RMQ_DCHECK(id != 0 && !contains(id));
  const InflightStage stage = message.qos == codec::QoS::kExactlyOnce ? InflightStage::kAwaitPubrec
                                                                      : InflightStage::kAwaitPuback;
  InflightEntry& entry = entries_[id];
  entry.message = std::move(message);
  entry.stage = stage;
  entry.order = next_order_++;
  return entry;
}

InflightEntry* InflightWindow::find(std::uint16_t id) {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

AckAction InflightWindow::on_puback(std::uint16_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return AckAction::kNotFound;
  if (it->second.stage != InflightStage::kAwaitPuback) return AckAction::kWrongStage;
  entries_.erase(it);
  return AckAction::kCompleted;
}

AckAction InflightWindow::on_pubrec(std::uint16_t id, bool failed) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return AckAction::kNotFound;
  InflightEntry& entry = it->second;
  if (entry.stage == InflightStage::kAwaitPuback) return AckAction::kWrongStage;
  if (entry.stage == InflightStage::kAwaitPubrec && failed) {
    entries_.erase(it);
    return AckAction::kCompleted;
  }
  // First PUBREC, or a repeated one while awaiting PUBCOMP: (re)send PUBREL.
  entry.stage = InflightStage::kAwaitPubcomp;
  entry.message.message = Message();  // only PUBREL is resent from here on
  return AckAction::kSendPubrel;
}

AckAction InflightWindow::on_pubcomp(std::uint16_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return AckAction::kNotFound;
  if (it->second.stage != InflightStage::kAwaitPubcomp) return AckAction::kWrongStage;
  entries_.erase(it);
  return AckAction::kCompleted;
}

std::vector<std::uint16_t> InflightWindow::ids_in_send_order() const {
  std::vector<std::pair<std::uint64_t, std::uint16_t>> order;
  order.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) order.emplace_back(entry.order, id);
  std::sort(order.begin(), order.end());
  std::vector<std::uint16_t> ids;
  ids.reserve(order.size());
  for (const auto& item : order) ids.push_back(item.second);
  return ids;
}

std::size_t InflightWindow::bytes() const {
  std::size_t total = 0;
  for (const auto& [id, entry] : entries_) total += entry.message.bytes();
  return total;
}

}  // namespace rmq::broker
