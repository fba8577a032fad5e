// error_outcome(): the one map from a decode error to what the server does (MQTT 5.0 4.13.1,
// 3.1.4, 3.2.2.2; 3.1.1 3.1.2.2 and 4.8). The table is in decode_error.h.
#include "codec/decode_error.h"

#include <cstdint>

#include "codec/decode_internal.h"

namespace rmq::codec {
namespace {

constexpr auto kProtocolErrorCode = static_cast<std::uint8_t>(ReasonCode::kProtocolError);

// `reason` if `type` may carry it, else Protocol Error (e.g. Unsupported Protocol Version, which
// DISCONNECT cannot carry, for a second CONNECT on an established connection).
std::uint8_t code_for(PacketType type, ReasonCode reason) {
  const auto code = static_cast<std::uint8_t>(reason);
  return detail::reason_code_allowed(type, code) ? code : kProtocolErrorCode;
}

// While waiting for CONNECT: only a CONNECT can be answered, and only with a CONNACK the client
// can read.
ErrorOutcome outcome_before_connect(const DecodeError& error) {
  ErrorOutcome out;
  if (error.packet_type != PacketType::kConnect) return out;  // kClose
  const bool v5 = is_v5(error.version);
  if (error.reason == ReasonCode::kUnsupportedProtocolVersion) {
    // [MQTT-3.1.2-2]: 5.0 answers 0x84; 3.1.1 answers return code 0x01, a layout every
    // earlier client reads.
    out.action = ErrorAction::kConnackThenClose;
    out.connack_version = v5 ? ProtocolVersion::kV5 : ProtocolVersion::kV311;
    out.code = v5 ? static_cast<std::uint8_t>(ReasonCode::kUnsupportedProtocolVersion)
                  : static_cast<std::uint8_t>(ConnackReturnCode::kUnacceptableProtocolVersion);
    return out;
  }
  if (!v5) return out;  // 3.1.1 has no CONNACK code for a malformed CONNECT [MQTT-3.1.4-1]
  out.action = ErrorAction::kConnackThenClose;
  out.connack_version = ProtocolVersion::kV5;
  out.code = code_for(PacketType::kConnack, error.reason);
  return out;
}

}  // namespace

ErrorOutcome error_outcome(const DecodeError& error, ProtocolVersion version, bool connected) {
  if (!connected) return outcome_before_connect(error);
  ErrorOutcome out;
  if (!is_v5(version)) return out;  // 3.1 / 3.1.1: close without a word
  out.action = ErrorAction::kDisconnectThenClose;
  out.code = code_for(PacketType::kDisconnect, error.reason);
  return out;
}

}  // namespace rmq::codec
