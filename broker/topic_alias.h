// Topic aliases of one connection (MQTT 5.0 3.3.2.3.4). Both directions are per connection and
// start empty on every new connection [MQTT-3.3.2-7].
//
// InboundAliases: what the client's PUBLISH packets map, up to the Topic Alias Maximum the server
// announced in CONNACK. OutboundAliases: what the server maps in the PUBLISH packets it sends, up
// to the client's Topic Alias Maximum from CONNECT; aliases are handed out to topics in the order
// they are first sent until the maximum is reached, after which new topics go without an alias.
// Each table is allocated by its first mapping: a connection that uses no alias holds 16 bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rmq::broker {

enum class AliasError : std::uint8_t {
  kNone,
  kInvalid,  // 0 or above the maximum: DISCONNECT 0x94 [MQTT-3.3.2-8], [MQTT-3.3.2-9]
  kUnknown,  // empty topic with an alias that maps to nothing: Protocol Error (3.3.2.3.4)
};

class InboundAliases {
 public:
  explicit InboundAliases(std::uint16_t maximum = 0) : maximum_(maximum) {}
  InboundAliases(InboundAliases&&) noexcept = default;
  InboundAliases& operator=(InboundAliases&&) noexcept = default;
  std::uint16_t maximum() const { return maximum_; }

  // The topic a PUBLISH with `topic` and Topic Alias `alias` stands for. A non-empty topic sets
  // (or replaces) the mapping; an empty one uses it. `*resolved` points into `topic` or into this
  // table (valid until the next call).
  AliasError resolve(std::uint16_t alias, std::string_view topic, std::string_view* resolved);

 private:
  std::unique_ptr<std::vector<std::string>> table_;  // index alias - 1; null until first set
  std::uint16_t maximum_;
};

class OutboundAliases {
 public:
  struct Choice {
    std::uint16_t alias = 0;  // 0: send without an alias
    bool omit_topic = false;  // the alias is already mapped: send an empty topic
    bool is_new = false;      // a new mapping: commit() it once the packet carrying it is queued
  };

  explicit OutboundAliases(std::uint16_t maximum = 0) : maximum_(maximum) {}
  OutboundAliases(OutboundAliases&&) noexcept = default;
  OutboundAliases& operator=(OutboundAliases&&) noexcept = default;
  std::uint16_t maximum() const { return maximum_; }
  // The alias to use for `topic`: its mapping, or a new one proposed while there is room.
  Choice choose(std::string_view topic) const;
  // Records the new mapping `choice` proposed for `topic`.
  void commit(std::string_view topic, const Choice& choice);
  std::size_t size() const { return map_ == nullptr ? 0 : map_->size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, std::uint16_t, Hash, std::equal_to<>>;
  std::unique_ptr<Map> map_;  // null until the first commit
  std::uint16_t maximum_;
};

}  // namespace rmq::broker
