// CONNECT (MQTT 5.0 3.1, 3.1.1 3.1, 3.1 3.1) and CONNACK (5.0 3.2, 3.1.1 3.2), encode side.
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/encode.h"
#include "codec/encode_internal.h"

namespace rmq::codec {
namespace {

// 3.1 names the protocol "MQIsdp" (level 3); 3.1.1 (level 4) and 5.0 (level 5) name it "MQTT".
constexpr std::string_view protocol_name(ProtocolVersion v) {
  return v == ProtocolVersion::kV31 ? std::string_view("MQIsdp") : std::string_view("MQTT");
}

// Connect Flags (5.0 3.1.2.3): bit 7 User Name, 6 Password, 5 Will Retain, 4-3 Will QoS,
// 2 Will Flag, 1 Clean Start, 0 reserved (zero).
constexpr std::uint8_t connect_flags(const ConnectView& p) {
  unsigned flags = 0;
  if (p.username) flags |= 0x80u;
  if (p.password) flags |= 0x40u;
  if (p.will) {
    if (p.will->retain) flags |= 0x20u;
    flags |= (static_cast<unsigned>(p.will->qos) & 0x03u) << 3;
    flags |= 0x04u;
  }
  if (p.clean_start) flags |= 0x02u;
  return static_cast<std::uint8_t>(flags);
}

// Variable header then payload. Properties (and will properties) are written for 5.0 only.
template <typename Sink>
void put_connect(Sink& s, const ConnectView& p) {
  const bool v5 = is_v5(p.version);
  s.string(protocol_name(p.version));
  s.u8(static_cast<std::uint8_t>(p.version));
  s.u8(connect_flags(p));
  s.u16(p.keep_alive);
  if (v5) detail::put_properties(s, p.properties);
  s.string(p.client_id);
  if (p.will) {
    if (v5) detail::put_properties(s, p.will->properties);
    s.string(p.will->topic);
    s.binary(p.will->payload);
  }
  if (p.username) s.string(*p.username);
  if (p.password) s.binary(*p.password);
}

// Connect Acknowledge Flags (bit 0 Session Present; 3.1 has no flags, the byte is reserved and
// zero), the reason or return code, and the properties for 5.0.
template <typename Sink>
void put_connack(Sink& s, const ConnackView& p, ProtocolVersion v) {
  const bool has_session_present_flag = v != ProtocolVersion::kV31;
  s.u8(has_session_present_flag && p.session_present ? 0x01 : 0x00);
  s.u8(p.reason_code);
  if (is_v5(v)) detail::put_properties(s, p.properties);
}

}  // namespace

std::size_t encoded_size(const ConnectView& p) {
  return detail::packet_size([&](auto& s) { put_connect(s, p); });
}

std::size_t encode(const ConnectView& p, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kConnect), out,
                               [&](auto& s) { put_connect(s, p); });
}

std::size_t encoded_size(const ConnackView& p, ProtocolVersion v) {
  return detail::packet_size([&](auto& s) { put_connack(s, p, v); });
}

std::size_t encode(const ConnackView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kConnack), out,
                               [&](auto& s) { put_connack(s, p, v); });
}

}  // namespace rmq::codec
