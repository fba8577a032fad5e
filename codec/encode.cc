// PINGREQ, PINGRESP, DISCONNECT, AUTH, and encode() of any PacketView: one switch that hands each
// packet type to its encoder.
#include "codec/encode.h"

#include <cstdint>
#include <span>
#include <variant>

#include "codec/encode_internal.h"

namespace rmq::codec {
namespace {

constexpr bool is_ping(PacketType type) {
  return type == PacketType::kPingreq || type == PacketType::kPingresp;
}

// DISCONNECT (5.0 3.14.2) and AUTH (3.15.2): Reason Code and properties, both omitted when the
// code is Success and there are no properties (Remaining Length 0). When the code is written the
// Property Length is written with it.
template <typename Sink>
void put_reason_and_properties(Sink& s, ReasonCode code, const Properties& p) {
  if (code == ReasonCode::kSuccess && p.empty()) return;
  s.u8(static_cast<std::uint8_t>(code));
  detail::put_properties(s, p);
}

// 3.1/3.1.1 DISCONNECT has no variable header.
template <typename Sink>
void put_disconnect(Sink& s, const DisconnectView& p, ProtocolVersion v) {
  if (is_v5(v)) put_reason_and_properties(s, p.reason_code, p.properties);
}

// Uniform overloads for the dispatch below: pings as (type, EmptyView), AUTH with a version (it
// exists in 5.0 only; before 5.0 there is nothing to encode and both return 0).
std::size_t encoded_size(PacketType type, const EmptyView&) { return is_ping(type) ? 2 : 0; }
std::size_t encode(PacketType type, const EmptyView&, std::span<std::uint8_t> out) {
  return encode_ping(type, out);
}
std::size_t encoded_size(const AuthView& p, ProtocolVersion v) {
  return is_v5(v) ? codec::encoded_size(p) : 0;
}
std::size_t encode(const AuthView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return is_v5(v) ? codec::encode(p, out) : 0;
}

// Calls op with the arguments the encoder of packet.type takes (minus the output buffer).
// A CONNECT is re-encoded for `v`: its version field is replaced. Returns 0 when `body` does not
// hold the alternative `type` selects, or for kReserved.
template <typename Op>
std::size_t dispatch(const PacketView& packet, ProtocolVersion v, const Op& op) {
  const PacketBody& body = packet.body;
  const PacketType type = packet.type;
  switch (type) {
    case PacketType::kConnect:
      if (const auto* b = std::get_if<ConnectView>(&body)) {
        ConnectView for_v = *b;
        for_v.version = v;
        return op(for_v);
      }
      return 0;
    case PacketType::kConnack: {
      const auto* b = std::get_if<ConnackView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kPublish: {
      const auto* b = std::get_if<PublishView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp: {
      const auto* b = std::get_if<AckView>(&body);
      return b ? op(type, *b, v) : 0;
    }
    case PacketType::kSubscribe: {
      const auto* b = std::get_if<SubscribeView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kSuback:
    case PacketType::kUnsuback: {
      const auto* b = std::get_if<SubackView>(&body);
      return b ? op(type, *b, v) : 0;
    }
    case PacketType::kUnsubscribe: {
      const auto* b = std::get_if<UnsubscribeView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kPingreq:
    case PacketType::kPingresp: {
      const auto* b = std::get_if<EmptyView>(&body);
      return b ? op(type, *b) : 0;
    }
    case PacketType::kDisconnect: {
      const auto* b = std::get_if<DisconnectView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kAuth: {
      const auto* b = std::get_if<AuthView>(&body);
      return b ? op(*b, v) : 0;
    }
    case PacketType::kReserved: return 0;
  }
  return 0;
}

}  // namespace

std::size_t encode_ping(PacketType type, std::span<std::uint8_t> out) {
  if (!is_ping(type) || out.size() < 2) return 0;
  out[0] = detail::fixed_first_byte(type);
  out[1] = 0;
  return 2;
}

std::size_t encoded_size(const DisconnectView& p, ProtocolVersion v) {
  return detail::packet_size([&](auto& s) { put_disconnect(s, p, v); });
}

std::size_t encode(const DisconnectView& p, ProtocolVersion v, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kDisconnect), out,
                               [&](auto& s) { put_disconnect(s, p, v); });
}

std::size_t encoded_size(const AuthView& p) {
  return detail::packet_size(
      [&](auto& s) { put_reason_and_properties(s, p.reason_code, p.properties); });
}

std::size_t encode(const AuthView& p, std::span<std::uint8_t> out) {
  return detail::encode_packet(detail::fixed_first_byte(PacketType::kAuth), out, [&](auto& s) {
    put_reason_and_properties(s, p.reason_code, p.properties);
  });
}

std::size_t encoded_size(const PacketView& packet, ProtocolVersion v) {
  return dispatch(packet, v, [](const auto&... args) { return encoded_size(args...); });
}

std::size_t encode(const PacketView& packet, ProtocolVersion v, std::span<std::uint8_t> out) {
  return dispatch(packet, v, [out](const auto&... args) { return encode(args..., out); });
}

}  // namespace rmq::codec
