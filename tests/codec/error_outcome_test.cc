// error_outcome(): what the server does about each decode error, for 3.1, 3.1.1 and 5.0, before
// and after CONNECT (MQTT 5.0 4.13.1, 3.1.4, 3.2.2.2; 3.1.1 3.1.2.2).
#include <gtest/gtest.h>

#include <cstdint>

#include "codec/decode.h"
#include "codec/decode_error.h"
#include "tests/codec/hand_bytes.h"

namespace rmq::codec::test {
namespace {

constexpr auto kV31 = ProtocolVersion::kV31;
constexpr auto kV311 = ProtocolVersion::kV311;
constexpr auto kV5 = ProtocolVersion::kV5;

DecodeError error_of(ReasonCode reason, PacketType type, ProtocolVersion version) {
  DecodeError e;
  e.reason = reason;
  e.statement = "test";
  e.packet_type = type;
  e.version = version;
  return e;
}

std::uint8_t code(ReasonCode r) { return static_cast<std::uint8_t>(r); }

void expect_outcome(const ErrorOutcome& o, ErrorAction action, std::uint8_t c,
                    ProtocolVersion connack_version = kV311) {
  EXPECT_EQ(o.action, action);
  if (action == ErrorAction::kClose) return;
  EXPECT_EQ(o.code, c);
  if (action == ErrorAction::kConnackThenClose) {
    EXPECT_EQ(o.connack_version, connack_version);
  }
}

TEST(ErrorOutcome, ConnectedV5SendsDisconnectWithTheReasonCode) {
  for (ReasonCode r :
       {ReasonCode::kMalformedPacket, ReasonCode::kProtocolError, ReasonCode::kPacketTooLarge,
        ReasonCode::kTopicAliasInvalid, ReasonCode::kPayloadFormatInvalid}) {
    const ErrorOutcome o = error_outcome(error_of(r, PacketType::kPublish, kV5), kV5, true);
    expect_outcome(o, ErrorAction::kDisconnectThenClose, code(r));
  }
}

TEST(ErrorOutcome, ConnectedV5MapsCodesDisconnectCannotCarryToProtocolError) {
  // A second CONNECT with an unknown level: 0x84 is a CONNACK-only code.
  const DecodeError e =
      error_of(ReasonCode::kUnsupportedProtocolVersion, PacketType::kConnect, kV311);
  expect_outcome(error_outcome(e, kV5, true), ErrorAction::kDisconnectThenClose,
                 code(ReasonCode::kProtocolError));
}

TEST(ErrorOutcome, ConnectedV311AndV31Close) {
  for (ProtocolVersion v : {kV311, kV31}) {
    for (ReasonCode r : {ReasonCode::kMalformedPacket, ReasonCode::kProtocolError,
                         ReasonCode::kPacketTooLarge, ReasonCode::kUnsupportedProtocolVersion}) {
      const ErrorOutcome o = error_outcome(error_of(r, PacketType::kSubscribe, v), v, true);
      EXPECT_EQ(o.action, ErrorAction::kClose);
    }
  }
}

TEST(ErrorOutcome, BeforeConnectUnsupportedLevelGetsV311Connack0x01) {
  const DecodeError e =
      error_of(ReasonCode::kUnsupportedProtocolVersion, PacketType::kConnect, kV311);
  expect_outcome(error_outcome(e, kV311, false), ErrorAction::kConnackThenClose,
                 static_cast<std::uint8_t>(ConnackReturnCode::kUnacceptableProtocolVersion), kV311);
}

TEST(ErrorOutcome, BeforeConnectRecognisablyV5UnsupportedGetsV5Connack0x84) {
  const DecodeError e =
      error_of(ReasonCode::kUnsupportedProtocolVersion, PacketType::kConnect, kV5);
  expect_outcome(error_outcome(e, kV311, false), ErrorAction::kConnackThenClose,
                 code(ReasonCode::kUnsupportedProtocolVersion), kV5);
}

TEST(ErrorOutcome, BeforeConnectMalformedV5ConnectGetsConnackWithTheReasonCode) {
  for (ReasonCode r : {ReasonCode::kMalformedPacket, ReasonCode::kProtocolError,
                       ReasonCode::kPacketTooLarge, ReasonCode::kPayloadFormatInvalid}) {
    const ErrorOutcome o = error_outcome(error_of(r, PacketType::kConnect, kV5), kV311, false);
    expect_outcome(o, ErrorAction::kConnackThenClose, code(r), kV5);
  }
}

TEST(ErrorOutcome, BeforeConnectCodesConnackCannotCarryBecomeProtocolError) {
  const DecodeError e = error_of(ReasonCode::kTopicAliasInvalid, PacketType::kConnect, kV5);
  expect_outcome(error_outcome(e, kV5, false), ErrorAction::kConnackThenClose,
                 code(ReasonCode::kProtocolError), kV5);
}

TEST(ErrorOutcome, BeforeConnectMalformedV311OrV31ConnectCloses) {
  for (ProtocolVersion v : {kV311, kV31}) {
    for (ReasonCode r :
         {ReasonCode::kMalformedPacket, ReasonCode::kProtocolError, ReasonCode::kPacketTooLarge}) {
      EXPECT_EQ(error_outcome(error_of(r, PacketType::kConnect, v), kV5, false).action,
                ErrorAction::kClose);
    }
  }
}

TEST(ErrorOutcome, BeforeConnectAnyOtherPacketCloses) {
  for (PacketType t : {PacketType::kPublish, PacketType::kReserved, PacketType::kAuth}) {
    EXPECT_EQ(error_outcome(error_of(ReasonCode::kMalformedPacket, t, kV5), kV5, false).action,
              ErrorAction::kClose);
  }
}

// The decoder fills in what error_outcome needs: the CONNECT's own version.
TEST(ErrorOutcome, FromDecodedV5ConnectBeforeConnect) {
  const Bytes connect = packet(0x10, str("MQTT") + Bytes{5, 0x03} + u16(60) + props({}) + str("c"));
  const DecodeResult r = decode311(connect);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  expect_outcome(error_outcome(r.error, r.error.version, false), ErrorAction::kConnackThenClose,
                 code(ReasonCode::kMalformedPacket), kV5);
}

TEST(ErrorOutcome, FromDecodedV311ConnectBeforeConnect) {
  const Bytes connect = packet(0x10, str("MQTT") + Bytes{4, 0x03} + u16(60) + str("c"));
  const DecodeResult r = decode311(connect);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_EQ(error_outcome(r.error, r.error.version, false).action, ErrorAction::kClose);
}

TEST(ErrorOutcome, FromDecodedUnknownProtocolLevel) {
  const Bytes connect = packet(0x10, str("MQTT") + Bytes{7, 0x02} + u16(60) + str("c"));
  const DecodeResult r = decode311(connect);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  expect_outcome(error_outcome(r.error, r.error.version, false), ErrorAction::kConnackThenClose,
                 0x01, kV311);
}

TEST(ErrorOutcome, FromDecodedOversizedV5ConnectBeforeItsBodyArrives) {
  // Only the start of the variable header is here, enough to see "MQTT" level 5.
  Bytes start = Bytes{0x10, 0xE8, 0x07} + str("MQTT") + Bytes{5};  // announces 1000 bytes
  DecodeOptions options;
  options.max_packet_size = 512;
  const DecodeResult r = decode(start, options);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_EQ(r.error.reason, ReasonCode::kPacketTooLarge);
  expect_outcome(error_outcome(r.error, r.error.version, false), ErrorAction::kConnackThenClose,
                 code(ReasonCode::kPacketTooLarge), kV5);
}

TEST(ErrorOutcome, FromDecodedConnectWithBadFixedHeaderFlags) {
  // Nothing after the first byte is trusted: the connection is closed without a CONNACK.
  Bytes connect = packet(0x10, str("MQTT") + Bytes{5, 0x02} + u16(60) + props({}) + str("c"));
  connect[0] = 0x12;
  const DecodeResult r = decode5(connect);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_EQ(r.error.packet_type, PacketType::kConnect);
  EXPECT_EQ(r.error.version, kV311);
  EXPECT_EQ(error_outcome(r.error, r.error.version, false).action, ErrorAction::kClose);
}

TEST(ErrorOutcome, FromDecodedProtocolNameNotMqtt) {
  const Bytes connect = packet(0x10, str("HTTP") + Bytes{5, 0x02} + u16(60) + str("c"));
  const DecodeResult r = decode311(connect);
  ASSERT_EQ(r.status, DecodeStatus::kMalformed);
  EXPECT_EQ(error_outcome(r.error, r.error.version, false).action, ErrorAction::kClose);
}

}  // namespace
}  // namespace rmq::codec::test
