// PUBLISH (MQTT 5.0 3.3) and its acknowledgements PUBACK, PUBREC, PUBREL, PUBCOMP (3.4 - 3.7),
// encode side.
#include <cstdint>
#include <span>

#include "codec/encode.h"
#include "codec/encode_internal.h"

namespace rmq::codec {
namespace {

// Byte 1: type 3, then DUP (bit 3), QoS (bits 2-1), RETAIN (bit 0) (5.0 3.3.1).
constexpr std::uint8_t publish_first_byte(const PublishView& p) {
  unsigned b = static_cast<unsigned>(PacketType::kPublish) << 4;
  if (p.dup) b |= 0x08u;
  b |= (static_cast<unsigned>(p.qos) & 0x03u) << 1;
  if (p.retain) b |= 0x01u;
  return static_cast<std::uint8_t>(b);
}

// Topic Name, Packet Identifier (QoS 1 and 2 only), properties (5.0), then the payload, which
// has no length prefix: it is whatever the remaining length leaves.
template <typename Sink>
void put_publish(Sink& s, const PublishView& p, ProtocolVersion v) {
  s.string(p.topic);
  if (p.qos != QoS::kAtMostOnce) s.u16(p.packet_id);
  if (is_v5(v)) detail::put_properties(s, p.properties);
  s.bytes(p.payload);
}

constexpr bool is_publish_ack(PacketType type) {
  return type == PacketType::kPuback || type == PacketType::kPubrec ||
         type == PacketType::kPubrel || type == PacketType::kPubcomp;
}

// Packet Identifier; for 5.0 also the Reason Code and properties, except that Success with no
// properties uses the two-byte short form (5.0 3.4.2.1). When the reason code is written, the
// Property Length is always written with it (the form every receiver accepts).
template <typename Sink>
void put_ack(Sink& s, const AckView& p, ProtocolVersion v) {
  s.u16(p.packet_id);
  if (!is_v5(v)) return;
  if (p.reason_code == ReasonCode::kSuccess && p.properties.empty()) return;
  s.u8(static_cast<std::uint8_t>(p.reason_code));
  detail::put_properties(s, p.properties);
}

}  // namespace

std::size_t encoded_size(const PublishView& p, ProtocolVersion v) {
  return detail::packet_size([&](auto& s) { put_publish(s, p, v); });
}

std::size_t encode(const PublishView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return detail::encode_packet(publish_first_byte(p), out, [&](auto& s) { put_publish(s, p, v); });
}

std::size_t encoded_size(PacketType type, const AckView& p, ProtocolVersion v) {
  if (!is_publish_ack(type)) return 0;
  return detail::packet_size([&](auto& s) { put_ack(s, p, v); });
}

std::size_t encode(PacketType type, const AckView& p, ProtocolVersion v,
                   std::span<std::uint8_t> out) {
  if (!is_publish_ack(type)) return 0;
  return detail::encode_packet(detail::fixed_first_byte(type), out,
                               [&](auto& s) { put_ack(s, p, v); });
}

}  // namespace rmq::codec
