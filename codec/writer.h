// Writer: the one bounds-aware cursor that lays MQTT fields into a caller's buffer, and
// SizeCounter, which takes the same calls and only counts. Every encoder describes a packet once,
// as a function template over the sink, and runs it through both: the counter gives the exact
// size (and the remaining length) before the writer writes, so the two cannot disagree.
//
// Both sinks fail sticky, like Reader: after a failed call ok() is false and nothing more is
// written. A Writer never writes outside the span it was given; it fails instead. Both fail on a
// field the wire format cannot carry: a string or binary field over 65535 bytes, or a variable
// byte integer over kMaxVarInt.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>

#include "codec/types.h"

namespace rmq::codec {

// Bytes a Variable Byte Integer (MQTT 5.0 1.5.5) takes in its minimal encoding; 0 when `value` is
// above kMaxVarInt and cannot be encoded.
constexpr std::size_t varint_size(std::uint32_t value) {
  if (value < 128u) return 1;
  if (value < 16'384u) return 2;
  if (value < 2'097'152u) return 3;
  if (value <= kMaxVarInt) return 4;
  return 0;
}

// Largest string or binary field: its length prefix is two bytes.
inline constexpr std::size_t kMaxFieldLength = std::numeric_limits<std::uint16_t>::max();

class Writer {
 public:
  explicit Writer(std::span<std::uint8_t> out) : out_(out) {}

  bool ok() const { return ok_; }
  std::size_t position() const { return pos_; }

  void u8(std::uint8_t v) {
    if (!need(1)) return;
    out_[pos_++] = v;
  }
  void u16(std::uint16_t v) {
    if (!need(2)) return;
    out_[pos_++] = static_cast<std::uint8_t>(v >> 8);
    out_[pos_++] = static_cast<std::uint8_t>(v);
  }
  void u32(std::uint32_t v) {
    if (!need(4)) return;
    for (int shift = 24; shift >= 0; shift -= 8) {
      out_[pos_++] = static_cast<std::uint8_t>(v >> shift);
    }
  }
  // Minimal encoding: 7 bits per byte, least significant group first, high bit = more follows.
  void varint(std::uint32_t v) {
    std::size_t n = varint_size(v);
    if (n == 0) {
      ok_ = false;
      return;
    }
    if (!need(n)) return;
    while (v >= 128u) {
      out_[pos_++] = static_cast<std::uint8_t>((v & 0x7Fu) | 0x80u);
      v >>= 7;
    }
    out_[pos_++] = static_cast<std::uint8_t>(v);
  }
  // Two-byte length, then the bytes (UTF-8 Encoded String, MQTT 5.0 1.5.4).
  void string(std::string_view s) {
    binary({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }
  // Two-byte length, then the bytes (Binary Data, MQTT 5.0 1.5.6).
  void binary(std::span<const std::uint8_t> b) {
    if (b.size() > kMaxFieldLength) {
      ok_ = false;
      return;
    }
    u16(static_cast<std::uint16_t>(b.size()));
    bytes(b);
  }
  // Raw bytes with no length prefix (a PUBLISH payload, SUBACK reason codes).
  void bytes(std::span<const std::uint8_t> b) {
    if (!need(b.size())) return;
    if (!b.empty()) std::memcpy(out_.data() + pos_, b.data(), b.size());
    pos_ += b.size();
  }

 private:
  bool need(std::size_t n) {
    if (!ok_ || out_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<std::uint8_t> out_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

// Same calls as Writer; adds up the bytes they would write.
class SizeCounter {
 public:
  bool ok() const { return ok_; }
  std::size_t size() const { return size_; }

  void u8(std::uint8_t) { size_ += 1; }
  void u16(std::uint16_t) { size_ += 2; }
  void u32(std::uint32_t) { size_ += 4; }
  void varint(std::uint32_t v) {
    std::size_t n = varint_size(v);
    if (n == 0) ok_ = false;
    size_ += n;
  }
  void string(std::string_view s) { field(s.size()); }
  void binary(std::span<const std::uint8_t> b) { field(b.size()); }
  void bytes(std::span<const std::uint8_t> b) { size_ += b.size(); }
  // Counts `n` bytes whose content another counter already checked; `ok` is that counter's ok().
  void add(std::size_t n, bool ok) {
    size_ += n;
    ok_ = ok_ && ok;
  }

 private:
  void field(std::size_t n) {
    if (n > kMaxFieldLength) ok_ = false;
    size_ += 2 + n;
  }

  std::size_t size_ = 0;
  bool ok_ = true;
};

}  // namespace rmq::codec
