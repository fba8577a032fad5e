// Packet views: one struct per MQTT control packet, used both as what decode() returns (fields
// point into the input buffer) and as what a caller fills in to encode (fields point into the
// caller's memory). Nothing here owns bytes; see the lifetime rule in wire_list.h.
//
// Fields that a protocol version does not carry (properties and reason codes before 5.0) are
// left at their defaults by decode() and ignored by encode().
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <variant>

#include "base/assert.h"
#include "codec/properties.h"
#include "codec/types.h"

namespace rmq::codec {

struct WillView {
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  Properties properties;  // 5.0 only (scope kWill)
  std::string_view topic;
  BinaryView payload;
  friend bool operator==(const WillView& a, const WillView& b);
};

struct ConnectView {
  ProtocolVersion version = ProtocolVersion::kV311;
  bool clean_start = true;  // "Clean Session" in 3.1 / 3.1.1
  std::uint16_t keep_alive = 0;
  Properties properties;
  std::string_view client_id;
  std::optional<WillView> will;
  std::optional<std::string_view> username;
  std::optional<BinaryView> password;
  friend bool operator==(const ConnectView& a, const ConnectView& b);
};

struct ConnackView {
  bool session_present = false;
  // 5.0: a ReasonCode value; 3.1/3.1.1: a ConnackReturnCode value.
  std::uint8_t reason_code = 0;
  Properties properties;
  friend bool operator==(const ConnackView&, const ConnackView&) = default;
};

struct PublishView {
  bool dup = false;
  QoS qos = QoS::kAtMostOnce;
  bool retain = false;
  // May be empty in 5.0 when a Topic Alias property stands in for it.
  std::string_view topic;
  std::uint16_t packet_id = 0;  // present on the wire only for QoS 1 and 2
  Properties properties;
  BinaryView payload;
  friend bool operator==(const PublishView& a, const PublishView& b);
};

// PUBACK, PUBREC, PUBREL and PUBCOMP share one layout; PacketView::type tells which it is.
struct AckView {
  std::uint16_t packet_id = 0;
  ReasonCode reason_code = ReasonCode::kSuccess;  // 5.0 only
  Properties properties;
  friend bool operator==(const AckView&, const AckView&) = default;
};

enum class RetainHandling : std::uint8_t {
  kSendOnSubscribe = 0,
  kSendIfNewSubscription = 1,
  kDoNotSend = 2,
};

struct SubscriptionOptions {
  QoS max_qos = QoS::kAtMostOnce;
  bool no_local = false;             // 5.0
  bool retain_as_published = false;  // 5.0
  RetainHandling retain_handling = RetainHandling::kSendOnSubscribe;  // 5.0
  friend bool operator==(const SubscriptionOptions&, const SubscriptionOptions&) = default;
};

struct Subscription {
  std::string_view filter;
  SubscriptionOptions options;
  friend bool operator==(const Subscription&, const Subscription&) = default;
};

template <>
struct WireElement<Subscription> {
  static Subscription read(Reader& r);
};

template <>
struct WireElement<std::string_view> {
  static std::string_view read(Reader& r);
};

struct SubscribeView {
  std::uint16_t packet_id = 0;
  Properties properties;
  WireList<Subscription> subscriptions;  // at least one
  friend bool operator==(const SubscribeView&, const SubscribeView&) = default;
};

// SUBACK and UNSUBACK: one reason code per filter of the request. For 3.1/3.1.1 SUBACK these are
// granted QoS values or 0x80; a 3.1.1 UNSUBACK carries none.
struct SubackView {
  std::uint16_t packet_id = 0;
  Properties properties;
  std::span<const std::uint8_t> reason_codes;
  friend bool operator==(const SubackView& a, const SubackView& b);
};

struct UnsubscribeView {
  std::uint16_t packet_id = 0;
  Properties properties;
  WireList<std::string_view> filters;  // at least one
  friend bool operator==(const UnsubscribeView&, const UnsubscribeView&) = default;
};

struct DisconnectView {
  ReasonCode reason_code = ReasonCode::kSuccess;  // 5.0 only
  Properties properties;
  friend bool operator==(const DisconnectView&, const DisconnectView&) = default;
};

struct AuthView {
  ReasonCode reason_code = ReasonCode::kSuccess;
  Properties properties;
  friend bool operator==(const AuthView&, const AuthView&) = default;
};

struct EmptyView {  // PINGREQ, PINGRESP
  friend bool operator==(const EmptyView&, const EmptyView&) = default;
};

using PacketBody = std::variant<EmptyView, ConnectView, ConnackView, PublishView, AckView,
                                SubscribeView, SubackView, UnsubscribeView, DisconnectView,
                                AuthView>;

// One decoded packet. `type` selects the alternative held by `body`:
// CONNECT->ConnectView, CONNACK->ConnackView, PUBLISH->PublishView,
// PUBACK/PUBREC/PUBREL/PUBCOMP->AckView, SUBSCRIBE->SubscribeView,
// SUBACK/UNSUBACK->SubackView, UNSUBSCRIBE->UnsubscribeView, PINGREQ/PINGRESP->EmptyView,
// DISCONNECT->DisconnectView, AUTH->AuthView.
struct PacketView {
  PacketType type = PacketType::kReserved;
  PacketBody body;

  // The body as T; T must be the alternative `type` selects (checked in debug builds).
  template <typename T>
  const T& as() const {
    const T* p = std::get_if<T>(&body);
    RMQ_DCHECK(p != nullptr);
    if (p == nullptr) __builtin_unreachable();  // the caller checked `type`
    return *p;
  }
  friend bool operator==(const PacketView&, const PacketView&) = default;
};

}  // namespace rmq::codec
