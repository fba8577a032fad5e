// The single-valued MQTT 5.0 properties (every property but User Property and Subscription
// Identifier) paired with the Properties member that holds each. Not part of the public
// interface: encode and equality walk this one list so they cannot disagree about which fields
// exist. Ascending identifier order, which is the order encode writes them in.
#pragma once

#include <cstdint>

#include "codec/properties.h"

namespace rmq::codec::detail {

// Calls fn(PropertyId, member pointer) for each single-valued property, in ascending id order.
// Member types: uint8_t (Byte), uint16_t (Two Byte Integer), uint32_t (Four Byte Integer),
// std::string_view (UTF-8 Encoded String), BinaryView (Binary Data).
template <typename Fn>
constexpr void for_each_single_valued_property(Fn&& fn) {
  using P = Properties;
  using Id = PropertyId;
  fn(Id::kPayloadFormatIndicator, &P::payload_format_indicator);
  fn(Id::kMessageExpiryInterval, &P::message_expiry_interval);
  fn(Id::kContentType, &P::content_type);
  fn(Id::kResponseTopic, &P::response_topic);
  fn(Id::kCorrelationData, &P::correlation_data);
  fn(Id::kSessionExpiryInterval, &P::session_expiry_interval);
  fn(Id::kAssignedClientIdentifier, &P::assigned_client_identifier);
  fn(Id::kServerKeepAlive, &P::server_keep_alive);
  fn(Id::kAuthenticationMethod, &P::authentication_method);
  fn(Id::kAuthenticationData, &P::authentication_data);
  fn(Id::kRequestProblemInformation, &P::request_problem_information);
  fn(Id::kWillDelayInterval, &P::will_delay_interval);
  fn(Id::kRequestResponseInformation, &P::request_response_information);
  fn(Id::kResponseInformation, &P::response_information);
  fn(Id::kServerReference, &P::server_reference);
  fn(Id::kReasonString, &P::reason_string);
  fn(Id::kReceiveMaximum, &P::receive_maximum);
  fn(Id::kTopicAliasMaximum, &P::topic_alias_maximum);
  fn(Id::kTopicAlias, &P::topic_alias);
  fn(Id::kMaximumQoS, &P::maximum_qos);
  fn(Id::kRetainAvailable, &P::retain_available);
  fn(Id::kMaximumPacketSize, &P::maximum_packet_size);
  fn(Id::kWildcardSubscriptionAvailable, &P::wildcard_subscription_available);
  fn(Id::kSubscriptionIdentifierAvailable, &P::subscription_identifier_available);
  fn(Id::kSharedSubscriptionAvailable, &P::shared_subscription_available);
}

// The `present` bits that name a single-valued property. Other bits (undefined ids, or the ids of
// the two repeating properties, which live in WireLists) are ignored by encode and by equality.
inline constexpr std::uint64_t kSingleValuedPropertyMask = [] {
  std::uint64_t mask = 0;
  for_each_single_valued_property(
      [&mask](PropertyId id, auto) { mask |= std::uint64_t{1} << static_cast<unsigned>(id); });
  return mask;
}();

}  // namespace rmq::codec::detail
