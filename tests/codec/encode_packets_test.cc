// Exact byte layouts of each packet type as encoded: fixed-header flags, the fields each protocol
// version keeps or drops, 5.0 short forms and the order of properties. Bytes are written out by
// hand from MQTT 5.0 chapters 2-3 and 3.1.1 chapters 2-3.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codec/encode.h"
#include "codec/packets.h"

namespace rmq::codec {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr ProtocolVersion kV31 = ProtocolVersion::kV31;
constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Encodes through the PacketView dispatch, checking encode() writes exactly encoded_size().
Bytes encode_bytes(PacketType type, const PacketBody& body, ProtocolVersion v) {
  const PacketView packet{type, body};
  const std::size_t size = encoded_size(packet, v);
  Bytes out(size);
  EXPECT_EQ(encode(packet, v, out), size);
  return out;
}

ConnectView minimal_connect(ProtocolVersion v) {
  ConnectView c;
  c.version = v;
  c.client_id = "c";
  c.keep_alive = 60;
  return c;
}

TEST(EncodeConnect, V31UsesProtocolNameMQIsdpLevel3) {
  EXPECT_EQ(encode_bytes(PacketType::kConnect, minimal_connect(kV31), kV31),
            (Bytes{0x10, 15, 0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 0x02, 0, 60, 0, 1, 'c'}));
}

TEST(EncodeConnect, V311UsesProtocolNameMQTTLevel4) {
  EXPECT_EQ(encode_bytes(PacketType::kConnect, minimal_connect(kV311), kV311),
            (Bytes{0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, 0, 1, 'c'}));
}

TEST(EncodeConnect, V5AddsPropertyLength) {
  EXPECT_EQ(encode_bytes(PacketType::kConnect, minimal_connect(kV5), kV5),
            (Bytes{0x10, 14, 0, 4, 'M', 'Q', 'T', 'T', 5, 0x02, 0, 60, 0, 0, 1, 'c'}));
}

TEST(EncodeConnect, PacketViewDispatchReencodesForTheRequestedVersion) {
  const Bytes bytes = encode_bytes(PacketType::kConnect, minimal_connect(kV5), kV31);
  ASSERT_GT(bytes.size(), 10u);
  EXPECT_EQ(bytes[10], 3);  // protocol level of 3.1
}

// Connect Flags: bit 7 user name, 6 password, 5 will retain, 4-3 will QoS, 2 will flag, 1 clean
// start, 0 reserved (5.0 3.1.2.3, 3.1.1 3.1.2.3).
TEST(EncodeConnect, FlagsByteLayout) {
  struct Case {
    bool clean, will, will_retain, user, password;
    QoS will_qos;
    std::uint8_t flags;
  };
  const Case cases[] = {
      {false, false, false, false, false, QoS::kAtMostOnce, 0x00},
      {true, false, false, false, false, QoS::kAtMostOnce, 0x02},
      {false, true, false, false, false, QoS::kAtMostOnce, 0x04},
      {false, true, false, false, false, QoS::kAtLeastOnce, 0x0C},
      {false, true, false, false, false, QoS::kExactlyOnce, 0x14},
      {false, true, true, false, false, QoS::kAtMostOnce, 0x24},
      {false, false, false, false, true, QoS::kAtMostOnce, 0x40},
      {false, false, false, true, false, QoS::kAtMostOnce, 0x80},
      {true, true, false, true, true, QoS::kAtLeastOnce, 0xCE},  // the spec's example
      {true, true, true, true, true, QoS::kExactlyOnce, 0xF6},
  };
  for (const Case& k : cases) {
    ConnectView c = minimal_connect(kV311);
    c.clean_start = k.clean;
    if (k.will) c.will = WillView{k.will_qos, k.will_retain, {}, "w", {}};
    if (k.user) c.username = "u";
    if (k.password) c.password = as_bytes("p");
    const Bytes bytes = encode_bytes(PacketType::kConnect, c, kV311);
    ASSERT_GT(bytes.size(), 9u);
    EXPECT_EQ(bytes[9], k.flags) << int{k.flags};
  }
}

TEST(EncodeConnect, PayloadOrderWillPropertiesBeforeWillTopic) {
  ConnectView c = minimal_connect(kV5);
  c.clean_start = false;
  c.will = WillView{QoS::kAtMostOnce, false, {}, "wt", as_bytes("wp")};
  c.will->properties.will_delay_interval = 5;
  c.will->properties.mark(PropertyId::kWillDelayInterval);
  c.username = "u";
  c.password = as_bytes("pw");
  EXPECT_EQ(
      encode_bytes(PacketType::kConnect, c, kV5),
      (Bytes{0x10, 35, 0, 4, 'M', 'Q', 'T', 'T', 5, 0xC4, 0,   60, 0, 0,   1, 'c', 5,   0x18, 0,
             0,    0,  5, 0, 2,   'w', 't', 0,   2, 'w',  'p', 0,  1, 'u', 0, 2,   'p', 'w'}));
  // 3.1.1 drops both property blocks.
  c.version = kV311;
  EXPECT_EQ(encode_bytes(PacketType::kConnect, c, kV311),
            (Bytes{0x10, 28, 0,   4,   'M', 'Q', 'T', 'T', 4, 0xC4, 0,   60, 0, 1,   'c',
                   0,    2,  'w', 't', 0,   2,   'w', 'p', 0, 1,    'u', 0,  2, 'p', 'w'}));
}

TEST(EncodeConnack, SessionPresentAndCodePerVersion) {
  ConnackView c;
  c.session_present = true;
  c.reason_code = 0x05;
  EXPECT_EQ(encode_bytes(PacketType::kConnack, c, kV311), (Bytes{0x20, 2, 0x01, 0x05}));
  // 3.1 has no Session Present flag: the first byte is reserved.
  EXPECT_EQ(encode_bytes(PacketType::kConnack, c, kV31), (Bytes{0x20, 2, 0x00, 0x05}));
  c.reason_code = 0x87;
  EXPECT_EQ(encode_bytes(PacketType::kConnack, c, kV5), (Bytes{0x20, 3, 0x01, 0x87, 0x00}));
}

TEST(EncodePublish, FirstByteCarriesDupQosRetain) {
  PublishView p;
  p.topic = "t";
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV311), (Bytes{0x30, 3, 0, 1, 't'}));
  p.retain = true;
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV311)[0], 0x31);
  p.qos = QoS::kAtLeastOnce;
  p.packet_id = 0x0102;
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV311), (Bytes{0x33, 5, 0, 1, 't', 1, 2}));
  p.qos = QoS::kExactlyOnce;
  p.dup = true;
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV311)[0], 0x3D);
}

TEST(EncodePublish, QoS0WritesNoPacketIdentifier) {
  PublishView p;
  p.topic = "t";
  p.packet_id = 99;  // ignored at QoS 0
  p.payload = as_bytes("x");
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV5), (Bytes{0x30, 5, 0, 1, 't', 0, 'x'}));
}

// Order: single-valued properties by ascending id, then user properties in list order, then
// subscription identifiers in list order. `present` bits naming no single-valued property are
// ignored.
TEST(EncodeProperties, FixedOrderAndIgnoredPresentBits) {
  const StringPair pairs[] = {{"b", "2"}, {"a", "1"}};
  const std::uint32_t ids[] = {1, 200};
  PublishView p;
  p.topic = "t";
  p.properties.topic_alias = 5;
  p.properties.mark(PropertyId::kTopicAlias);
  p.properties.payload_format_indicator = 1;
  p.properties.mark(PropertyId::kPayloadFormatIndicator);
  p.properties.message_expiry_interval = 3600;
  p.properties.mark(PropertyId::kMessageExpiryInterval);
  p.properties.user_properties = std::span<const StringPair>(pairs);
  p.properties.subscription_identifiers = std::span<const std::uint32_t>(ids);
  const Bytes expected = {0x30, 33,   0,   1, 't',  29,  0x01, 1,   0x02, 0,    0,   0x0E,
                          0x10, 0x23, 0,   5, 0x26, 0,   1,    'b', 0,    1,    '2', 0x26,
                          0,    1,    'a', 0, 1,    '1', 0x0B, 1,   0x0B, 0xC8, 0x01};
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV5), expected);
  EXPECT_EQ(properties_size(p.properties), 29u);
  p.properties.mark(PropertyId::kUserProperty);
  p.properties.mark(PropertyId::kSubscriptionIdentifier);
  p.properties.present |= std::uint64_t{1} << 63;
  EXPECT_EQ(encode_bytes(PacketType::kPublish, p, kV5), expected);
}

TEST(EncodeProperties, EachValueType) {
  DisconnectView d;
  d.reason_code = ReasonCode::kServerMoved;
  d.properties.session_expiry_interval = 0x01020304;  // Four Byte Integer
  d.properties.mark(PropertyId::kSessionExpiryInterval);
  d.properties.server_reference = "s";  // UTF-8 Encoded String
  d.properties.mark(PropertyId::kServerReference);
  EXPECT_EQ(encode_bytes(PacketType::kDisconnect, d, kV5),
            (Bytes{0xE0, 11, 0x9D, 9, 0x11, 1, 2, 3, 4, 0x1C, 0, 1, 's'}));
  AuthView a;
  a.reason_code = ReasonCode::kContinueAuthentication;
  a.properties.authentication_data = as_bytes(std::string_view("\0\xFF", 2));  // Binary Data
  a.properties.mark(PropertyId::kAuthenticationData);
  EXPECT_EQ(encode_bytes(PacketType::kAuth, a, kV5),
            (Bytes{0xF0, 7, 0x18, 5, 0x16, 0, 2, 0x00, 0xFF}));
}

TEST(EncodeAck, V5ShortFormForSuccessWithoutProperties) {
  AckView a;
  a.packet_id = 1;
  EXPECT_EQ(encode_bytes(PacketType::kPuback, a, kV5), (Bytes{0x40, 2, 0, 1}));
  EXPECT_EQ(encode_bytes(PacketType::kPubrec, a, kV5), (Bytes{0x50, 2, 0, 1}));
  EXPECT_EQ(encode_bytes(PacketType::kPubrel, a, kV5), (Bytes{0x62, 2, 0, 1}));
  EXPECT_EQ(encode_bytes(PacketType::kPubcomp, a, kV5), (Bytes{0x70, 2, 0, 1}));
}

TEST(EncodeAck, V5ReasonCodeIsWrittenWithAPropertyLength) {
  AckView a;
  a.packet_id = 0x0102;
  a.reason_code = ReasonCode::kNoMatchingSubscribers;
  EXPECT_EQ(encode_bytes(PacketType::kPuback, a, kV5), (Bytes{0x40, 4, 1, 2, 0x10, 0}));
  a.reason_code = ReasonCode::kSuccess;
  a.properties.reason_string = "r";
  a.properties.mark(PropertyId::kReasonString);
  EXPECT_EQ(encode_bytes(PacketType::kPubcomp, a, kV5),
            (Bytes{0x70, 8, 1, 2, 0x00, 4, 0x1F, 0, 1, 'r'}));
}

TEST(EncodeAck, V311DropsReasonCodeAndProperties) {
  AckView a;
  a.packet_id = 7;
  a.reason_code = ReasonCode::kPacketIdentifierNotFound;
  a.properties.reason_string = "r";
  a.properties.mark(PropertyId::kReasonString);
  EXPECT_EQ(encode_bytes(PacketType::kPubrel, a, kV311), (Bytes{0x62, 2, 0, 7}));
  EXPECT_EQ(encode_bytes(PacketType::kPuback, a, kV31), (Bytes{0x40, 2, 0, 7}));
}

TEST(EncodeAck, TypeThatIsNotAPublishAckIsRefused) {
  std::array<std::uint8_t, 16> buf{};
  EXPECT_EQ(encoded_size(PacketType::kSuback, AckView{}, kV5), 0u);
  EXPECT_EQ(encode(PacketType::kPublish, AckView{}, kV5, buf), 0u);
}

TEST(EncodeSubscribe, OptionsBytePerVersion) {
  const Subscription subs[] = {{"a", {QoS::kExactlyOnce, true, true, RetainHandling::kDoNotSend}}};
  SubscribeView s;
  s.packet_id = 10;
  s.subscriptions = std::span<const Subscription>(subs);
  EXPECT_EQ(encode_bytes(PacketType::kSubscribe, s, kV5),
            (Bytes{0x82, 7, 0, 10, 0, 0, 1, 'a', 0x2E}));
  // 3.1.1: the requested QoS alone; the 5.0 options are dropped (reserved bits stay zero).
  EXPECT_EQ(encode_bytes(PacketType::kSubscribe, s, kV311),
            (Bytes{0x82, 6, 0, 10, 0, 1, 'a', 0x02}));
}

TEST(EncodeSuback, CodesPerVersionAndUnsubackWithoutCodesBefore5) {
  const std::uint8_t codes[] = {0x00, 0x11};
  SubackView s;
  s.packet_id = 10;
  s.reason_codes = codes;
  EXPECT_EQ(encode_bytes(PacketType::kSuback, s, kV311), (Bytes{0x90, 4, 0, 10, 0x00, 0x11}));
  EXPECT_EQ(encode_bytes(PacketType::kSuback, s, kV5), (Bytes{0x90, 5, 0, 10, 0, 0x00, 0x11}));
  EXPECT_EQ(encode_bytes(PacketType::kUnsuback, s, kV311), (Bytes{0xB0, 2, 0, 10}));
  EXPECT_EQ(encode_bytes(PacketType::kUnsuback, s, kV5), (Bytes{0xB0, 5, 0, 10, 0, 0x00, 0x11}));
  std::array<std::uint8_t, 16> buf{};
  EXPECT_EQ(encode(PacketType::kPuback, s, kV5, buf), 0u);
}

TEST(EncodeUnsubscribe, FlagsAndFilters) {
  const std::string_view filters[] = {"a", "b/#"};
  UnsubscribeView u;
  u.packet_id = 10;
  u.filters = std::span<const std::string_view>(filters);
  EXPECT_EQ(encode_bytes(PacketType::kUnsubscribe, u, kV311),
            (Bytes{0xA2, 10, 0, 10, 0, 1, 'a', 0, 3, 'b', '/', '#'}));
  EXPECT_EQ(encode_bytes(PacketType::kUnsubscribe, u, kV5),
            (Bytes{0xA2, 11, 0, 10, 0, 0, 1, 'a', 0, 3, 'b', '/', '#'}));
}

TEST(EncodePing, TwoBytesAndOnlyForPingTypes) {
  std::array<std::uint8_t, 2> buf{};
  EXPECT_EQ(encode_ping(PacketType::kPingreq, buf), 2u);
  EXPECT_EQ(buf, (std::array<std::uint8_t, 2>{0xC0, 0x00}));
  EXPECT_EQ(encode_ping(PacketType::kPingresp, buf), 2u);
  EXPECT_EQ(buf, (std::array<std::uint8_t, 2>{0xD0, 0x00}));
  EXPECT_EQ(encode_ping(PacketType::kDisconnect, buf), 0u);
  EXPECT_EQ(encode_ping(PacketType::kPingreq, std::span<std::uint8_t>(buf).first(1)), 0u);
  EXPECT_EQ(encode_bytes(PacketType::kPingreq, EmptyView{}, kV5), (Bytes{0xC0, 0}));
}

TEST(EncodeDisconnect, ShortFormsAndVersions) {
  DisconnectView d;
  EXPECT_EQ(encode_bytes(PacketType::kDisconnect, d, kV5), (Bytes{0xE0, 0}));
  d.reason_code = ReasonCode::kDisconnectWithWill;
  EXPECT_EQ(encode_bytes(PacketType::kDisconnect, d, kV5), (Bytes{0xE0, 2, 0x04, 0}));
  d.properties.reason_string = "r";
  d.properties.mark(PropertyId::kReasonString);
  EXPECT_EQ(encode_bytes(PacketType::kDisconnect, d, kV311), (Bytes{0xE0, 0}));
}

TEST(EncodeAuth, ShortFormAndOnlyIn5) {
  EXPECT_EQ(encode_bytes(PacketType::kAuth, AuthView{}, kV5), (Bytes{0xF0, 0}));
  EXPECT_EQ(encoded_size(AuthView{}), 2u);
  const PacketView auth{PacketType::kAuth, AuthView{}};
  std::array<std::uint8_t, 16> buf{};
  EXPECT_EQ(encoded_size(auth, kV311), 0u);
  EXPECT_EQ(encode(auth, kV311, buf), 0u);
}

TEST(EncodePacketView, ReservedTypeOrMismatchedBodyIsRefused) {
  std::array<std::uint8_t, 16> buf{};
  const PacketView reserved{PacketType::kReserved, EmptyView{}};
  EXPECT_EQ(encoded_size(reserved, kV5), 0u);
  EXPECT_EQ(encode(reserved, kV5, buf), 0u);
  const PacketView mismatched{PacketType::kPublish, AckView{}};
  EXPECT_EQ(encoded_size(mismatched, kV5), 0u);
  EXPECT_EQ(encode(mismatched, kV5, buf), 0u);
}

}  // namespace
}  // namespace rmq::codec
