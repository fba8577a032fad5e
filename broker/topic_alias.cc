#include "broker/topic_alias.h"

namespace rmq::broker {

AliasError InboundAliases::resolve(std::uint16_t alias, std::string_view topic,
                                   std::string_view* resolved) {
  if (alias == 0 || alias > maximum_) return AliasError::kInvalid;
  const std::size_t index = alias - 1u;
  if (!topic.empty()) {
    if (table_ == nullptr) table_ = std::make_unique<std::vector<std::string>>();
    if (table_->size() <= index) table_->resize(index + 1);
    (*table_)[index].assign(topic);
    *resolved = topic;
    return AliasError::kNone;
  }
  if (table_ == nullptr || index >= table_->size() || (*table_)[index].empty()) {
    return AliasError::kUnknown;
  }
  *resolved = (*table_)[index];
  return AliasError::kNone;
}

OutboundAliases::Choice OutboundAliases::choose(std::string_view topic) const {
  if (maximum_ == 0) return {};
  if (map_ == nullptr) return {1, false, true};
  auto it = map_->find(topic);
  if (it != map_->end()) return {it->second, true, false};
  if (map_->size() >= maximum_) return {};
  return {static_cast<std::uint16_t>(map_->size() + 1), false, true};
}

void OutboundAliases::commit(std::string_view topic, const Choice& choice) {
  if (!choice.is_new) return;
  if (map_ == nullptr) map_ = std::make_unique<Map>();
  map_->emplace(std::string(topic), choice.alias);
}

}  // namespace rmq::broker
