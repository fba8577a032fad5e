// MQTT 5.0 properties (section 2.2.2): identifiers, value types, where each is allowed, and
// `Properties`, the decoded (or to-be-encoded) property block of one packet.
//
// Single-valued properties are decoded into fields; `present` says which were on the wire.
// User properties and subscription identifiers may repeat and are kept as WireLists, so decoding
// never allocates. A Properties borrows the bytes it was decoded from.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "codec/wire_list.h"

namespace rmq::codec {

enum class PropertyId : std::uint8_t {
  kPayloadFormatIndicator = 0x01,
  kMessageExpiryInterval = 0x02,
  kContentType = 0x03,
  kResponseTopic = 0x08,
  kCorrelationData = 0x09,
  kSubscriptionIdentifier = 0x0B,
  kSessionExpiryInterval = 0x11,
  kAssignedClientIdentifier = 0x12,
  kServerKeepAlive = 0x13,
  kAuthenticationMethod = 0x15,
  kAuthenticationData = 0x16,
  kRequestProblemInformation = 0x17,
  kWillDelayInterval = 0x18,
  kRequestResponseInformation = 0x19,
  kResponseInformation = 0x1A,
  kServerReference = 0x1C,
  kReasonString = 0x1F,
  kReceiveMaximum = 0x21,
  kTopicAliasMaximum = 0x22,
  kTopicAlias = 0x23,
  kMaximumQoS = 0x24,
  kRetainAvailable = 0x25,
  kUserProperty = 0x26,
  kMaximumPacketSize = 0x27,
  kWildcardSubscriptionAvailable = 0x28,
  kSubscriptionIdentifierAvailable = 0x29,
  kSharedSubscriptionAvailable = 0x2A,
};

enum class PropertyType : std::uint8_t {
  kByte,
  kTwoByteInteger,
  kFourByteInteger,
  kVarInt,
  kUtf8String,
  kBinary,
  kUtf8StringPair,
};

// Where a property block sits. kWill is the will-properties block inside CONNECT's payload.
enum class PropertyScope : std::uint8_t {
  kConnect,
  kConnack,
  kPublish,
  kWill,
  kPuback,
  kPubrec,
  kPubrel,
  kPubcomp,
  kSubscribe,
  kSuback,
  kUnsubscribe,
  kUnsuback,
  kDisconnect,
  kAuth,
};

struct PropertyInfo {
  PropertyId id;
  PropertyType type;
  std::uint16_t allowed_scopes;  // bit (1 << PropertyScope)
  bool may_repeat;               // true only for User Property and PUBLISH subscription ids
  std::string_view name;
};

// The table entry for `id`, or nullptr for an identifier MQTT 5.0 does not define.
const PropertyInfo* find_property(std::uint8_t id);

constexpr std::uint16_t scope_bit(PropertyScope s) {
  return static_cast<std::uint16_t>(1u << static_cast<unsigned>(s));
}

struct StringPair {
  std::string_view name;
  std::string_view value;
  friend bool operator==(const StringPair&, const StringPair&) = default;
};

template <>
struct WireElement<StringPair> {
  // Skips to the next User Property in a validated property block and reads it.
  static StringPair read(Reader& r);
};

template <>
struct WireElement<std::uint32_t> {
  // Skips to the next Subscription Identifier in a validated property block and reads it.
  static std::uint32_t read(Reader& r);
};

using BinaryView = std::span<const std::uint8_t>;

struct Properties {
  // Bit (1 << id) is set when the single-valued property `id` is present. Ids are < 64.
  std::uint64_t present = 0;

  std::uint8_t payload_format_indicator = 0;
  std::uint32_t message_expiry_interval = 0;
  std::string_view content_type;
  std::string_view response_topic;
  BinaryView correlation_data;
  std::uint32_t session_expiry_interval = 0;
  std::string_view assigned_client_identifier;
  std::uint16_t server_keep_alive = 0;
  std::string_view authentication_method;
  BinaryView authentication_data;
  std::uint8_t request_problem_information = 1;
  std::uint32_t will_delay_interval = 0;
  std::uint8_t request_response_information = 0;
  std::string_view response_information;
  std::string_view server_reference;
  std::string_view reason_string;
  std::uint16_t receive_maximum = 65535;
  std::uint16_t topic_alias_maximum = 0;
  std::uint16_t topic_alias = 0;
  std::uint8_t maximum_qos = 2;
  std::uint8_t retain_available = 1;
  std::uint32_t maximum_packet_size = 0;  // 0 when absent: no limit beyond the protocol's
  std::uint8_t wildcard_subscription_available = 1;
  std::uint8_t subscription_identifier_available = 1;
  std::uint8_t shared_subscription_available = 1;

  // Repeating properties, in wire order.
  WireList<StringPair> user_properties;
  WireList<std::uint32_t> subscription_identifiers;

  constexpr bool has(PropertyId id) const {
    return (present >> static_cast<unsigned>(id)) & 1u;
  }
  constexpr void mark(PropertyId id) { present |= std::uint64_t{1} << static_cast<unsigned>(id); }
  constexpr bool empty() const {
    return present == 0 && user_properties.empty() && subscription_identifiers.empty();
  }

  // Equal when the same properties are present with the same values (fields of absent
  // properties are ignored) and the repeating lists match element-wise.
  friend bool operator==(const Properties& a, const Properties& b);
};

}  // namespace rmq::codec
