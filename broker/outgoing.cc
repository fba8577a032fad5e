#include "broker/outgoing.h"

#include "codec/encode.h"

namespace rmq::broker {
namespace {

using codec::ProtocolVersion;

// Sizes the packet, allocates exactly that and encodes into it.
template <typename SizeFn, typename EncodeFn>
SharedBytes build(SizeFn&& size_of, EncodeFn&& encode_into) {
  const std::size_t size = size_of();
  if (size == 0) return {};
  SharedBytes::Builder builder(size);
  const std::span<std::byte> raw = builder.writable();
  const std::span<std::uint8_t> out(reinterpret_cast<std::uint8_t*>(raw.data()), size);
  if (encode_into(out) != size) return {};
  return std::move(builder).finish(size);
}

// Sets the Reason String of `packet` from `d` when the packet then still fits the receiver.
template <typename View, typename SizeFn>
void add_reason_string(View& packet, const Diagnostics& d, codec::ProtocolVersion version,
                       SizeFn&& size_of) {
  if (d.reason_string.empty() || !codec::is_v5(version)) return;
  packet.properties.reason_string = d.reason_string;
  packet.properties.mark(codec::PropertyId::kReasonString);
  if (d.max_packet_size != 0 && size_of() > d.max_packet_size) {
    packet.properties.reason_string = {};
    packet.properties.present &=
        ~(std::uint64_t{1} << static_cast<unsigned>(codec::PropertyId::kReasonString));
  }
}

}  // namespace

SharedBytes encode_publish(const Message& message, const PublishLayout& layout, MonoTime now,
                           std::uint32_t max_packet_size) {
  codec::PublishView p;
  p.dup = layout.dup;
  p.qos = layout.qos;
  p.retain = layout.retain;
  p.packet_id = layout.qos == codec::QoS::kAtMostOnce ? 0 : layout.packet_id;
  p.topic = layout.omit_topic ? std::string_view() : message.topic();
  p.payload = message.payload();
  if (codec::is_v5(layout.version)) {
    p.properties = message.properties();
    if (p.properties.has(codec::PropertyId::kMessageExpiryInterval)) {
      p.properties.message_expiry_interval = *message.remaining_expiry(now);
    }
    if (layout.topic_alias != 0) {
      p.properties.topic_alias = layout.topic_alias;
      p.properties.mark(codec::PropertyId::kTopicAlias);
    }
    p.properties.subscription_identifiers = layout.subscription_ids;
  }
  const ProtocolVersion v = layout.version;
  return build(
      [&] {
        const std::size_t size = codec::encoded_size(p, v);
        return max_packet_size != 0 && size > max_packet_size ? 0 : size;
      },
      [&](std::span<std::uint8_t> out) { return codec::encode(p, v, out); });
}

SharedBytes encode_connack(codec::ConnackView connack, ProtocolVersion version,
                           Diagnostics diagnostics) {
  add_reason_string(connack, diagnostics, version,
                    [&] { return codec::encoded_size(connack, version); });
  return build([&] { return codec::encoded_size(connack, version); },
               [&](std::span<std::uint8_t> out) { return codec::encode(connack, version, out); });
}

SharedBytes encode_ack(codec::PacketType type, std::uint16_t packet_id, codec::ReasonCode reason,
                       ProtocolVersion version, Diagnostics diagnostics) {
  codec::AckView ack;
  ack.packet_id = packet_id;
  ack.reason_code = reason;
  add_reason_string(ack, diagnostics, version,
                    [&] { return codec::encoded_size(type, ack, version); });
  return build([&] { return codec::encoded_size(type, ack, version); },
               [&](std::span<std::uint8_t> out) { return codec::encode(type, ack, version, out); });
}

SharedBytes encode_suback(codec::PacketType type, std::uint16_t packet_id,
                          std::span<const std::uint8_t> codes, ProtocolVersion version,
                          Diagnostics diagnostics) {
  codec::SubackView ack;
  ack.packet_id = packet_id;
  ack.reason_codes = codes;
  add_reason_string(ack, diagnostics, version,
                    [&] { return codec::encoded_size(type, ack, version); });
  return build([&] { return codec::encoded_size(type, ack, version); },
               [&](std::span<std::uint8_t> out) { return codec::encode(type, ack, version, out); });
}

SharedBytes encode_disconnect(codec::ReasonCode reason, ProtocolVersion version,
                              Diagnostics diagnostics) {
  codec::DisconnectView d;
  d.reason_code = reason;
  add_reason_string(d, diagnostics, version, [&] { return codec::encoded_size(d, version); });
  return build([&] { return codec::encoded_size(d, version); },
               [&](std::span<std::uint8_t> out) { return codec::encode(d, version, out); });
}

SharedBytes encode_pingresp() {
  return build([] { return std::size_t{2}; },
               [](std::span<std::uint8_t> out) {
                 return codec::encode_ping(codec::PacketType::kPingresp, out);
               });
}

SharedBytes encode_auth(const codec::AuthView& auth) {
  return build([&] { return codec::encoded_size(auth); },
               [&](std::span<std::uint8_t> out) { return codec::encode(auth, out); });
}

}  // namespace rmq::broker
