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
  // The packet type being decoded when the error was found (kReserved if the first byte itself
  // was bad).
  PacketType packet_type = PacketType::kReserved;
};

enum class ErrorAction : std::uint8_t {
  kClose,                 // close the connection without a word (3.1/3.1.1)
  kConnackThenClose,      // send CONNACK with `code`, then close
  kDisconnectThenClose,   // 5.0: send DISCONNECT with `code`, then close
};

struct ErrorOutcome {
  ErrorAction action = ErrorAction::kClose;
  std::uint8_t code = 0;  // CONNACK return/reason code or DISCONNECT reason code
  // For kConnackThenClose: the CONNACK is encoded for this version (5.0 or 3.1.1 layout).
  ProtocolVersion connack_version = ProtocolVersion::kV311;
};

// What a server does about `error` on a connection speaking `version`. `connected` is false while
// the connection is still waiting for its CONNECT (errors then answer with a CONNACK where the
// spec calls for one, e.g. unsupported protocol version -> 3.1.1 CONNACK 0x01 / 5.0 0x84).
ErrorOutcome error_outcome(const DecodeError& error, ProtocolVersion version, bool connected);

}  // namespace rmq::codec
