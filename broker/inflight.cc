#include "broker/inflight.h"

#include <algorithm>
#include <utility>

#include "base/assert.h"

namespace rmq::broker {

InflightEntry& InflightWindow::add(std::uint16_t id, OutboundMessage message) {
  RMQ_DCHECK(id != 0 && !contains(id));
  const InflightStage stage = message.qos == codec::QoS::kExactlyOnce ? InflightStage::kAwaitPubrec
                                                                      : InflightStage::kAwaitPuback;
  if (flows_ == nullptr) flows_ = std::make_unique<Flows>();
  InflightEntry& entry = flows_->entries[id];
  entry.message = std::move(message);
  entry.stage = stage;
  entry.order = flows_->next_order++;
  return entry;
}

std::map<std::uint16_t, InflightEntry>::iterator InflightWindow::find_entry(std::uint16_t id) {
  // Callers test flows_ first: there is no end() to compare with before the first add().
  return flows_->entries.find(id);
}

InflightEntry* InflightWindow::find(std::uint16_t id) {
  if (flows_ == nullptr) return nullptr;
  auto it = find_entry(id);
  return it == flows_->entries.end() ? nullptr : &it->second;
}

AckAction InflightWindow::on_puback(std::uint16_t id) {
  if (flows_ == nullptr) return AckAction::kNotFound;
  auto it = find_entry(id);
  if (it == flows_->entries.end()) return AckAction::kNotFound;
  if (it->second.stage != InflightStage::kAwaitPuback) return AckAction::kWrongStage;
  flows_->entries.erase(it);
  return AckAction::kCompleted;
}

AckAction InflightWindow::on_pubrec(std::uint16_t id, bool failed) {
  if (flows_ == nullptr) return AckAction::kNotFound;
  auto it = find_entry(id);
  if (it == flows_->entries.end()) return AckAction::kNotFound;
  InflightEntry& entry = it->second;
  if (entry.stage == InflightStage::kAwaitPuback) return AckAction::kWrongStage;
  if (entry.stage == InflightStage::kAwaitPubrec && failed) {
    flows_->entries.erase(it);
    return AckAction::kCompleted;
  }
  // First PUBREC, or a repeated one while awaiting PUBCOMP: (re)send PUBREL.
  entry.stage = InflightStage::kAwaitPubcomp;
  entry.message.message = Message();  // only PUBREL is resent from here on
  return AckAction::kSendPubrel;
}

AckAction InflightWindow::on_pubcomp(std::uint16_t id) {
  if (flows_ == nullptr) return AckAction::kNotFound;
  auto it = find_entry(id);
  if (it == flows_->entries.end()) return AckAction::kNotFound;
  if (it->second.stage != InflightStage::kAwaitPubcomp) return AckAction::kWrongStage;
  flows_->entries.erase(it);
  return AckAction::kCompleted;
}

std::vector<std::uint16_t> InflightWindow::ids_in_send_order() const {
  std::vector<std::pair<std::uint64_t, std::uint16_t>> order;
  if (flows_ == nullptr) return {};
  order.reserve(flows_->entries.size());
  for (const auto& [id, entry] : flows_->entries) order.emplace_back(entry.order, id);
  std::sort(order.begin(), order.end());
  std::vector<std::uint16_t> ids;
  ids.reserve(order.size());
  for (const auto& item : order) ids.push_back(item.second);
  return ids;
}

std::size_t InflightWindow::bytes() const {
  std::size_t total = 0;
  if (flows_ == nullptr) return 0;
  for (const auto& [id, entry] : flows_->entries) total += entry.message.bytes();
  return total;
}

}  // namespace rmq::broker
