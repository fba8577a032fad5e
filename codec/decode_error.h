// DecodeError: why a packet was rejected, with the specification statement it breaks, and the
// one map from such errors to what the server does about them (error_outcome()).
#pragma once

#include <cstdint>
#include <string_view>

#include "codec/types.h"

namespace rmq::codec {

struct DecodeError {
  // The MQTT 5.0 reason code this error maps to (kMalformedPacket, kProtocolError,
  // kPacketTooLarge, kTopicAliasInvalid, kUnsupportedProtocolVersion, ...).
  ReasonCode reason = ReasonCode::kMalformedPacket;
  // The normative statement broken, as the spec numbers it: "MQTT-3.3.1-4" (5.0 numbering unless
  // the rule exists only in 3.1.1), or a section such as "2.2.2.2" where there is no statement id.
  std::string_view statement;
  // A short human description: "PUBLISH with QoS 3".
  std::string_view what;
  // The packet type being decoded when the error was found (the type bits of the first byte,
  // so kReserved when they are 0).
  PacketType packet_type = PacketType::kReserved;
  // The protocol version the packet was read as: DecodeOptions::version, except for CONNECT,
  // where it is the version the CONNECT itself announces ("MQIsdp"/3, "MQTT"/4, "MQTT"/5) when
  // those bytes were readable, and kV311 otherwise (unknown name or level, or not yet received).
  ProtocolVersion version = ProtocolVersion::kV311;
};

enum class ErrorAction : std::uint8_t {
  kClose,                // close the connection without a word (3.1/3.1.1)
  kConnackThenClose,     // send CONNACK with `code`, then close
  kDisconnectThenClose,  // 5.0: send DISCONNECT with `code`, then close
};

struct ErrorOutcome {
  ErrorAction action = ErrorAction::kClose;
  std::uint8_t code = 0;  // CONNACK return/reason code or DISCONNECT reason code
  // For kConnackThenClose: the CONNACK is encoded for this version (5.0 or 3.1.1 layout).
  ProtocolVersion connack_version = ProtocolVersion::kV311;
};

// What a server does about `error` on a connection speaking `version` (MQTT 5.0 4.13, 3.1.4,
// 3.2.2.2; 3.1.1 3.1.2.2):
// - connected, 5.0: DISCONNECT with the error's reason code (Protocol Error where the code is
//   not a DISCONNECT reason code), then close; connected, 3.1/3.1.1: close.
// - `connected` false (still waiting for CONNECT): `version` is not known yet, so the version the
//   CONNECT announced (error.version) decides. Unsupported protocol version: CONNACK 0x01 in the
//   3.1.1 layout, or 0x84 in the 5.0 layout when the CONNECT was recognisably 5.0. Any other
//   error in a 5.0 CONNECT: CONNACK with the reason code (5.0 layout). Any other error in a 3.1 or
//   3.1.1 CONNECT, or in a packet other than CONNECT: close.
ErrorOutcome error_outcome(const DecodeError& error, ProtocolVersion version, bool connected);

}  // namespace rmq::codec
