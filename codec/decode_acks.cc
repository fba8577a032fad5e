// The packets with a fixed variable header and no payload: CONNACK (3.2), PUBACK, PUBREC, PUBREL,
// PUBCOMP (3.4 - 3.7), PINGREQ, PINGRESP (3.12, 3.13), DISCONNECT (3.14) and AUTH (3.15).
//
// Before 5.0 none of them has properties or (except CONNACK) a reason code: the acks are exactly
// a Packet Identifier, the others are empty. In 5.0 the short forms the spec allows decode as
// Success with no properties.
#include <array>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "codec/decode_internal.h"

namespace rmq::codec::detail {
namespace {

constexpr std::uint16_t packets(std::initializer_list<PacketType> types) {
  std::uint16_t bits = 0;
  for (PacketType t : types) bits = static_cast<std::uint16_t>(bits | (1u << unsigned(t)));
  return bits;
}

using P = PacketType;
constexpr std::uint16_t kConnackOnly = packets({P::kConnack});
constexpr std::uint16_t kConnackDisconnect = packets({P::kConnack, P::kDisconnect});
constexpr std::uint16_t kDisconnectOnly = packets({P::kDisconnect});
constexpr std::uint16_t kFailureCommon =
    packets({P::kConnack, P::kPuback, P::kPubrec, P::kSuback, P::kUnsuback, P::kDisconnect});

// kReasonCodeUse[code]: bit (1 << packet type) for each packet that may carry `code` (MQTT 5.0
// Table 2-6).
constexpr std::array<std::uint16_t, 256> kReasonCodeUse = [] {
  std::array<std::uint16_t, 256> use{};
  use[0x00] = packets({P::kConnack, P::kPuback, P::kPubrec, P::kPubrel, P::kPubcomp, P::kSuback,
                       P::kUnsuback, P::kDisconnect, P::kAuth});
  use[0x01] = use[0x02] = packets({P::kSuback});
  use[0x04] = kDisconnectOnly;
  use[0x10] = packets({P::kPuback, P::kPubrec});
  use[0x11] = packets({P::kUnsuback});
  use[0x18] = use[0x19] = packets({P::kAuth});
  use[0x80] = use[0x83] = use[0x87] = kFailureCommon;
  use[0x81] = use[0x82] = use[0x89] = use[0x8C] = use[0x95] = kConnackDisconnect;
  use[0x84] = use[0x85] = use[0x86] = use[0x88] = use[0x8A] = kConnackOnly;
  use[0x8B] = use[0x8D] = use[0x8E] = use[0x93] = use[0x94] = kDisconnectOnly;
  use[0x96] = use[0x98] = use[0xA0] = kDisconnectOnly;
  use[0x8F] = packets({P::kSuback, P::kUnsuback, P::kDisconnect});
  use[0x90] = use[0x99] = packets({P::kConnack, P::kPuback, P::kPubrec, P::kDisconnect});
  use[0x91] = packets({P::kPuback, P::kPubrec, P::kSuback, P::kUnsuback});
  use[0x92] = packets({P::kPubrel, P::kPubcomp});
  use[0x97] = packets({P::kConnack, P::kPuback, P::kPubrec, P::kSuback, P::kDisconnect});
  use[0x9A] = use[0x9B] = use[0x9C] = use[0x9D] = use[0x9F] = kConnackDisconnect;
  use[0x9E] = use[0xA1] = use[0xA2] = packets({P::kSuback, P::kDisconnect});
  return use;
}();

// Per ack type: the property scope, the statement naming its reason codes, and the section
// giving its 3.1.1 remaining length of 2.
struct AckRules {
  PropertyScope scope;
  std::string_view reason_statement;
  std::string_view length_section;
};
constexpr AckRules ack_rules(PacketType type) {
  switch (type) {
    case P::kPubrec: return {PropertyScope::kPubrec, "MQTT-3.5.2-1", "3.5.1"};
    case P::kPubrel: return {PropertyScope::kPubrel, "MQTT-3.6.2-1", "3.6.1"};
    case P::kPubcomp: return {PropertyScope::kPubcomp, "MQTT-3.7.2-1", "3.7.1"};
    default: return {PropertyScope::kPuback, "MQTT-3.4.2-1", "3.4.1"};
  }
}

// The 5.0 tail shared by acks, DISCONNECT and AUTH: an optional reason code, then optional
// properties, then nothing. `r` is positioned on the reason code.
MaybeError read_reason_and_properties(Reader& r, PacketType type, PropertyScope scope,
                                      std::string_view reason_statement, ReasonCode* reason,
                                      Properties* properties) {
  if (r.at_end()) return std::nullopt;  // short form: Success, no properties
  const std::uint8_t code = r.u8();
  if (!reason_code_allowed(type, code)) {
    return protocol_error(reason_statement, "reason code not allowed in this packet");
  }
  *reason = static_cast<ReasonCode>(code);
  if (r.at_end()) return std::nullopt;  // reason code only, no properties
  if (auto e = decode_properties(r, scope, properties)) return e;
  if (!r.at_end()) return malformed("2.2.2.1", "bytes after the properties");
  return std::nullopt;
}

}  // namespace

bool reason_code_allowed(PacketType type, std::uint8_t code) {
  return (kReasonCodeUse[code] & (1u << static_cast<unsigned>(type))) != 0;
}

MaybeError decode_connack(Body body, ProtocolVersion version, ConnackView* out) {
  Reader r(body);
  const std::uint8_t flags = r.u8();
  out->reason_code = r.u8();
  if (!r.ok()) return malformed("3.2.2", "CONNACK variable header truncated");
  if (version == ProtocolVersion::kV31) {
    // 3.1 has no Session Present flag: the first byte is reserved and not used (3.1 section 3.2).
    out->session_present = false;
  } else {
    if ((flags & 0xFE) != 0) return malformed("MQTT-3.2.2-1", "CONNACK reserved flags set");
    out->session_present = (flags & 0x01) != 0;
  }
  if (is_v5(version)) {
    if (!reason_code_allowed(P::kConnack, out->reason_code)) {
      return protocol_error("MQTT-3.2.2-8", "reason code not allowed in CONNACK");
    }
    if (auto e = decode_properties(r, PropertyScope::kConnack, &out->properties)) return e;
  } else if (out->reason_code > static_cast<std::uint8_t>(ConnackReturnCode::kNotAuthorized)) {
    return protocol_error("3.2.2.3", "reserved CONNACK return code");
  }
  if (out->session_present && out->reason_code != 0) {
    return protocol_error("MQTT-3.2.2-6", "Session Present with a failure reason code");
  }
  if (!r.at_end()) return malformed("3.2.2", "bytes after the CONNACK variable header");
  return std::nullopt;
}

MaybeError decode_ack(PacketType type, Body body, ProtocolVersion version, AckView* out) {
  const AckRules rules = ack_rules(type);
  Reader r(body);
  out->packet_id = r.u16();
  if (!r.ok()) return malformed(rules.length_section, "acknowledgement without Packet Identifier");
  if (out->packet_id == 0) {
    return protocol_error("MQTT-2.2.1-5", "acknowledgement with Packet Identifier 0");
  }
  if (!is_v5(version)) {
    if (!r.at_end()) return malformed(rules.length_section, "bytes after the Packet Identifier");
    return std::nullopt;
  }
  return read_reason_and_properties(r, type, rules.scope, rules.reason_statement, &out->reason_code,
                                    &out->properties);
}

MaybeError decode_disconnect(Body body, ProtocolVersion version, DisconnectView* out) {
  Reader r(body);
  if (!is_v5(version)) {
    if (!r.at_end()) return malformed("3.14.2", "DISCONNECT with a body before MQTT 5.0");
    return std::nullopt;
  }
  return read_reason_and_properties(r, P::kDisconnect, PropertyScope::kDisconnect, "MQTT-3.14.2-1",
                                    &out->reason_code, &out->properties);
}

MaybeError decode_auth(Body body, AuthView* out) {
  Reader r(body);
  return read_reason_and_properties(r, P::kAuth, PropertyScope::kAuth, "MQTT-3.15.2-1",
                                    &out->reason_code, &out->properties);
}

MaybeError decode_empty(PacketType type, Body body) {
  if (body.empty()) return std::nullopt;
  return malformed(type == P::kPingreq ? "3.12.2" : "3.13.2", "PINGREQ/PINGRESP with a body");
}

}  // namespace rmq::codec::detail
