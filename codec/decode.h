// decode(): one MQTT control packet from the front of a byte stream, in place.
//
// Contract:
// - Pure: no I/O, no allocation, no exceptions, no session state. Safe on any thread.
// - Returns kComplete with `consumed` = the packet's full size and `packet` pointing into `bytes`
//   (valid as long as `bytes` is); kNeedMore when the packet is not all there yet (`consumed` is
//   0 and `needed`, when the fixed header is complete, is the packet's full size); kMalformed with
//   `error` naming the rule broken. After kMalformed the stream cannot be resynchronised: the
//   caller acts on error_outcome() and closes.
// - A remaining length above DecodeOptions::max_packet_size is rejected as soon as the fixed
//   header is readable, before the body arrives.
// - Validated here: everything one packet shows on its own (layout, flags, UTF-8, topic and
//   filter syntax, packet identifiers, property placement, repetition and ranges, reason codes
//   each packet type may carry). Left to the caller, because it needs connection state or
//   direction: Topic Alias above the negotiated maximum and alias mapping, a Subscription
//   Identifier in a client's PUBLISH [MQTT-3.3.4-6], AUTH without or with another Authentication
//   Method than CONNECT's, a second CONNECT, packet order, QoS/RETAIN against the server's
//   capabilities, Receive Maximum, Client Identifier policy, and a non-zero Session Expiry
//   Interval in DISCONNECT after CONNECT sent 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "codec/decode_error.h"
#include "codec/packets.h"
#include "codec/types.h"

namespace rmq::codec {

struct DecodeOptions {
  // The connection's protocol version, known once CONNECT is decoded. CONNECT itself is decoded
  // whatever this says (it carries its own version).
  ProtocolVersion version = ProtocolVersion::kV311;
  // Largest whole packet (fixed header included) accepted; MQTT 5.0 3.1.2.26 semantics.
  std::uint32_t max_packet_size = kMaxRemainingLength + kMaxFixedHeaderSize;
};

enum class DecodeStatus : std::uint8_t { kComplete, kNeedMore, kMalformed };

struct DecodeResult {
  DecodeStatus status = DecodeStatus::kNeedMore;
  std::size_t consumed = 0;  // bytes of `bytes` this packet used (kComplete only)
  std::size_t needed = 0;    // kNeedMore: whole packet size if known, else 0
  PacketView packet;         // kComplete only
  DecodeError error;         // kMalformed only
};

DecodeResult decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options);

// Fixed header only: the packet type/flags byte and remaining length, for framing.
struct FixedHeader {
  PacketType type = PacketType::kReserved;
  std::uint8_t flags = 0;        // low nibble of the first byte
  std::uint32_t remaining = 0;   // remaining length
  std::uint8_t header_size = 0;  // 2..5 bytes
  std::size_t packet_size() const { return header_size + std::size_t{remaining}; }
};

enum class HeaderStatus : std::uint8_t { kComplete, kNeedMore, kMalformed };

// Reads the fixed header at the front of `bytes` (the varint is checked for length only).
HeaderStatus decode_fixed_header(std::span<const std::uint8_t> bytes, FixedHeader* out);

}  // namespace rmq::codec
