// encode_*(): MQTT control packets into caller-provided buffers.
//
// Contract: pure, no allocation, no exceptions. `encoded_size(...)` returns the exact number of
// bytes the matching encode call writes; encode returns that number, or 0 when `out` is too small
// (nothing meaningful is written then). Inputs are trusted (the caller built them): encode does
// not validate UTF-8 or topic syntax, it only lays out bytes. Properties and reason codes are
// written only for ProtocolVersion::kV5; a 5.0 ack/DISCONNECT whose reason code is Success and
// whose properties are empty uses the short forms the spec allows. Both encoded_size and encode
// return 0 for a packet the wire format cannot carry (a string or binary field over 65535 bytes, a
// remaining length over kMaxRemainingLength) and for a `type` argument not listed for the call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/packets.h"
#include "codec/types.h"

namespace rmq::codec {

std::size_t encoded_size(const ConnectView& p);  // version comes from p.version
std::size_t encode(const ConnectView& p, std::span<std::uint8_t> out);

std::size_t encoded_size(const ConnackView& p, ProtocolVersion v);
std::size_t encode(const ConnackView& p, ProtocolVersion v, std::span<std::uint8_t> out);

std::size_t encoded_size(const PublishView& p, ProtocolVersion v);
std::size_t encode(const PublishView& p, ProtocolVersion v, std::span<std::uint8_t> out);

// `type` is one of kPuback, kPubrec, kPubrel, kPubcomp.
std::size_t encoded_size(PacketType type, const AckView& p, ProtocolVersion v);
std::size_t encode(PacketType type, const AckView& p, ProtocolVersion v,
                   std::span<std::uint8_t> out);

std::size_t encoded_size(const SubscribeView& p, ProtocolVersion v);
std::size_t encode(const SubscribeView& p, ProtocolVersion v, std::span<std::uint8_t> out);

// `type` is kSuback or kUnsuback.
std::size_t encoded_size(PacketType type, const SubackView& p, ProtocolVersion v);
std::size_t encode(PacketType type, const SubackView& p, ProtocolVersion v,
                   std::span<std::uint8_t> out);

std::size_t encoded_size(const UnsubscribeView& p, ProtocolVersion v);
std::size_t encode(const UnsubscribeView& p, ProtocolVersion v, std::span<std::uint8_t> out);

// `type` is kPingreq or kPingresp (always 2 bytes).
std::size_t encode_ping(PacketType type, std::span<std::uint8_t> out);

std::size_t encoded_size(const DisconnectView& p, ProtocolVersion v);
std::size_t encode(const DisconnectView& p, ProtocolVersion v, std::span<std::uint8_t> out);

std::size_t encoded_size(const AuthView& p);  // 5.0 only
std::size_t encode(const AuthView& p, std::span<std::uint8_t> out);

// Any decoded packet, re-encoded for `v` (used by tests and tools; dispatches on packet.type).
// A CONNECT is encoded with its version replaced by `v`; AUTH before 5.0 gives 0.
std::size_t encoded_size(const PacketView& packet, ProtocolVersion v);
std::size_t encode(const PacketView& packet, ProtocolVersion v, std::span<std::uint8_t> out);

// Size of the property block of `p` without its length prefix.
std::size_t properties_size(const Properties& p);

}  // namespace rmq::codec
