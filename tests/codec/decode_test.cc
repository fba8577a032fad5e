// Valid CONNECT, CONNACK and PUBLISH packets of 3.1, 3.1.1 and 5.0 decode to the fields they
// carry, as views into the input (zero-copy). The other packet types: decode_control_test.cc.
#include "codec/decode.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "tests/codec/hand_bytes.h"
#include "tests/codec/valid_packets.h"

namespace rmq::codec::test {
namespace {

using namespace samples;  // NOLINT(google-build-using-namespace)

Bytes bytes_of(BinaryView v) { return Bytes(v.begin(), v.end()); }

std::vector<StringPair> pairs_of(const WireList<StringPair>& list) {
  return std::vector<StringPair>(list.begin(), list.end());
}

std::vector<std::uint32_t> ids_of(const WireList<std::uint32_t>& list) {
  return std::vector<std::uint32_t>(list.begin(), list.end());
}


TEST(DecodeConnect, V31WithEveryFlag) {
  const Bytes in = connect_v31();
  const PacketView p = decode_whole(in, ProtocolVersion::kV31, PacketType::kConnect);
  const auto& c = std::get<ConnectView>(p.body);
  EXPECT_EQ(c.version, ProtocolVersion::kV31);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 30);
  EXPECT_EQ(c.client_id, "c31");
  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(c.will->retain);
  EXPECT_EQ(c.will->topic, "w/31");
  EXPECT_EQ(bytes_of(c.will->payload), raw("bye"));
  EXPECT_TRUE(c.will->properties.empty());
  ASSERT_TRUE(c.username.has_value());
  EXPECT_EQ(*c.username, "u");
  ASSERT_TRUE(c.password.has_value());
  EXPECT_EQ(bytes_of(*c.password), raw("p"));
  EXPECT_TRUE(c.properties.empty());
}

TEST(DecodeConnect, V311Minimal) {
  const Bytes in = connect_v311_minimal();
  // The connection's version does not matter for CONNECT: it announces its own.
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kConnect);
  const auto& c = std::get<ConnectView>(p.body);
  EXPECT_EQ(c.version, ProtocolVersion::kV311);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 60);
  EXPECT_EQ(c.client_id, "client-1");
  EXPECT_FALSE(c.will.has_value());
  EXPECT_FALSE(c.username.has_value());
  EXPECT_FALSE(c.password.has_value());
  EXPECT_TRUE(points_into(c.client_id, in));
}

TEST(DecodeConnect, V311EmptyClientIdentifierIsLeftToTheBroker) {
  const Bytes in = connect_v311_empty_client_id();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kConnect);
  const auto& c = std::get<ConnectView>(p.body);
  EXPECT_FALSE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 0);
  EXPECT_TRUE(c.client_id.empty());
}

TEST(DecodeConnect, V5EveryPropertyAndWillProperty) {
  const Bytes in = connect_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kConnect);
  const auto& c = std::get<ConnectView>(p.body);
  EXPECT_EQ(c.version, ProtocolVersion::kV5);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 0x1234);
  const Properties& pr = c.properties;
  EXPECT_TRUE(pr.has(PropertyId::kSessionExpiryInterval));
  EXPECT_EQ(pr.session_expiry_interval, 3600u);
  EXPECT_EQ(pr.receive_maximum, 100);
  EXPECT_EQ(pr.maximum_packet_size, 65536u);
  EXPECT_EQ(pr.topic_alias_maximum, 10);
  EXPECT_EQ(pr.request_response_information, 1);
  EXPECT_TRUE(pr.has(PropertyId::kRequestProblemInformation));
  EXPECT_EQ(pr.request_problem_information, 0);
  EXPECT_EQ(pr.authentication_method, "SCRAM");
  EXPECT_EQ(bytes_of(pr.authentication_data), (Bytes{1, 2, 3}));
  EXPECT_EQ(pairs_of(pr.user_properties), (std::vector<StringPair>{{"k1", "v1"}, {"k2", "v2"}}));
  EXPECT_TRUE(pr.subscription_identifiers.empty());
  EXPECT_EQ(c.client_id, "c5");

  ASSERT_TRUE(c.will.has_value());
  EXPECT_EQ(c.will->qos, QoS::kExactlyOnce);
  EXPECT_FALSE(c.will->retain);
  const Properties& w = c.will->properties;
  EXPECT_EQ(w.will_delay_interval, 5u);
  EXPECT_EQ(w.payload_format_indicator, 1);
  EXPECT_TRUE(w.has(PropertyId::kMessageExpiryInterval));
  EXPECT_EQ(w.message_expiry_interval, 60u);
  EXPECT_EQ(w.content_type, "text/plain");
  EXPECT_EQ(w.response_topic, "resp/t");
  EXPECT_EQ(bytes_of(w.correlation_data), (Bytes{9, 8}));
  EXPECT_EQ(pairs_of(w.user_properties), (std::vector<StringPair>{{"wk", "wv"}}));
  EXPECT_FALSE(w.has(PropertyId::kSessionExpiryInterval));
  EXPECT_EQ(c.will->topic, "will/t");
  EXPECT_EQ(bytes_of(c.will->payload), hello_utf8());
  EXPECT_EQ(c.username, "user");
  EXPECT_EQ(bytes_of(*c.password), (Bytes{0, 1, 2}));

  // Zero copy: every view lies in the input buffer.
  EXPECT_TRUE(points_into(pr.authentication_method, in));
  EXPECT_TRUE(points_into(pr.authentication_data, in));
  EXPECT_TRUE(points_into(pr.user_properties.wire(), in));
  EXPECT_TRUE(points_into(pairs_of(pr.user_properties)[1].value, in));
  EXPECT_TRUE(points_into(w.correlation_data, in));
  EXPECT_TRUE(points_into(c.will->topic, in));
  EXPECT_TRUE(points_into(c.will->payload, in));
  EXPECT_TRUE(points_into(*c.username, in));
  EXPECT_TRUE(points_into(*c.password, in));
}

TEST(DecodeConnect, V5PasswordWithoutUserName) {
  const Bytes in = connect_v5_password_only();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kConnect);
  const auto& c = std::get<ConnectView>(p.body);
  EXPECT_TRUE(c.clean_start);
  EXPECT_EQ(c.keep_alive, 10);
  EXPECT_EQ(c.client_id, "p");
  EXPECT_FALSE(c.username.has_value());
  ASSERT_TRUE(c.password.has_value());
  EXPECT_EQ(bytes_of(*c.password), raw("secret"));
  EXPECT_TRUE(c.properties.empty());
}

TEST(DecodeConnect, AbsentPropertiesKeepTheirSpecDefaults) {
  const Bytes in = connect_v5_password_only();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kConnect);
  const Properties& pr = std::get<ConnectView>(p.body).properties;
  EXPECT_EQ(pr.present, 0u);
  EXPECT_EQ(pr.receive_maximum, 65535);
  EXPECT_EQ(pr.request_problem_information, 1);
  EXPECT_EQ(pr.request_response_information, 0);
  EXPECT_EQ(pr.maximum_packet_size, 0u);
  EXPECT_EQ(pr.maximum_qos, 2);
}

TEST(DecodeConnack, V311SessionPresent) {
  const Bytes in = connack_v311_session_present();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kConnack);
  EXPECT_TRUE(std::get<ConnackView>(p.body).session_present);
  EXPECT_EQ(std::get<ConnackView>(p.body).reason_code, 0);
}

TEST(DecodeConnack, V311ReturnCode) {
  const Bytes in = connack_v311_not_authorized();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kConnack);
  EXPECT_FALSE(std::get<ConnackView>(p.body).session_present);
  EXPECT_EQ(std::get<ConnackView>(p.body).reason_code,
            static_cast<std::uint8_t>(ConnackReturnCode::kNotAuthorized));
}

TEST(DecodeConnack, V5Minimal) {
  const Bytes in = connack_v5_minimal();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kConnack);
  EXPECT_EQ(std::get<ConnackView>(p.body).reason_code, 0);
  EXPECT_TRUE(std::get<ConnackView>(p.body).properties.empty());
}

TEST(DecodeConnack, V5EveryProperty) {
  const Bytes in = connack_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kConnack);
  const Properties& pr = std::get<ConnackView>(p.body).properties;
  EXPECT_EQ(pr.session_expiry_interval, 7200u);
  EXPECT_EQ(pr.receive_maximum, 20);
  EXPECT_EQ(pr.maximum_qos, 1);
  EXPECT_TRUE(pr.has(PropertyId::kRetainAvailable));
  EXPECT_EQ(pr.retain_available, 0);
  EXPECT_EQ(pr.maximum_packet_size, 1024u);
  EXPECT_EQ(pr.assigned_client_identifier, "assigned-1");
  EXPECT_EQ(pr.topic_alias_maximum, 5);
  EXPECT_EQ(pr.reason_string, "ok");
  EXPECT_EQ(pairs_of(pr.user_properties), (std::vector<StringPair>{{"a", "b"}}));
  EXPECT_EQ(pr.wildcard_subscription_available, 0);
  EXPECT_EQ(pr.subscription_identifier_available, 0);
  EXPECT_EQ(pr.shared_subscription_available, 0);
  EXPECT_EQ(pr.server_keep_alive, 30);
  EXPECT_EQ(pr.response_information, "resp/info");
  EXPECT_EQ(pr.server_reference, "other:1883");
  EXPECT_EQ(pr.authentication_method, "SCRAM");
  EXPECT_EQ(bytes_of(pr.authentication_data), (Bytes{7}));
  EXPECT_TRUE(points_into(pr.assigned_client_identifier, in));
}

TEST(DecodePublish, V311Qos0) {
  const Bytes in = publish_v311_qos0();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kPublish);
  const auto& pub = std::get<PublishView>(p.body);
  EXPECT_FALSE(pub.dup);
  EXPECT_EQ(pub.qos, QoS::kAtMostOnce);
  EXPECT_FALSE(pub.retain);
  EXPECT_EQ(pub.topic, "a/b");
  EXPECT_EQ(pub.packet_id, 0);
  EXPECT_EQ(bytes_of(pub.payload), raw("hello"));
  EXPECT_TRUE(pub.properties.empty());
  EXPECT_TRUE(points_into(pub.topic, in));
  EXPECT_TRUE(points_into(pub.payload, in));
  EXPECT_EQ(pub.payload.data(), in.data() + in.size() - 5);  // the payload is the packet's tail
}

TEST(DecodePublish, V311Qos1DupRetainEmptyPayload) {
  const Bytes in = publish_v311_qos1_dup_retain();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kPublish);
  const auto& pub = std::get<PublishView>(p.body);
  EXPECT_TRUE(pub.dup);
  EXPECT_EQ(pub.qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(pub.retain);
  EXPECT_EQ(pub.topic, "x");
  EXPECT_EQ(pub.packet_id, 10);
  EXPECT_TRUE(pub.payload.empty());
}

TEST(DecodePublish, V311Qos2BinaryPayload) {
  const Bytes in = publish_v311_qos2();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kPublish);
  const auto& pub = std::get<PublishView>(p.body);
  EXPECT_EQ(pub.qos, QoS::kExactlyOnce);
  EXPECT_EQ(pub.packet_id, 0xFFFF);
  EXPECT_EQ(pub.topic, "sensors/1");
  EXPECT_EQ(bytes_of(pub.payload), (Bytes{0, 1, 2, 0xFF}));
}

TEST(DecodePublish, V31Qos1) {
  const Bytes in = publish_v31_qos1();
  const PacketView p = decode_whole(in, ProtocolVersion::kV31, PacketType::kPublish);
  EXPECT_EQ(std::get<PublishView>(p.body).packet_id, 1);
  EXPECT_EQ(std::get<PublishView>(p.body).topic, "t");
}

TEST(DecodePublish, V5PropertiesUserPropertyOrderAndSubscriptionIdentifiers) {
  const Bytes in = publish_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPublish);
  const auto& pub = std::get<PublishView>(p.body);
  EXPECT_EQ(pub.qos, QoS::kExactlyOnce);
  EXPECT_TRUE(pub.retain);
  EXPECT_EQ(pub.packet_id, 7);
  const Properties& pr = pub.properties;
  EXPECT_EQ(pr.payload_format_indicator, 1);
  EXPECT_EQ(pr.message_expiry_interval, 30u);
  EXPECT_EQ(pr.topic_alias, 3);
  EXPECT_EQ(pr.response_topic, "reply/to");
  EXPECT_EQ(bytes_of(pr.correlation_data), (Bytes{0xCA, 0xFE}));
  EXPECT_EQ(pr.content_type, "text/plain");
  // Wire order kept, repeated names kept.
  EXPECT_EQ(pairs_of(pr.user_properties),
            (std::vector<StringPair>{{"first", "1"}, {"second", "2"}, {"first", "3"}}));
  EXPECT_EQ(ids_of(pr.subscription_identifiers),
            (std::vector<std::uint32_t>{1, 268'435'455, 16384}));
  EXPECT_EQ(pr.user_properties.size(), 3u);
  EXPECT_EQ(pr.subscription_identifiers.size(), 3u);
  // The repeating properties are not `present` bits; the single-valued ones are.
  EXPECT_FALSE(pr.has(PropertyId::kUserProperty));
  EXPECT_FALSE(pr.has(PropertyId::kSubscriptionIdentifier));
  EXPECT_TRUE(pr.has(PropertyId::kTopicAlias));
  EXPECT_EQ(bytes_of(pub.payload), hello_utf8());
  EXPECT_TRUE(points_into(pr.response_topic, in));
  EXPECT_TRUE(points_into(pr.subscription_identifiers.wire(), in));
}

TEST(DecodePublish, V5EmptyTopicWithTopicAlias) {
  const Bytes in = publish_v5_alias_only();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPublish);
  EXPECT_TRUE(std::get<PublishView>(p.body).topic.empty());
  EXPECT_EQ(std::get<PublishView>(p.body).properties.topic_alias, 3);
}

TEST(DecodePublish, V5PayloadFormatIndicatorAllowsNullCharacterData) {
  // U+0000 is well-formed UTF-8 character data; only UTF-8 Encoded Strings forbid it.
  const Bytes in = packet(0x30, str("t") + props({0x01, 0x01}) + Bytes{'a', 0x00, 'b'});
  EXPECT_EQ(decode5(in).status, DecodeStatus::kComplete);
}

TEST(DecodePublish, V311TopicThatLooksLikeAProperty) {
  // Before 5.0 there is no property block: the bytes after the topic are payload.
  const Bytes in = packet(0x30, str("t") + Bytes{0x00, 0x05});
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kPublish);
  EXPECT_EQ(bytes_of(std::get<PublishView>(p.body).payload), (Bytes{0x00, 0x05}));
}

TEST(Decode, ConsumesOnePacketAndLeavesTheNext) {
  const Bytes first = publish_v311_qos0();
  const Bytes in = first + pingreq();
  const DecodeResult r = decode311(in);
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  EXPECT_EQ(r.consumed, first.size());
  const DecodeResult next = decode311(Bytes(in.begin() + r.consumed, in.end()));
  ASSERT_EQ(next.status, DecodeStatus::kComplete);
  EXPECT_EQ(next.packet.type, PacketType::kPingreq);
}

TEST(Decode, FixedHeaderFields) {
  FixedHeader h;
  ASSERT_EQ(decode_fixed_header(Bytes{0x35, 0xC8, 0x01}, &h), HeaderStatus::kComplete);
  EXPECT_EQ(h.type, PacketType::kPublish);
  EXPECT_EQ(h.flags, 0x5);
  EXPECT_EQ(h.remaining, 200u);
  EXPECT_EQ(h.header_size, 3);
  EXPECT_EQ(h.packet_size(), 203u);
  ASSERT_EQ(decode_fixed_header(Bytes{0x30, 0xFF, 0xFF, 0xFF, 0x7F}, &h), HeaderStatus::kComplete);
  EXPECT_EQ(h.remaining, kMaxRemainingLength);
  EXPECT_EQ(h.header_size, 5);
  EXPECT_EQ(decode_fixed_header(Bytes{0x30, 0xFF, 0xFF}, &h), HeaderStatus::kNeedMore);
  EXPECT_EQ(decode_fixed_header(Bytes{}, &h), HeaderStatus::kNeedMore);
  EXPECT_EQ(decode_fixed_header(Bytes{0x30, 0x80, 0x80, 0x80, 0x80}, &h), HeaderStatus::kMalformed);
}

TEST(Decode, NonMinimalRemainingLengthIsAccepted) {
  // 0x82 0x00 encodes 2 in two bytes; minimal encoding is a sender's duty [MQTT-1.5.5-1].
  const DecodeResult r = decode311(Bytes{0x40, 0x82, 0x00, 0x00, 0x01});
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  EXPECT_EQ(r.consumed, 5u);
  EXPECT_EQ(std::get<AckView>(r.packet.body).packet_id, 1);
}

}  // namespace
}  // namespace rmq::codec::test
