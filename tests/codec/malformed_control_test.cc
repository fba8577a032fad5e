// Rejection rules of CONNACK, the acks, SUBSCRIBE/UNSUBSCRIBE and their acks, PINGREQ/PINGRESP,
// DISCONNECT and AUTH, one test per rule, named as in malformed_test.cc.
#include <gtest/gtest.h>

#include <cstdint>

#include "codec/decode.h"
#include "tests/codec/hand_bytes.h"

namespace rmq::codec::test {
namespace {

constexpr auto kV31 = ProtocolVersion::kV31;

Bytes subscribe5(const Bytes& properties, const Bytes& payload) {
  return packet(0x82, u16(1) + props(properties) + payload);
}
Bytes subscribe311(const Bytes& payload) { return packet(0x82, u16(1) + payload); }

// --- CONNACK (3.2) ----------------------------------------------------------------------------

TEST(Malformed, MQTT_3_2_2_1_ConnackReservedFlags) {
  EXPECT_TRUE(Malformed(decode311(packet(0x20, {0x02, 0x00})), "MQTT-3.2.2-1"));
}

TEST(Malformed, Sec_3_2_2_ConnackTruncated) {
  EXPECT_TRUE(Malformed(decode311(packet(0x20, {0x00})), "3.2.2"));
}

TEST(Malformed, Sec_3_2_2_ConnackTrailingBytesV311) {
  EXPECT_TRUE(Malformed(decode311(packet(0x20, {0x00, 0x00, 0x00})), "3.2.2"));
}

TEST(Malformed, Sec_3_2_2_3_ConnackReservedReturnCodeV311) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x20, {0x00, 0x06})), "3.2.2.3"));
}

TEST(Malformed, MQTT_3_2_2_8_ConnackReasonCodeNotAllowedV5) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x20, Bytes{0x00, 0x10} + props({}))), "MQTT-3.2.2-8"));
}

TEST(Malformed, MQTT_3_2_2_6_SessionPresentWithFailureCode) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x20, {0x01, 0x05})), "MQTT-3.2.2-6"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0x20, Bytes{0x01, 0x87} + props({}))), "MQTT-3.2.2-6"));
}

TEST(Malformed, Sec_3_2_2_3_CapabilityBytesNot0Or1) {
  struct Case {
    std::uint8_t id;
    std::string_view section;
  };
  for (const Case& c : {Case{0x24, "3.2.2.3.4"}, Case{0x25, "3.2.2.3.5"}, Case{0x28, "3.2.2.3.11"},
                        Case{0x29, "3.2.2.3.12"}, Case{0x2A, "3.2.2.3.13"}}) {
    const Bytes p = packet(0x20, Bytes{0x00, 0x00} + props({c.id, 0x02}));
    EXPECT_TRUE(ProtocolError(decode5(p), c.section)) << "property " << int{c.id};
  }
}

TEST(Malformed, Sec_3_1_2_11_3_ConnackReceiveMaximumZero) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x20, Bytes{0x00, 0x00} + props(Bytes{0x21} + u16(0)))),
                            "3.1.2.11.3"));
}

// --- PUBACK, PUBREC, PUBREL, PUBCOMP (3.4 - 3.7) ----------------------------------------------

TEST(Malformed, MQTT_2_2_1_5_AckWithPacketIdentifier0) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x40, u16(0))), "MQTT-2.2.1-5"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0x50, u16(0))), "MQTT-2.2.1-5"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0x62, u16(0))), "MQTT-2.2.1-5"));
  EXPECT_TRUE(ProtocolError(decode311(packet(0x70, u16(0))), "MQTT-2.2.1-5"));
}

TEST(Malformed, Sec_3_4_1_PubackV311MustBe2Bytes) {
  EXPECT_TRUE(Malformed(decode311(packet(0x40, u16(1) + Bytes{0x00})), "3.4.1"));
  EXPECT_TRUE(Malformed(decode311(packet(0x40, {0x01})), "3.4.1"));
}

TEST(Malformed, Sec_3_5_1_PubrecV311MustBe2Bytes) {
  EXPECT_TRUE(Malformed(decode311(packet(0x50, u16(1) + Bytes{0x00})), "3.5.1"));
}

TEST(Malformed, Sec_3_6_1_PubrelV311MustBe2Bytes) {
  EXPECT_TRUE(Malformed(decode311(packet(0x62, u16(1) + Bytes{0x00})), "3.6.1"));
}

TEST(Malformed, Sec_3_7_1_PubcompV311MustBe2Bytes) {
  EXPECT_TRUE(Malformed(decode311(packet(0x70, u16(1) + Bytes{0x00})), "3.7.1"));
}

TEST(Malformed, Sec_3_4_1_PubackV5WithoutPacketIdentifier) {
  EXPECT_TRUE(Malformed(decode5(packet(0x40, {})), "3.4.1"));
}

TEST(Malformed, MQTT_3_4_2_1_PubackReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x40, u16(1) + Bytes{0x01})), "MQTT-3.4.2-1"));
}

TEST(Malformed, MQTT_3_5_2_1_PubrecReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x50, u16(1) + Bytes{0x92})), "MQTT-3.5.2-1"));
}

TEST(Malformed, MQTT_3_6_2_1_PubrelReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x62, u16(1) + Bytes{0x10})), "MQTT-3.6.2-1"));
}

TEST(Malformed, MQTT_3_7_2_1_PubcompReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0x70, u16(1) + Bytes{0x80})), "MQTT-3.7.2-1"));
}

TEST(Malformed, Sec_2_2_2_1_PubackBytesAfterProperties) {
  EXPECT_TRUE(
      Malformed(decode5(packet(0x40, u16(1) + Bytes{0x00} + props({}) + Bytes{0})), "2.2.2.1"));
}

TEST(Malformed, Sec_2_2_2_2_PubackPropertyNotAllowed) {
  EXPECT_TRUE(Malformed(decode5(packet(0x40, u16(1) + Bytes{0x00} + props(Bytes{0x23} + u16(1)))),
                        "2.2.2.2"));
}

TEST(Malformed, Sec_3_2_2_3_9_ReasonStringTwice) {
  const Bytes block = Bytes{0x1F} + str("a") + Bytes{0x1F} + str("b");
  EXPECT_TRUE(
      ProtocolError(decode5(packet(0x40, u16(1) + Bytes{0x00} + props(block))), "3.2.2.3.9"));
}

// --- SUBSCRIBE (3.8) --------------------------------------------------------------------------

TEST(Malformed, MQTT_2_2_1_3_SubscribePacketIdentifier0) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x82, u16(0) + str("a") + Bytes{0})), "MQTT-2.2.1-3"));
}

TEST(Malformed, MQTT_3_8_3_2_SubscribeWithoutTopicFilterV311) {
  EXPECT_TRUE(ProtocolError(decode311(subscribe311({})), "MQTT-3.8.3-2"));
}

TEST(Malformed, MQTT_3_8_3_2_SubscribeWithoutTopicFilterV5) {
  EXPECT_TRUE(ProtocolError(decode5(subscribe5({}, {})), "MQTT-3.8.3-2"));
}

TEST(Malformed, Sec_3_8_3_SubscriptionOptionsMissing) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a/b"))), "3.8.3"));
}

TEST(Malformed, MQTT_3_8_3_5_SubscriptionOptionsReservedBitsV5) {
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("a") + Bytes{0x41})), "MQTT-3.8.3-5"));
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("a") + Bytes{0x80})), "MQTT-3.8.3-5"));
}

TEST(Malformed, MQTT_3_8_3_4_RequestedQosReservedBitsV311) {
  // 3.1.1 numbers this statement "MQTT-3-8.3-4".
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a") + Bytes{0x04})), "MQTT-3-8.3-4"));
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a") + Bytes{0x40})), "MQTT-3-8.3-4"));
}

TEST(Malformed, MQTT_3_8_3_4_RequestedQos3V311) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a") + Bytes{0x03})), "MQTT-3-8.3-4"));
}

TEST(Malformed, Sec_3_8_3_1_MaximumQos3V5) {
  EXPECT_TRUE(ProtocolError(decode5(subscribe5({}, str("a") + Bytes{0x03})), "3.8.3.1"));
}

TEST(Malformed, Sec_3_8_3_1_RetainHandling3) {
  EXPECT_TRUE(ProtocolError(decode5(subscribe5({}, str("a") + Bytes{0x30})), "3.8.3.1"));
}

TEST(Malformed, MQTT_3_8_3_4_NoLocalOnSharedSubscription) {
  EXPECT_TRUE(
      ProtocolError(decode5(subscribe5({}, str("$share/g/a") + Bytes{0x04})), "MQTT-3.8.3-4"));
}

TEST(Malformed, MQTT_4_7_1_1_MultiLevelWildcardNotLast) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a/#/b") + Bytes{0})), "MQTT-4.7.1-1"));
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("a#") + Bytes{0})), "MQTT-4.7.1-1"));
}

TEST(Malformed, MQTT_4_7_1_2_SingleLevelWildcardNotAlone) {
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("a+/b") + Bytes{0})), "MQTT-4.7.1-2"));
}

TEST(Malformed, MQTT_4_7_3_1_EmptyTopicFilter) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(str("") + Bytes{0})), "MQTT-4.7.3-1"));
}

TEST(Malformed, MQTT_1_5_4_1_TopicFilterIllFormedUtf8) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(u16(1) + Bytes{0xF5} + Bytes{0})), "MQTT-1.5.4-1"));
}

TEST(Malformed, MQTT_1_5_4_2_TopicFilterWithNull) {
  EXPECT_TRUE(Malformed(decode311(subscribe311(u16(1) + Bytes{0x00} + Bytes{0})), "MQTT-1.5.4-2"));
}

TEST(Malformed, MQTT_4_8_2_1_SharedSubscriptionEmptyShareName) {
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("$share//a") + Bytes{0})), "MQTT-4.8.2-1"));
}

TEST(Malformed, MQTT_4_8_2_2_ShareNameWithWildcard) {
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("$share/g+/a") + Bytes{0})), "MQTT-4.8.2-2"));
}

TEST(Malformed, MQTT_4_8_2_2_ShareNameNotFollowedByFilter) {
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("$share/g") + Bytes{0})), "MQTT-4.8.2-2"));
  EXPECT_TRUE(Malformed(decode5(subscribe5({}, str("$share/g/") + Bytes{0})), "MQTT-4.8.2-2"));
}

TEST(Malformed, Sec_3_8_2_1_2_SubscriptionIdentifierTwice) {
  const Bytes p = subscribe5({0x0B, 0x01, 0x0B, 0x02}, str("a") + Bytes{0});
  EXPECT_TRUE(ProtocolError(decode5(p), "3.8.2.1.2"));
}

TEST(Malformed, Sec_3_3_2_3_8_SubscriptionIdentifierZeroInSubscribe) {
  EXPECT_TRUE(ProtocolError(decode5(subscribe5({0x0B, 0x00}, str("a") + Bytes{0})), "3.3.2.3.8"));
}

TEST(Malformed, Sec_2_2_2_2_SubscribePropertyNotAllowed) {
  EXPECT_TRUE(
      Malformed(decode5(subscribe5(Bytes{0x1F} + str("r"), str("a") + Bytes{0})), "2.2.2.2"));
}

// --- UNSUBSCRIBE (3.10) -----------------------------------------------------------------------

TEST(Malformed, MQTT_2_2_1_3_UnsubscribePacketIdentifier0) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0xA2, u16(0) + str("a"))), "MQTT-2.2.1-3"));
}

TEST(Malformed, MQTT_3_10_3_2_UnsubscribeWithoutTopicFilter) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0xA2, u16(1))), "MQTT-3.10.3-2"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0xA2, u16(1) + props({}))), "MQTT-3.10.3-2"));
}

TEST(Malformed, Sec_3_10_3_UnsubscribeTopicFilterTruncated) {
  EXPECT_TRUE(Malformed(decode311(packet(0xA2, u16(1) + u16(4) + raw("ab"))), "3.10.3"));
}

TEST(Malformed, MQTT_4_7_1_1_UnsubscribeInvalidFilter) {
  EXPECT_TRUE(Malformed(decode5(packet(0xA2, u16(1) + props({}) + str("#/a"))), "MQTT-4.7.1-1"));
}

TEST(Malformed, Sec_2_2_2_2_SubscriptionIdentifierInUnsubscribe) {
  EXPECT_TRUE(Malformed(decode5(packet(0xA2, u16(1) + props({0x0B, 0x01}) + str("a"))), "2.2.2.2"));
}

// --- SUBACK, UNSUBACK (3.9, 3.11) -------------------------------------------------------------

TEST(Malformed, MQTT_2_2_1_6_SubackPacketIdentifier0) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x90, u16(0) + Bytes{0x00})), "MQTT-2.2.1-6"));
  EXPECT_TRUE(ProtocolError(decode311(packet(0xB0, u16(0))), "MQTT-2.2.1-6"));
}

TEST(Malformed, MQTT_3_9_3_2_SubackReturnCodeNotAllowedV311) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x90, u16(1) + Bytes{0x00, 0x03})), "MQTT-3.9.3-2"));
  EXPECT_TRUE(ProtocolError(decode311(packet(0x90, u16(1) + Bytes{0x87})), "MQTT-3.9.3-2"));
}

TEST(Malformed, MQTT_3_9_3_2_SubackReasonCodeNotAllowedV5) {
  EXPECT_TRUE(
      ProtocolError(decode5(packet(0x90, u16(1) + props({}) + Bytes{0x11})), "MQTT-3.9.3-2"));
}

TEST(Malformed, MQTT_3_8_4_6_SubackWithoutReasonCode) {
  EXPECT_TRUE(ProtocolError(decode311(packet(0x90, u16(1))), "MQTT-3.8.4-6"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0x90, u16(1) + props({}))), "MQTT-3.8.4-6"));
}

TEST(Malformed, MQTT_3_11_3_2_UnsubackReasonCodeNotAllowedV5) {
  EXPECT_TRUE(
      ProtocolError(decode5(packet(0xB0, u16(1) + props({}) + Bytes{0x01})), "MQTT-3.11.3-2"));
}

TEST(Malformed, Sec_3_11_3_UnsubackV311HasNoPayload) {
  EXPECT_TRUE(Malformed(decode311(packet(0xB0, u16(1) + Bytes{0x00})), "3.11.3"));
}

TEST(Malformed, Sec_2_2_1_SubackWithoutPacketIdentifier) {
  EXPECT_TRUE(Malformed(decode311(packet(0x90, {0x01})), "2.2.1"));
}

// --- PINGREQ, PINGRESP, DISCONNECT, AUTH (3.12 - 3.15) ----------------------------------------

TEST(Malformed, Sec_3_12_2_PingreqWithBody) {
  EXPECT_TRUE(Malformed(decode311(packet(0xC0, {0x00})), "3.12.2"));
}

TEST(Malformed, Sec_3_13_2_PingrespWithBody) {
  EXPECT_TRUE(Malformed(decode5(packet(0xD0, {0x00})), "3.13.2"));
}

TEST(Malformed, Sec_3_14_2_DisconnectWithBodyV311) {
  EXPECT_TRUE(Malformed(decode311(packet(0xE0, {0x00})), "3.14.2"));
  EXPECT_TRUE(Malformed(decode_as(packet(0xE0, {0x00}), kV31), "3.14.2"));
}

TEST(Malformed, MQTT_3_14_2_1_DisconnectReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0xE0, {0x01})), "MQTT-3.14.2-1"));
  EXPECT_TRUE(ProtocolError(decode5(packet(0xE0, {0x84})), "MQTT-3.14.2-1"));
}

TEST(Malformed, Sec_2_2_2_2_DisconnectPropertyNotAllowed) {
  EXPECT_TRUE(
      Malformed(decode5(packet(0xE0, Bytes{0x00} + props(Bytes{0x21} + u16(1)))), "2.2.2.2"));
}

TEST(Malformed, MQTT_3_15_2_1_AuthReasonCodeNotAllowed) {
  EXPECT_TRUE(ProtocolError(decode5(packet(0xF0, {0x01})), "MQTT-3.15.2-1"));
}

TEST(Malformed, Sec_2_2_2_2_AuthPropertyNotAllowed) {
  EXPECT_TRUE(
      Malformed(decode5(packet(0xF0, Bytes{0x18} + props(Bytes{0x11} + u32(1)))), "2.2.2.2"));
}

TEST(Malformed, Sec_2_2_2_1_AuthBytesAfterProperties) {
  EXPECT_TRUE(Malformed(decode5(packet(0xF0, Bytes{0x18} + props({}) + Bytes{0x00})), "2.2.2.1"));
}

TEST(Malformed, ErrorCarriesPacketTypeAndVersion) {
  const DecodeResult r = decode5(packet(0x40, u16(1) + Bytes{0x01}));
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_EQ(r.error.packet_type, PacketType::kPuback);
  EXPECT_EQ(r.error.version, ProtocolVersion::kV5);
  EXPECT_FALSE(r.error.what.empty());
  EXPECT_EQ(r.consumed, 0u);
}

}  // namespace
}  // namespace rmq::codec::test
