// MQTT 5.0 samples of the catalogue (sample_packets.h): packets with properties, reason codes,
// subscription options and AUTH, which earlier versions do not have.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "codec/packets.h"
#include "codec/properties.h"
#include "codec/types.h"
#include "tests/codec/sample_packet_builders.h"

namespace rmq::codec::testing::sample_detail {

using Id = PropertyId;
using P = Properties;
inline constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

inline Properties reason_properties(std::string_view reason) {
  Properties p;
  set(p, Id::kReasonString, &P::reason_string, reason);
  p.user_properties = std::span<const StringPair>(storage().few_user_properties);
  return p;
}

// Every property CONNECT allows (5.0 3.1.2.11).
inline Properties connect_properties() {
  Properties p;
  set(p, Id::kSessionExpiryInterval, &P::session_expiry_interval, 0xFFFFFFFFu);
  set(p, Id::kReceiveMaximum, &P::receive_maximum, 20);
  set(p, Id::kMaximumPacketSize, &P::maximum_packet_size, 1'048'576);
  set(p, Id::kTopicAliasMaximum, &P::topic_alias_maximum, 10);
  set(p, Id::kRequestResponseInformation, &P::request_response_information, 1);
  set(p, Id::kRequestProblemInformation, &P::request_problem_information, 0);
  set(p, Id::kAuthenticationMethod, &P::authentication_method, "SCRAM-SHA-256");
  set(p, Id::kAuthenticationData, &P::authentication_data, as_bytes("client-first"));
  p.user_properties = std::span<const StringPair>(storage().few_user_properties);
  return p;
}

// Every property a will allows (5.0 3.1.3.2).
inline Properties will_properties() {
  Properties p;
  set(p, Id::kPayloadFormatIndicator, &P::payload_format_indicator, 1);
  set(p, Id::kMessageExpiryInterval, &P::message_expiry_interval, 3600);
  set(p, Id::kContentType, &P::content_type, "text/plain");
  set(p, Id::kResponseTopic, &P::response_topic, "will/response");
  set(p, Id::kCorrelationData, &P::correlation_data, as_bytes("\x01\x02"));
  set(p, Id::kWillDelayInterval, &P::will_delay_interval, 30);
  p.user_properties = std::span<const StringPair>(storage().many_user_properties);
  return p;
}

// Every property CONNACK allows (5.0 3.2.2.3).
inline Properties connack_properties() {
  Properties p = reason_properties("welcome");
  set(p, Id::kSessionExpiryInterval, &P::session_expiry_interval, 120);
  set(p, Id::kReceiveMaximum, &P::receive_maximum, 65535);
  set(p, Id::kMaximumQoS, &P::maximum_qos, 1);
  set(p, Id::kRetainAvailable, &P::retain_available, 0);
  set(p, Id::kMaximumPacketSize, &P::maximum_packet_size, 268'435'460);
  set(p, Id::kAssignedClientIdentifier, &P::assigned_client_identifier, "auto-7f3a");
  set(p, Id::kTopicAliasMaximum, &P::topic_alias_maximum, 65535);
  set(p, Id::kWildcardSubscriptionAvailable, &P::wildcard_subscription_available, 0);
  set(p, Id::kSubscriptionIdentifierAvailable, &P::subscription_identifier_available, 0);
  set(p, Id::kSharedSubscriptionAvailable, &P::shared_subscription_available, 0);
  set(p, Id::kServerKeepAlive, &P::server_keep_alive, 120);
  set(p, Id::kResponseInformation, &P::response_information, "resp/");
  set(p, Id::kServerReference, &P::server_reference, "other.example:1883");
  set(p, Id::kAuthenticationMethod, &P::authentication_method, "SCRAM-SHA-256");
  set(p, Id::kAuthenticationData, &P::authentication_data, as_bytes("server-final"));
  return p;
}

// Every property PUBLISH allows (5.0 3.3.2.3), several subscription identifiers included.
inline Properties publish_properties() {
  Properties p;
  set(p, Id::kPayloadFormatIndicator, &P::payload_format_indicator, 1);
  set(p, Id::kMessageExpiryInterval, &P::message_expiry_interval, 0);
  set(p, Id::kTopicAlias, &P::topic_alias, 3);
  set(p, Id::kResponseTopic, &P::response_topic, "reply/to/me");
  set(p, Id::kCorrelationData, &P::correlation_data, as_bytes(std::string_view("\0\1", 2)));
  set(p, Id::kContentType, &P::content_type, "application/json");
  p.user_properties = std::span<const StringPair>(storage().few_user_properties);
  p.subscription_identifiers = std::span<const std::uint32_t>(storage().subscription_ids);
  return p;
}

inline void add_v5_connect_packets(Catalogue& c) {
  ConnectView all = connect(kV5, "props", 15, false);
  all.properties = connect_properties();
  all.will = will(QoS::kExactlyOnce, true, "will/all", "{\"bye\":true}");
  all.will->properties = will_properties();
  all.username = "u";
  all.password = as_bytes("p");
  c.add(kV5, "connect_all_properties", PacketType::kConnect, all);
  ConnectView password_only = connect(kV5, "p-only", 60, true);
  password_only.password = as_bytes("token");
  c.add(kV5, "connect_password_without_username", PacketType::kConnect, password_only);
  ConnackView connack_all;
  connack_all.session_present = true;
  connack_all.properties = connack_properties();
  c.add(kV5, "connack_all_properties", PacketType::kConnack, connack_all);
  ConnackView refused;
  refused.reason_code = static_cast<std::uint8_t>(ReasonCode::kBadUserNameOrPassword);
  refused.properties = reason_properties("bad credentials");
  c.add(kV5, "connack_refused_reason_string", PacketType::kConnack, refused);
}

inline void add_v5_publish_packets(Catalogue& c) {
  const Storage& s = storage();
  PublishView all = publish(QoS::kAtLeastOnce, 77, "a/b/c", "{\"t\":21.5}");
  all.properties = publish_properties();
  c.add(kV5, "publish_all_properties", PacketType::kPublish, all);
  PublishView aliased = publish(QoS::kAtMostOnce, 0, "", "by alias");
  set(aliased.properties, Id::kTopicAlias, &P::topic_alias, 65535);
  c.add(kV5, "publish_topic_alias_empty_topic", PacketType::kPublish, aliased);
  PublishView many = publish(QoS::kExactlyOnce, 9, "many/props", "");
  many.properties.user_properties = std::span<const StringPair>(s.many_user_properties);
  c.add(kV5, "publish_many_user_properties", PacketType::kPublish, many);
  PublishView max_prop = publish(QoS::kAtMostOnce, 0, "max", "m");
  max_prop.properties.user_properties = std::span<const StringPair>(s.max_user_property);
  c.add(kV5, "publish_max_user_property", PacketType::kPublish, max_prop);

  const PacketType ack_types[] = {PacketType::kPuback, PacketType::kPubrec, PacketType::kPubrel,
                                  PacketType::kPubcomp};
  const std::string_view ack_names[] = {"puback", "pubrec", "pubrel", "pubcomp"};
  // A failure code each packet type allows (5.0 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1).
  const ReasonCode failures[] = {ReasonCode::kQuotaExceeded, ReasonCode::kNotAuthorized,
                                 ReasonCode::kPacketIdentifierNotFound,
                                 ReasonCode::kPacketIdentifierNotFound};
  for (int i = 0; i < 4; ++i) {
    const std::string name(ack_names[i]);
    c.add(kV5, name + "_reason_code", ack_types[i], ack(100, failures[i]));
    AckView with_props = ack(101, failures[i]);
    with_props.properties = reason_properties("no");
    c.add(kV5, name + "_reason_and_properties", ack_types[i], with_props);
    AckView success_props = ack(102);
    success_props.properties = reason_properties("ok");
    c.add(kV5, name + "_success_with_properties", ack_types[i], success_props);
  }
  c.add(kV5, "puback_no_matching_subscribers", PacketType::kPuback,
        ack(5, ReasonCode::kNoMatchingSubscribers));
}

inline void add_v5_session_packets(Catalogue& c) {
  const Storage& s = storage();
  auto sub = with_packet_id<SubscribeView>(12);
  sub.properties.subscription_identifiers = std::span<const std::uint32_t>(s.one_subscription_id);
  sub.properties.user_properties = std::span<const StringPair>(s.few_user_properties);
  sub.subscriptions = std::span<const Subscription>(s.subscriptions_v5);
  c.add(kV5, "subscribe_options_and_properties", PacketType::kSubscribe, sub);
  auto suback = with_packet_id<SubackView>(12);
  suback.properties = reason_properties("partial");
  suback.reason_codes = std::span<const std::uint8_t>(s.suback_v5);
  c.add(kV5, "suback_reason_codes_and_properties", PacketType::kSuback, suback);
  auto unsub = with_packet_id<UnsubscribeView>(13);
  unsub.properties.user_properties = std::span<const StringPair>(s.many_user_properties);
  unsub.filters = std::span<const std::string_view>(s.filters);
  c.add(kV5, "unsubscribe_with_user_properties", PacketType::kUnsubscribe, unsub);
  auto unsuback = with_packet_id<SubackView>(13);
  unsuback.reason_codes = std::span<const std::uint8_t>(s.unsuback_v5);
  c.add(kV5, "unsuback", PacketType::kUnsuback, unsuback);
  auto unsuback_props = with_packet_id<SubackView>(14);
  unsuback_props.properties = reason_properties("gone");
  unsuback_props.reason_codes = std::span<const std::uint8_t>(s.one_code);
  c.add(kV5, "unsuback_with_properties", PacketType::kUnsuback, unsuback_props);

  DisconnectView with_will;
  with_will.reason_code = ReasonCode::kDisconnectWithWill;
  c.add(kV5, "disconnect_with_will", PacketType::kDisconnect, with_will);
  DisconnectView moved;  // every property DISCONNECT allows (5.0 3.14.2.2)
  moved.reason_code = ReasonCode::kServerMoved;
  moved.properties = reason_properties("moving");
  set(moved.properties, Id::kSessionExpiryInterval, &P::session_expiry_interval, 0);
  set(moved.properties, Id::kServerReference, &P::server_reference, "b.example");
  c.add(kV5, "disconnect_all_properties", PacketType::kDisconnect, moved);

  c.add(kV5, "auth_success", PacketType::kAuth, AuthView{});
  AuthView cont;  // every property AUTH allows (5.0 3.15.2.2)
  cont.reason_code = ReasonCode::kContinueAuthentication;
  cont.properties = reason_properties("step 2");
  set(cont.properties, Id::kAuthenticationMethod, &P::authentication_method, "SCRAM-SHA-256");
  set(cont.properties, Id::kAuthenticationData, &P::authentication_data, as_bytes("challenge"));
  c.add(kV5, "auth_continue", PacketType::kAuth, cont);
  AuthView reauth;
  reauth.reason_code = ReasonCode::kReAuthenticate;
  set(reauth.properties, Id::kAuthenticationMethod, &P::authentication_method, "GS2-KRB5");
  c.add(kV5, "auth_reauthenticate", PacketType::kAuth, reauth);
}

inline void add_v5_packets(Catalogue& c) {
  add_v5_connect_packets(c);
  add_v5_publish_packets(c);
  add_v5_session_packets(c);
}

}  // namespace rmq::codec::testing::sample_detail
