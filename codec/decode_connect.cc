// CONNECT (MQTT 5.0 3.1; 3.1.1 3.1; 3.1 "MQIsdp"): decoded whatever the connection's version,
// since it announces its own.
#include <cstdint>
#include <optional>
#include <string_view>

#include "codec/decode_internal.h"

namespace rmq::codec::detail {
namespace {

// Connect Flags (MQTT 5.0 3.1.2.3).
constexpr std::uint8_t kReservedFlag = 0x01;
constexpr std::uint8_t kCleanStartFlag = 0x02;
constexpr std::uint8_t kWillFlag = 0x04;
constexpr std::uint8_t kWillRetainFlag = 0x20;
constexpr std::uint8_t kPasswordFlag = 0x40;
constexpr std::uint8_t kUserNameFlag = 0x80;
constexpr unsigned kWillQosShift = 3;

enum class Protocol : std::uint8_t { kMqtt, kMqisdp, kOther };

Protocol protocol_of(std::string_view name) {
  if (name == "MQTT") return Protocol::kMqtt;
  if (name == "MQIsdp") return Protocol::kMqisdp;
  return Protocol::kOther;
}

std::optional<ProtocolVersion> version_of(Protocol protocol, std::uint8_t level) {
  if (protocol == Protocol::kMqtt && level == 4) return ProtocolVersion::kV311;
  if (protocol == Protocol::kMqtt && level == 5) return ProtocolVersion::kV5;
  if (protocol == Protocol::kMqisdp && level == 3) return ProtocolVersion::kV31;
  return std::nullopt;
}

// Protocol Name and Level (3.1.2.1, 3.1.2.2).
MaybeError read_protocol(Reader& r, ProtocolVersion* version) {
  const std::string_view name = r.string();
  const std::uint8_t level = r.u8();
  if (!r.ok()) return malformed("3.1.2", "CONNECT variable header truncated");
  const Protocol protocol = protocol_of(name);
  if (protocol == Protocol::kOther) {
    return protocol_error("MQTT-3.1.2-1", "CONNECT protocol name is not MQTT");
  }
  const std::optional<ProtocolVersion> v = version_of(protocol, level);
  if (!v) {
    return fail(ReasonCode::kUnsupportedProtocolVersion, "MQTT-3.1.2-2",
                "unsupported protocol level");
  }
  *version = *v;
  return std::nullopt;
}

// The consistency rules of the Connect Flags byte (3.1.2.3 - 3.1.2.9).
MaybeError check_connect_flags(std::uint8_t flags, ProtocolVersion version) {
  if ((flags & kReservedFlag) != 0) {
    return malformed("MQTT-3.1.2-3", "CONNECT reserved flag set");
  }
  const unsigned will_qos = (flags >> kWillQosShift) & 0x3u;
  if ((flags & kWillFlag) == 0) {
    if (will_qos != 0) return malformed("MQTT-3.1.2-11", "Will QoS set without Will Flag");
    if ((flags & kWillRetainFlag) != 0) {
      return malformed("MQTT-3.1.2-13", "Will Retain set without Will Flag");
    }
  } else if (will_qos == 3) {
    return malformed("MQTT-3.1.2-12", "Will QoS 3");
  }
  if (!is_v5(version) && (flags & kPasswordFlag) != 0 && (flags & kUserNameFlag) == 0) {
    return protocol_error("MQTT-3.1.2-22", "Password without User Name before MQTT 5.0");
  }
  return std::nullopt;
}

// Will Properties, Will Topic and Will Payload (3.1.3.2 - 3.1.3.4).
MaybeError read_will(Reader& r, std::uint8_t flags, ProtocolVersion version, WillView* will) {
  will->qos = static_cast<QoS>((flags >> kWillQosShift) & 0x3u);
  will->retain = (flags & kWillRetainFlag) != 0;
  if (is_v5(version)) {
    if (auto e = decode_properties(r, PropertyScope::kWill, &will->properties)) return e;
  }
  will->topic = r.string();
  will->payload = r.binary();
  if (!r.ok()) return malformed("MQTT-3.1.2-9", "Will Flag set but Will fields missing");
  if (auto e = check_topic_name_field(will->topic, "MQTT-4.7.0-1", "invalid Will Topic")) {
    return e;
  }
  if (will->properties.payload_format_indicator == 1 && !is_well_formed_utf8(will->payload)) {
    return fail(ReasonCode::kPayloadFormatInvalid, "3.1.3.2.3",
                "Will Payload is not the UTF-8 its Payload Format Indicator announces");
  }
  return std::nullopt;
}

// Client Identifier, the Will, User Name and Password, in that order [MQTT-3.1.3-1].
MaybeError read_payload(Reader& r, std::uint8_t flags, ConnectView* out) {
  out->client_id = r.string();
  if (!r.ok()) return malformed("MQTT-3.1.3-3", "CONNECT without Client Identifier");
  if (auto e = check_utf8_field(out->client_id, "Client Identifier is not valid UTF-8")) return e;
  if ((flags & kWillFlag) != 0) {
    if (auto e = read_will(r, flags, out->version, &out->will.emplace())) return e;
  }
  if ((flags & kUserNameFlag) != 0) {
    out->username = r.string();
    if (!r.ok()) return malformed("MQTT-3.1.2-17", "User Name Flag set but no User Name");
    if (auto e = check_utf8_field(*out->username, "User Name is not valid UTF-8")) return e;
  }
  if ((flags & kPasswordFlag) != 0) {
    out->password = r.binary();
    if (!r.ok()) return malformed("MQTT-3.1.2-19", "Password Flag set but no Password");
  }
  if (!r.at_end()) return malformed("3.1.3", "bytes after the CONNECT payload");
  return std::nullopt;
}

}  // namespace

std::optional<ProtocolVersion> connect_version(Body body_prefix) {
  Reader r(body_prefix);
  const std::string_view name = r.string();
  const std::uint8_t level = r.u8();
  if (!r.ok()) return std::nullopt;
  return version_of(protocol_of(name), level);
}

MaybeError decode_connect(Body body, ConnectView* out) {
  Reader r(body);
  if (auto e = read_protocol(r, &out->version)) return e;
  const std::uint8_t flags = r.u8();
  out->keep_alive = r.u16();
  if (!r.ok()) return malformed("3.1.2", "CONNECT variable header truncated");
  if (auto e = check_connect_flags(flags, out->version)) return e;
  out->clean_start = (flags & kCleanStartFlag) != 0;
  if (is_v5(out->version)) {
    if (auto e = decode_properties(r, PropertyScope::kConnect, &out->properties)) return e;
  }
  return read_payload(r, flags, out);
}

}  // namespace rmq::codec::detail
