// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (MQTT 5.0 3.8 - 3.11, 3.1.1 3.8 - 3.11), encode side.
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/encode.h"
#include "codec/encode_internal.h"

namespace rmq::codec {
namespace {

// Subscription Options (5.0 3.8.3.1): bits 1-0 Maximum QoS, 2 No Local, 3 Retain As Published,
// 5-4 Retain Handling, 7-6 reserved. 3.1/3.1.1 carry the requested QoS alone (3.1.1 3.8.3.1).
constexpr std::uint8_t subscription_options_byte(const SubscriptionOptions& o, ProtocolVersion v) {
  unsigned b = static_cast<unsigned>(o.max_qos) & 0x03u;
  if (is_v5(v)) {
    if (o.no_local) b |= 0x04u;
    if (o.retain_as_published) b |= 0x08u;
    b |= (static_cast<unsigned>(o.retain_handling) & 0x03u) << 4;
  }
  return static_cast<std::uint8_t>(b);
}

template <typename Sink>
void put_subscribe(Sink& s, const SubscribeView& p, ProtocolVersion v) {
  s.u16(p.packet_id);
  if (is_v5(v)) detail::put_properties(s, p.properties);
  for (const Subscription& sub : p.subscriptions) {
    s.string(sub.filter);
    s.u8(subscription_options_byte(sub.options, v));
  }
}

// SUBACK: packet id, properties (5.0), one reason/return code per filter. UNSUBACK: the same in
// 5.0; 3.1/3.1.1 UNSUBACK is the packet id alone (3.1.1 3.11.3).
template <typename Sink>
void put_suback(Sink& s, PacketType type, const SubackView& p, ProtocolVersion v) {
  s.u16(p.packet_id);
  if (is_v5(v)) {
    detail::put_properties(s, p.properties);
  } else if (type == PacketType::kUnsuback) {
    return;
  }
  s.bytes(p.reason_codes);
}

template <typename Sink>
void put_unsubscribe(Sink& s, const UnsubscribeView& p, ProtocolVersion v) {
  s.u16(p.packet_id);
  if (is_v5(v)) detail::put_properties(s, p.properties);
  for (std::string_view filter : p.filters) s.string(filter);
}

constexpr bool is_subscribe_ack(PacketType type) {
  return type == PacketType::kSuback || type == PacketType::kUnsuback;
}

}  // namespace

std::size_t encoded_size(const SubscribeView& p, ProtocolVersion v) {
  return detail::packet_size([&](auto& s) { put_subscribe(s, p, v); });
}

std::size_t encode(const SubscribeView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kSubscribe), out,
                               [&](auto& s) { put_subscribe(s, p, v); });
}

std::size_t encoded_size(PacketType type, const SubackView& p, ProtocolVersion v) {
  if (!is_subscribe_ack(type)) return 0;
  return detail::packet_size([&](auto& s) { put_suback(s, type, p, v); });
}

std::size_t encode(PacketType type, const SubackView& p, ProtocolVersion v,
                   std::span<std::uint8_t> out) {
  if (!is_subscribe_ack(type)) return 0;
  return detail::encode_packet(detail::fixed_first_byte(type), out,
                               [&](auto& s) { put_suback(s, type, p, v); });
}

std::size_t encoded_size(const UnsubscribeView& p, ProtocolVersion v) {
  return detail::packet_size([&](auto& s) { put_unsubscribe(s, p, v); });
}

std::size_t encode(const UnsubscribeView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kUnsubscribe), out,
                               [&](auto& s) { put_unsubscribe(s, p, v); });
}

}  // namespace rmq::codec
