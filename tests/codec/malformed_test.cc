// One test per rejection rule, named by the specification statement it enforces (MQTT 5.0
// numbering; 3.1.1 numbering where the rule exists only there; a section number where the spec
// gives the rule no statement id). Each asserts status kMalformed, the reason code and the
// statement id the decoder reports.
#include <gtest/gtest.h>

#include <cstdint>

#include "codec/decode.h"
#include "tests/codec/hand_bytes.h"

namespace rmq::codec::test {
namespace {

using RC = ReasonCode;
constexpr auto kV311 = ProtocolVersion::kV311;

// CONNECT with `flags`, keep alive 60, and `payload` (starting with the Client Identifier).
Bytes connect311(std::uint8_t flags, const Bytes& payload) {
  return packet(0x10, str("MQTT") + Bytes{4, flags} + u16(60) + payload);
}
Bytes connect5(std::uint8_t flags, const Bytes& properties, const Bytes& payload) {
  return packet(0x10, str("MQTT") + Bytes{5, flags} + u16(60) + props(properties) + payload);
}
// A 5.0 CONNECT with a will (QoS 0) whose will properties are `will_properties`.
Bytes connect5_will(const Bytes& will_properties, const Bytes& will_payload) {
  return connect5(0x06, {}, str("c") + props(will_properties) + str("w/t") + bin(will_payload));
}
// A 5.0 QoS 0 PUBLISH to `topic` with the given property block.
Bytes publish5(const Bytes& properties, std::string_view topic = "a/b") {
  return packet(0x30, str(topic) + props(properties) + raw("payload"));
}
// --- Fixed header (MQTT 5.0 2.1) ------------------------------------------------------------

TEST(Malformed, MQTT_2_1_3_1_ConnectFlagsNotZero) {
  Bytes p = connect311(0x02, str("c"));
  p[0] = 0x11;
  EXPECT_TRUE(Malformed(decode311(p), "MQTT-2.1.3-1"));
}

TEST(Malformed, MQTT_2_1_3_1_PubackFlagsNotZeroV311) {
  EXPECT_TRUE(Malformed(decode311(packet(0x41, u16(1))), "MQTT-2.1.3-1"));
}

TEST(Malformed, MQTT_2_1_3_1_PubackFlagsNotZeroV5) {
  EXPECT_TRUE(Malformed(decode5(packet(0x48, u16(1))), "MQTT-2.1.3-1"));
}

TEST(Malformed, MQTT_2_1_3_1_PingreqFlagsNotZero) {
  EXPECT_TRUE(Malformed(decode5(Bytes{0xC1, 0x00}), "MQTT-2.1.3-1"));
}

TEST(Malformed, MQTT_2_1_3_1_DetectedFromTheFirstByteAlone) {
  const DecodeResult r = decode311(Bytes{0x21});
  EXPECT_TRUE(Malformed(r, "MQTT-2.1.3-1"));
  EXPECT_EQ(r.error.packet_type, PacketType::kConnack);
}

TEST(Malformed, MQTT_3_6_1_1_PubrelFlagsNot0010) {
  EXPECT_TRUE(Malformed(decode311(packet(0x60, u16(1))), "MQTT-3.6.1-1"));
  EXPECT_TRUE(Malformed(decode5(packet(0x63, u16(1))), "MQTT-3.6.1-1"));
}

TEST(Malformed, MQTT_3_8_1_1_SubscribeFlagsNot0010) {
  EXPECT_TRUE(Malformed(decode311(packet(0x80, u16(1) + str("a") + Bytes{0})), "MQTT-3.8.1-1"));
}

TEST(Malformed, MQTT_3_10_1_1_UnsubscribeFlagsNot0010) {
  EXPECT_TRUE(Malformed(decode311(packet(0xA0, u16(1) + str("a"))), "MQTT-3.10.1-1"));
}

TEST(Malformed, MQTT_3_14_1_1_DisconnectFlagsNotZero) {
  EXPECT_TRUE(Malformed(decode5(Bytes{0xE1, 0x00}), "MQTT-3.14.1-1"));
}

TEST(Malformed, MQTT_3_15_1_1_AuthFlagsNotZero) {
  EXPECT_TRUE(Malformed(decode5(Bytes{0xF2, 0x00}), "MQTT-3.15.1-1"));
}

TEST(Malformed, Sec_2_1_2_ReservedPacketType0) {
  const DecodeResult r = decode5(Bytes{0x00, 0x00});
  EXPECT_TRUE(Malformed(r, "2.1.2"));
  EXPECT_EQ(r.error.packet_type, PacketType::kReserved);
}

TEST(Malformed, Sec_2_1_2_AuthIsReservedBefore5) {
  EXPECT_TRUE(Malformed(decode311(Bytes{0xF0, 0x00}), "2.1.2"));
}

TEST(Malformed, MQTT_3_3_1_4_PublishQos3) {
  EXPECT_TRUE(Malformed(decode311(packet(0x36, str("a") + u16(1))), "MQTT-3.3.1-4"));
  EXPECT_TRUE(Malformed(decode5(Bytes{0x37}), "MQTT-3.3.1-4"));
}

TEST(Malformed, MQTT_3_3_1_2_PublishDupWithQos0) {
  EXPECT_TRUE(Malformed(decode311(packet(0x38, str("a"))), "MQTT-3.3.1-2"));
}

TEST(Malformed, Sec_1_5_5_RemainingLengthLongerThan4Bytes) {
  EXPECT_TRUE(Malformed(decode311(Bytes{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F}), "1.5.5"));
  EXPECT_TRUE(Malformed(decode311(Bytes{0xC0, 0x80, 0x80, 0x80, 0x80}), "1.5.5"));
}

TEST(Malformed, MQTT_3_2_2_15_PacketTooLargeFromTheFixedHeaderAlone) {
  DecodeOptions options;
  options.max_packet_size = 100;
  // A PUBLISH announcing 200 bytes: rejected before any of the body is there.
  const DecodeResult r = decode(Bytes{0x30, 0xC8, 0x01}, options);
  EXPECT_TRUE(Rejected(r, RC::kPacketTooLarge, "MQTT-3.2.2-15"));
  EXPECT_EQ(r.error.packet_type, PacketType::kPublish);
}

TEST(Malformed, MQTT_3_2_2_15_PacketTooLargeCountsTheFixedHeader) {
  const Bytes p = packet(0x30, str("a/b") + raw("12345"));  // 2 + 10 bytes
  DecodeOptions options;
  options.max_packet_size = 12;
  EXPECT_EQ(decode(p, options).status, DecodeStatus::kComplete);
  options.max_packet_size = 11;
  EXPECT_TRUE(Rejected(decode(p, options), RC::kPacketTooLarge, "MQTT-3.2.2-15"));
}

// --- CONNECT (3.1) ----------------------------------------------------------------------------

TEST(Malformed, MQTT_3_1_2_1_ProtocolNameNotMqtt) {
  const Bytes p = packet(0x10, str("MQTX") + Bytes{4, 0x02} + u16(60) + str("c"));
  const DecodeResult r = decode311(p);
  EXPECT_TRUE(ProtocolError(r, "MQTT-3.1.2-1"));
  EXPECT_EQ(r.error.packet_type, PacketType::kConnect);
}

TEST(Malformed, MQTT_3_1_2_2_UnsupportedProtocolLevel) {
  const Bytes p = packet(0x10, str("MQTT") + Bytes{6, 0x02} + u16(60) + str("c"));
  const DecodeResult r = decode311(p);
  EXPECT_TRUE(Rejected(r, RC::kUnsupportedProtocolVersion, "MQTT-3.1.2-2"));
  EXPECT_EQ(r.error.version, kV311);  // not recognisably 5.0
}

TEST(Malformed, MQTT_3_1_2_2_LevelDoesNotMatchProtocolName) {
  const Bytes mqtt3 = packet(0x10, str("MQTT") + Bytes{3, 0x02} + u16(60) + str("c"));
  const Bytes mqisdp4 = packet(0x10, str("MQIsdp") + Bytes{4, 0x02} + u16(60) + str("c"));
  EXPECT_TRUE(Rejected(decode311(mqtt3), RC::kUnsupportedProtocolVersion, "MQTT-3.1.2-2"));
  EXPECT_TRUE(Rejected(decode311(mqisdp4), RC::kUnsupportedProtocolVersion, "MQTT-3.1.2-2"));
}

TEST(Malformed, Sec_3_1_2_ConnectVariableHeaderTruncated) {
  EXPECT_TRUE(Malformed(decode311(packet(0x10, str("MQTT") + Bytes{4, 0x02})), "3.1.2"));
  EXPECT_TRUE(Malformed(decode311(packet(0x10, u16(4) + raw("MQ"))), "3.1.2"));
}

TEST(Malformed, MQTT_3_1_2_3_ConnectReservedFlagV311) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x03, str("c"))), "MQTT-3.1.2-3"));
}

TEST(Malformed, MQTT_3_1_2_3_ConnectReservedFlagV5) {
  const DecodeResult r = decode311(connect5(0x01, {}, str("c")));
  EXPECT_TRUE(Malformed(r, "MQTT-3.1.2-3"));
  EXPECT_EQ(r.error.version, ProtocolVersion::kV5);  // the CONNECT's own version
}

TEST(Malformed, MQTT_3_1_2_11_WillQosWithoutWillFlag) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x0A, str("c"))), "MQTT-3.1.2-11"));
}

TEST(Malformed, MQTT_3_1_2_13_WillRetainWithoutWillFlag) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x22, str("c"))), "MQTT-3.1.2-13"));
}

TEST(Malformed, MQTT_3_1_2_12_WillQos3) {
  const Bytes p = connect311(0x1E, str("c") + str("w") + str("m"));
  EXPECT_TRUE(Malformed(decode311(p), "MQTT-3.1.2-12"));
}

TEST(Malformed, MQTT_3_1_2_22_PasswordWithoutUserNameV311) {
  const DecodeResult r = decode311(connect311(0x42, str("c") + str("pw")));
  EXPECT_TRUE(ProtocolError(r, "MQTT-3.1.2-22"));
}

TEST(Malformed, MQTT_3_1_2_22_PasswordWithoutUserNameV31) {
  const Bytes p = packet(0x10, str("MQIsdp") + Bytes{3, 0x42} + u16(60) + str("c") + str("pw"));
  EXPECT_TRUE(ProtocolError(decode311(p), "MQTT-3.1.2-22"));
}

TEST(Malformed, MQTT_3_1_3_3_NoClientIdentifier) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x02, {})), "MQTT-3.1.3-3"));
}

TEST(Malformed, MQTT_1_5_4_1_ClientIdentifierIllFormedUtf8) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x02, u16(2) + Bytes{0xC3, 0x28})), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_4_1_ClientIdentifierSurrogate) {
  const Bytes p = connect5(0x02, {}, u16(3) + Bytes{0xED, 0xA0, 0x80});
  EXPECT_TRUE(Malformed(decode5(p), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_4_2_ClientIdentifierWithNull) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x02, u16(2) + Bytes{'a', 0x00})), "MQTT-1.5.4-2"));
}

TEST(Malformed, MQTT_1_5_4_1_UserNameIllFormedUtf8) {
  const Bytes p = connect311(0x82, str("c") + u16(1) + Bytes{0xFF});
  EXPECT_TRUE(Malformed(decode311(p), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_4_1_WillTopicOverlongUtf8) {
  const Bytes p = connect311(0x06, str("c") + u16(2) + Bytes{0xC0, 0xAF} + str("m"));
  EXPECT_TRUE(Malformed(decode311(p), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_4_7_0_1_WillTopicWithWildcard) {
  EXPECT_TRUE(
      Malformed(decode311(connect311(0x06, str("c") + str("a/#") + str("m"))), "MQTT-4.7.0-1"));
  EXPECT_TRUE(
      Malformed(decode311(connect311(0x06, str("c") + str("+") + str("m"))), "MQTT-4.7.0-1"));
}

TEST(Malformed, MQTT_4_7_3_1_WillTopicEmpty) {
  EXPECT_TRUE(
      Malformed(decode311(connect311(0x06, str("c") + str("") + str("m"))), "MQTT-4.7.3-1"));
}

TEST(Malformed, MQTT_3_1_2_9_WillFlagWithoutWillFields) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x06, str("c") + str("w"))), "MQTT-3.1.2-9"));
}

TEST(Malformed, MQTT_3_1_2_17_UserNameFlagWithoutUserName) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x82, str("c"))), "MQTT-3.1.2-17"));
}

TEST(Malformed, MQTT_3_1_2_19_PasswordFlagWithoutPassword) {
  EXPECT_TRUE(Malformed(decode311(connect311(0xC2, str("c") + str("u"))), "MQTT-3.1.2-19"));
}

TEST(Malformed, Sec_3_1_3_ConnectTrailingBytesV311) {
  EXPECT_TRUE(Malformed(decode311(connect311(0x02, str("c") + Bytes{0x00})), "3.1.3"));
}

TEST(Malformed, Sec_3_1_3_ConnectTrailingBytesV5) {
  EXPECT_TRUE(Malformed(decode5(connect5(0x82, {}, str("c") + str("u") + Bytes{1})), "3.1.3"));
}

TEST(Malformed, Sec_3_1_3_2_3_WillPayloadNotUtf8) {
  const Bytes p = connect5_will(Bytes{0x01, 0x01}, Bytes{0xE2, 0x82});
  EXPECT_TRUE(Rejected(decode5(p), RC::kPayloadFormatInvalid, "3.1.3.2.3"));
}

TEST(Malformed, Sec_3_1_2_11_10_AuthenticationDataWithoutMethod) {
  const Bytes p = connect5(0x02, Bytes{0x16} + bin({1, 2}), str("c"));
  EXPECT_TRUE(ProtocolError(decode5(p), "3.1.2.11.10"));
}

TEST(Malformed, Sec_3_1_2_11_3_ReceiveMaximumZero) {
  EXPECT_TRUE(ProtocolError(decode5(connect5(0x02, Bytes{0x21} + u16(0), str("c"))), "3.1.2.11.3"));
}

TEST(Malformed, Sec_3_1_2_11_4_MaximumPacketSizeZero) {
  EXPECT_TRUE(ProtocolError(decode5(connect5(0x02, Bytes{0x27} + u32(0), str("c"))), "3.1.2.11.4"));
}

TEST(Malformed, Sec_3_1_2_11_7_RequestProblemInformationNot0Or1) {
  EXPECT_TRUE(ProtocolError(decode5(connect5(0x02, Bytes{0x17, 2}, str("c"))), "3.1.2.11.7"));
}

TEST(Malformed, Sec_3_1_2_11_6_RequestResponseInformationNot0Or1) {
  EXPECT_TRUE(ProtocolError(decode5(connect5(0x02, Bytes{0x19, 2}, str("c"))), "3.1.2.11.6"));
}

TEST(Malformed, Sec_3_1_2_11_2_SessionExpiryIntervalTwice) {
  const Bytes block = Bytes{0x11} + u32(10) + Bytes{0x11} + u32(20);
  EXPECT_TRUE(ProtocolError(decode5(connect5(0x02, block, str("c"))), "3.1.2.11.2"));
}

TEST(Malformed, Sec_2_2_2_2_WillDelayIntervalInConnectProperties) {
  EXPECT_TRUE(Malformed(decode5(connect5(0x02, Bytes{0x18} + u32(1), str("c"))), "2.2.2.2"));
}

TEST(Malformed, Sec_2_2_2_2_SessionExpiryIntervalInWillProperties) {
  EXPECT_TRUE(Malformed(decode5(connect5_will(Bytes{0x11} + u32(1), raw("m"))), "2.2.2.2"));
}

TEST(Malformed, Sec_3_3_2_3_2_WillPayloadFormatIndicatorTwice) {
  EXPECT_TRUE(
      ProtocolError(decode5(connect5_will(Bytes{0x01, 0, 0x01, 0}, raw("m"))), "3.3.2.3.2"));
}

// --- PUBLISH (3.3) ----------------------------------------------------------------------------

TEST(Malformed, MQTT_2_2_1_3_PublishQos1WithPacketIdentifier0) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x32, str("a") + u16(0))), "MQTT-2.2.1-3"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0x34, str("a") + u16(0) + props({}))), "MQTT-2.2.1-3"));
}

TEST(Malformed, Sec_3_3_2_PublishVariableHeaderTruncated) {
  EXPECT_TRUE(Malformed(decode311(packet(0x32, str("a/b") + Bytes{0x01})), "3.3.2"));
  EXPECT_TRUE(Malformed(decode311(packet(0x30, u16(5) + raw("a/b"))), "3.3.2"));
}

TEST(Malformed, MQTT_3_3_2_2_PublishTopicWithWildcard) {
  EXPECT_TRUE(Malformed(decode311(packet(0x30, str("a/+/c"))), "MQTT-3.3.2-2"));
  EXPECT_TRUE(Malformed(decode5(publish5({}, "a/#")), "MQTT-3.3.2-2"));
}

TEST(Malformed, MQTT_4_7_3_1_PublishEmptyTopicV311) {
  EXPECT_TRUE(Malformed(decode311(packet(0x30, str("") + raw("x"))), "MQTT-4.7.3-1"));
}

TEST(Malformed, Sec_3_3_2_1_PublishEmptyTopicWithoutTopicAliasV5) {
  EXPECT_TRUE(ProtocolError(decode5(publish5({}, "")), "3.3.2.1"));
}

TEST(Malformed, MQTT_1_5_4_1_PublishTopicIllFormedUtf8) {
  EXPECT_TRUE(Malformed(decode311(packet(0x30, u16(2) + Bytes{0x80, 0x41})), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_4_2_PublishTopicWithNull) {
  EXPECT_TRUE(
      Malformed(decode5(packet(0x30, u16(3) + Bytes{'a', 0, 'b'} + props({}))), "MQTT-1.5.4-2"));
}

TEST(Malformed, MQTT_3_3_2_8_TopicAliasZero) {
  const DecodeResult r = decode5(publish5(Bytes{0x23} + u16(0)));
  EXPECT_TRUE(Rejected(r, RC::kTopicAliasInvalid, "MQTT-3.3.2-8"));
}

TEST(Malformed, Sec_3_3_2_3_4_TopicAliasTwice) {
  EXPECT_TRUE(
      ProtocolError(decode5(publish5(Bytes{0x23} + u16(1) + Bytes{0x23} + u16(2))), "3.3.2.3.4"));
}

TEST(Malformed, Sec_3_3_2_3_2_PayloadNotUtf8AsAnnounced) {
  const Bytes p = packet(0x30, str("t") + props({0x01, 0x01}) + Bytes{'o', 'k', 0xF8});
  EXPECT_TRUE(Rejected(decode5(p), RC::kPayloadFormatInvalid, "3.3.2.3.2"));
}

TEST(Malformed, Sec_3_3_2_3_2_PayloadFormatIndicatorNot0Or1) {
  EXPECT_TRUE(ProtocolError(decode5(publish5({0x01, 0x02})), "3.3.2.3.2"));
}

TEST(Malformed, MQTT_3_3_2_14_ResponseTopicWithWildcard) {
  EXPECT_TRUE(Malformed(decode5(publish5(Bytes{0x08} + str("reply/+"))), "MQTT-3.3.2-14"));
}

TEST(Malformed, MQTT_1_5_4_1_ContentTypeIllFormedUtf8) {
  EXPECT_TRUE(Malformed(decode5(publish5(Bytes{0x03} + u16(1) + Bytes{0xC1})), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_7_1_UserPropertyIllFormedUtf8) {
  const Bytes block = Bytes{0x26} + str("name") + u16(2) + Bytes{0xED, 0xBF};
  EXPECT_TRUE(Malformed(decode5(publish5(block)), "MQTT-1.5.7-1"));
}

TEST(Malformed, MQTT_1_5_7_1_UserPropertyNameWithNull) {
  const Bytes block = Bytes{0x26} + u16(1) + Bytes{0x00} + str("v");
  EXPECT_TRUE(Malformed(decode5(publish5(block)), "MQTT-1.5.7-1"));
}

TEST(Malformed, Sec_3_3_2_3_8_SubscriptionIdentifierZeroInPublish) {
  EXPECT_TRUE(ProtocolError(decode5(publish5({0x0B, 0x00})), "3.3.2.3.8"));
}

TEST(Malformed, Sec_2_2_2_1_PropertyLengthOverrunsPacket) {
  const Bytes p = packet(0x30, str("t") + Bytes{0x05, 0x01, 0x00});
  EXPECT_TRUE(Malformed(decode5(p), "2.2.2.1"));
}

TEST(Malformed, Sec_2_2_2_1_PropertyLengthMissing) {
  EXPECT_TRUE(Malformed(decode5(packet(0x30, str("t"))), "2.2.2.1"));
}

TEST(Malformed, Sec_2_2_2_2_UnknownPropertyIdentifier) {
  EXPECT_TRUE(Malformed(decode5(publish5({0x04, 0x00})), "2.2.2.2"));
  EXPECT_TRUE(Malformed(decode5(publish5({0x2B, 0x00})), "2.2.2.2"));
  EXPECT_TRUE(Malformed(decode5(publish5({0x80, 0x01})), "2.2.2.2"));  // identifier 128
}

TEST(Malformed, Sec_2_2_2_2_PropertyValueOverrunsBlock) {
  EXPECT_TRUE(Malformed(decode5(publish5({0x02, 0x00, 0x00})), "2.2.2.2"));
  EXPECT_TRUE(Malformed(decode5(publish5(Bytes{0x03} + u16(9) + raw("abc"))), "2.2.2.2"));
}

TEST(Malformed, Sec_2_2_2_2_ReasonStringNotAllowedInPublish) {
  EXPECT_TRUE(Malformed(decode5(publish5(Bytes{0x1F} + str("why"))), "2.2.2.2"));
}

}  // namespace
}  // namespace rmq::codec::test
