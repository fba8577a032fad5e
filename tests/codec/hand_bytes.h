// Helpers for writing MQTT packets by hand in decoder tests: each one lays out one wire field
// (MQTT 5.0 section 1.5) so a test reads like the packet diagram it encodes. Independent of the
// encoder on purpose: the decoder is checked against bytes, not against the other half of the
// codec.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "codec/decode.h"

namespace rmq::codec::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The characters of `s` with no length prefix.
inline Bytes raw(std::string_view s) { return Bytes(s.begin(), s.end()); }

inline Bytes u16(std::uint16_t v) {
  return {static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

inline Bytes u32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

// Variable Byte Integer, minimal encoding.
inline Bytes vbi(std::uint32_t v) {
  Bytes out;
  do {
    std::uint8_t byte = v % 128;
    v /= 128;
    if (v > 0) byte |= 0x80;
    out.push_back(byte);
  } while (v > 0);
  return out;
}

// UTF-8 Encoded String / Binary Data: Two Byte Integer length, then the bytes.
inline Bytes str(std::string_view s) { return u16(static_cast<std::uint16_t>(s.size())) + raw(s); }
inline Bytes bin(const Bytes& b) { return u16(static_cast<std::uint16_t>(b.size())) + b; }

// A property block: Property Length, then `block`.
inline Bytes props(const Bytes& block) {
  return vbi(static_cast<std::uint32_t>(block.size())) + block;
}

// A whole packet: first byte, Remaining Length, body.
inline Bytes packet(std::uint8_t first_byte, const Bytes& body) {
  return Bytes{first_byte} + vbi(static_cast<std::uint32_t>(body.size())) + body;
}

inline DecodeResult decode_as(const Bytes& bytes, ProtocolVersion version) {
  DecodeOptions options;
  options.version = version;
  return decode(bytes, options);
}
// Decodes `bytes` as one complete packet of `type` and returns it.
inline PacketView decode_whole(const Bytes& bytes, ProtocolVersion version, PacketType type) {
  const DecodeResult r = decode_as(bytes, version);
  EXPECT_EQ(r.status, DecodeStatus::kComplete) << r.error.statement << " " << r.error.what;
  EXPECT_EQ(r.consumed, bytes.size());
  EXPECT_EQ(r.packet.type, type);
  return r.packet;
}
// The packet views point into the input: it must outlive them.
PacketView decode_whole(Bytes&& bytes, ProtocolVersion version, PacketType type) = delete;
inline DecodeResult decode5(const Bytes& bytes) { return decode_as(bytes, ProtocolVersion::kV5); }
inline DecodeResult decode311(const Bytes& bytes) {
  return decode_as(bytes, ProtocolVersion::kV311);
}

// Asserts a rejection: status kMalformed with the given reason code and statement id.
inline ::testing::AssertionResult Rejected(const DecodeResult& r, ReasonCode reason,
                                           std::string_view statement) {
  if (r.status != DecodeStatus::kMalformed) {
    return ::testing::AssertionFailure()
           << "status " << static_cast<int>(r.status) << ", expected kMalformed";
  }
  if (r.error.reason != reason || r.error.statement != statement) {
    return ::testing::AssertionFailure()
           << "got reason 0x" << std::hex << static_cast<int>(r.error.reason) << " statement "
           << r.error.statement << " (" << r.error.what << "), expected reason 0x"
           << static_cast<int>(reason) << " statement " << statement;
  }
  return ::testing::AssertionSuccess();
}
inline ::testing::AssertionResult Malformed(const DecodeResult& r, std::string_view statement) {
  return Rejected(r, ReasonCode::kMalformedPacket, statement);
}
inline ::testing::AssertionResult ProtocolError(const DecodeResult& r, std::string_view statement) {
  return Rejected(r, ReasonCode::kProtocolError, statement);
}

// True when every byte of `view` lies inside `buffer`: the decoder handed out a view, not a copy.
inline bool points_into(std::span<const std::uint8_t> view, const Bytes& buffer) {
  const std::uint8_t* begin = buffer.data();
  const std::uint8_t* end = buffer.data() + buffer.size();
  return view.data() >= begin && view.data() + view.size() <= end;
}
inline bool points_into(std::string_view view, const Bytes& buffer) {
  return points_into(std::span<const std::uint8_t>(
                         reinterpret_cast<const std::uint8_t*>(view.data()), view.size()),
                     buffer);
}

}  // namespace rmq::codec::test
