// Shared by the encode_*.cc files; not part of the codec's public interface.
//
// Each packet is described once, as a callable `put_body(sink)` that lays out everything after
// the fixed header through a Writer or a SizeCounter (writer.h). packet_size() and
// encode_packet() run it through the counter first, so the remaining length and the total are
// known before a byte is written, and encode never writes past the size it reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/assert.h"
#include "codec/packets.h"
#include "codec/properties.h"
#include "codec/types.h"
#include "codec/writer.h"

namespace rmq::codec::detail {

// A 5.0 property block: Property Length (a Variable Byte Integer), then the properties
// (properties_encode.cc documents their order).
void put_properties(SizeCounter& sink, const Properties& p);
void put_properties(Writer& sink, const Properties& p);

// Byte 1 of the fixed header for packet types whose flags are fixed by the spec (all but
// PUBLISH): 0b0010 for PUBREL, SUBSCRIBE and UNSUBSCRIBE, 0 for the others (MQTT 5.0 2.1.3).
constexpr std::uint8_t fixed_first_byte(PacketType type) {
  const auto t = static_cast<std::uint8_t>(type);
  const bool flags_0010 = type == PacketType::kPubrel || type == PacketType::kSubscribe ||
                          type == PacketType::kUnsubscribe;
  return static_cast<std::uint8_t>((t << 4) | (flags_0010 ? 0x02u : 0x00u));
}

// Remaining length of the body `put_body` describes, or 0 with *ok false when it cannot be
// encoded (a field too long for its prefix, or a remaining length above kMaxRemainingLength).
template <typename PutBody>
std::size_t body_size(const PutBody& put_body, bool* ok) {
  SizeCounter counter;
  put_body(counter);
  *ok = counter.ok() && counter.size() <= kMaxRemainingLength;
  return *ok ? counter.size() : 0;
}

// Whole packet size (fixed header included) of the body `put_body` describes; 0 if unencodable.
template <typename PutBody>
std::size_t packet_size(const PutBody& put_body) {
  bool ok = false;
  const std::size_t remaining = body_size(put_body, &ok);
  if (!ok) return 0;
  return 1 + varint_size(static_cast<std::uint32_t>(remaining)) + remaining;
}

// Writes the fixed header (`first_byte`, remaining length) and the body into `out`. Returns the
// packet size, or 0 when the packet is unencodable or `out` is too small (then nothing is
// written).
template <typename PutBody>
std::size_t encode_packet(std::uint8_t first_byte, std::span<std::uint8_t> out,
                          const PutBody& put_body) {
  bool ok = false;
  const std::size_t remaining = body_size(put_body, &ok);
  if (!ok) return 0;
  const auto remaining32 = static_cast<std::uint32_t>(remaining);
  const std::size_t total = 1 + varint_size(remaining32) + remaining;
  if (total > out.size()) return 0;
  Writer writer(out.first(total));
  writer.u8(first_byte);
  writer.varint(remaining32);
  put_body(writer);
  RMQ_DCHECK(writer.ok() && writer.position() == total);
  return writer.ok() ? total : 0;
}

}  // namespace rmq::codec::detail
