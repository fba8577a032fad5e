// Reader: the one bounds-checked cursor over untrusted bytes. All length arithmetic on input
// happens here; every read either succeeds or leaves ok() false and returns a zero value, so a
// decoder can read a whole field group and check once.
//
// Strings and binary data come back as views into the input (zero-copy): they are valid as long
// as the input buffer is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace rmq::codec {

class Reader {
 public:
  constexpr Reader() = default;
  constexpr explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

  constexpr bool ok() const { return ok_; }
  constexpr std::size_t remaining() const { return ok_ ? bytes_.size() - pos_ : 0; }
  constexpr std::size_t position() const { return pos_; }
  constexpr bool at_end() const { return remaining() == 0; }

  std::uint8_t u8() {
    if (!need(1)) return 0;
    return bytes_[pos_++];
  }
  std::uint16_t u16() {
    if (!need(2)) return 0;
    std::uint16_t v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    if (!need(4)) return 0;
    std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                      (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  // Variable Byte Integer (MQTT 5.0 1.5.5): at most 4 bytes; a continuation bit on the fourth
  // byte fails the read. Non-minimal encodings are accepted (minimal is required of senders only).
  std::uint32_t varint() {
    std::uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
      if (!need(1)) return 0;
      std::uint8_t byte = bytes_[pos_++];
      value |= std::uint32_t{static_cast<std::uint8_t>(byte & 0x7F)} << (7 * i);
      if ((byte & 0x80) == 0) return value;
    }
    ok_ = false;  // more than 4 bytes
    return 0;
  }
  // Two-byte length then that many bytes. UTF-8 validity is checked by the caller (validate.h).
  std::string_view string() {
    std::span<const std::uint8_t> b = binary();
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  std::span<const std::uint8_t> binary() {
    std::uint16_t len = u16();
    return bytes(len);
  }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!need(n)) return {};
    std::span<const std::uint8_t> out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::span<const std::uint8_t> rest() { return bytes(remaining()); }

 private:
  constexpr bool need(std::size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    return true;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace rmq::codec
