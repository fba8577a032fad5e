// Shared by the decode_*.cc files; not part of the codec's public interface.
//
// Each packet decoder reads the body of one packet (everything after the fixed header, exactly
// `remaining length` bytes, already all present) through a Reader and returns std::nullopt on
// success or the DecodeError of the first rule it found broken. decode() (decode.cc) fills in the
// error's packet type and version.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "codec/decode.h"
#include "codec/decode_error.h"
#include "codec/packets.h"
#include "codec/properties.h"
#include "codec/reader.h"
#include "codec/types.h"
#include "codec/validate.h"

namespace rmq::codec::detail {

using Body = std::span<const std::uint8_t>;
using MaybeError = std::optional<DecodeError>;

inline DecodeError fail(ReasonCode reason, std::string_view statement, std::string_view what) {
  DecodeError e;
  e.reason = reason;
  e.statement = statement;
  e.what = what;
  return e;
}
inline DecodeError malformed(std::string_view statement, std::string_view what) {
  return fail(ReasonCode::kMalformedPacket, statement, what);
}
inline DecodeError protocol_error(std::string_view statement, std::string_view what) {
  return fail(ReasonCode::kProtocolError, statement, what);
}

// The error for a UTF-8 Encoded String field that check_utf8() rejected; `what` names the field.
DecodeError utf8_error(TextError error, std::string_view what);
// check_utf8() as a decode step.
MaybeError check_utf8_field(std::string_view text, std::string_view what);
// A topic name field (PUBLISH topic, Will Topic, Response Topic): UTF-8, non-empty, no wildcards.
// `wildcard_statement` is the statement the field's wildcard rule is numbered by.
MaybeError check_topic_name_field(std::string_view topic, std::string_view wildcard_statement,
                                  std::string_view what);
// Well-formed UTF-8 per Unicode/RFC 3629 (surrogates rejected) with U+0000 allowed: the rule for
// payloads whose Payload Format Indicator is 1 (MQTT 5.0 3.3.2.3.2), which are character data
// and not UTF-8 Encoded Strings.
bool is_well_formed_utf8(std::span<const std::uint8_t> bytes);

// Reads a Property Length and the property block it announces from `r` (MQTT 5.0 2.2.2),
// validating each property for `scope`: known identifier, allowed there, not repeated unless it
// may be, value in range. On success `out` holds the values (views into the block).
MaybeError decode_properties(Reader& r, PropertyScope scope, Properties* out);

// True when `code` is a reason code `type` may carry in MQTT 5.0 (Table 2-6): CONNACK, PUBACK,
// PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT or AUTH.
bool reason_code_allowed(PacketType type, std::uint8_t code);

// Packet body decoders, one per layout. `version` is the connection's protocol version.
MaybeError decode_connect(Body body, ConnectView* out);
MaybeError decode_connack(Body body, ProtocolVersion version, ConnackView* out);
MaybeError decode_publish(std::uint8_t flags, Body body, ProtocolVersion version, PublishView* out);
MaybeError decode_ack(PacketType type, Body body, ProtocolVersion version, AckView* out);
MaybeError decode_subscribe(Body body, ProtocolVersion version, SubscribeView* out);
MaybeError decode_suback(PacketType type, Body body, ProtocolVersion version, SubackView* out);
MaybeError decode_unsubscribe(Body body, ProtocolVersion version, UnsubscribeView* out);
MaybeError decode_disconnect(Body body, ProtocolVersion version, DisconnectView* out);
MaybeError decode_auth(Body body, AuthView* out);
MaybeError decode_empty(PacketType type, Body body);

// The version a CONNECT announces from the first bytes of its body (which may be incomplete):
// kV31 for "MQIsdp"/3, kV311 for "MQTT"/4, kV5 for "MQTT"/5; nullopt for anything else or when
// those bytes are not all there.
std::optional<ProtocolVersion> connect_version(Body body_prefix);

}  // namespace rmq::codec::detail
