// Write-ahead-log record framing. One record on disk:
//
//   offset 0  u32 length   payload bytes (little-endian), at most kMaxRecordPayload
//   offset 4  u32 crc      crc32c_mask(CRC32C(type byte, payload)), little-endian
//   offset 8  u8  type     1..255; 0 is never written, so a zero-filled region never validates
//   offset 9  payload
//
// Records follow each other without padding. The format knows nothing of what types mean.
// frame_record() writes into a caller buffer and never allocates; parse_record() reads from a
// caller span and returns views into it (valid as long as that span).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "base/status.h"

namespace rmq::persist {

inline constexpr std::size_t kRecordHeaderSize = 9;
inline constexpr std::uint32_t kMaxRecordPayload = 16u << 20;  // 16 MiB

inline constexpr std::size_t framed_size(std::size_t payload_size) {
  return kRecordHeaderSize + payload_size;
}

// Writes one framed record at the start of `out`; returns the bytes written (framed_size()).
// kInvalidArgument for type 0 or a payload over kMaxRecordPayload, kOutOfRange if `out` is short.
Result<std::size_t> frame_record(std::span<std::uint8_t> out, std::uint8_t type,
                                 std::span<const std::uint8_t> payload);

// Writes only the record header for a payload made of `parts` laid end to end, which the caller
// writes right after it (e.g. as further iovecs of one write), so large payloads need no copy.
// Same argument errors as frame_record(); `out` is exactly one header.
Status frame_header(std::span<std::uint8_t, kRecordHeaderSize> out, std::uint8_t type,
                    std::span<const std::span<const std::uint8_t>> parts);

// A record parsed in place. `offset` is relative to the span given to parse_record().
struct RecordView {
  std::uint8_t type = 0;
  std::span<const std::uint8_t> payload;
  std::size_t offset = 0;
  std::size_t framed_size() const { return kRecordHeaderSize + payload.size(); }
};

enum class Frame : std::uint8_t {
  kOk,
  kIncomplete,  // the span ends inside the header or inside the payload the length announces
  kBadLength,   // length > kMaxRecordPayload
  kBadType,     // type 0
  kBadCrc,
};
const char* to_string(Frame frame);

// Validates the record starting at `offset` of `buf` and on kOk fills `*out`. Never reads outside
// `buf`. A length over the maximum is reported as kBadLength even when the span is short.
Frame parse_record(std::span<const std::uint8_t> buf, std::size_t offset, RecordView* out);

// Resynchronisation after a bad record: the first offset Y in [from, buf.size()) where
// parse_record() gives kOk AND the record is followed by the end of `buf`, by fewer than 4 bytes,
// or by a u32 length no greater than kMaxRecordPayload; buf.size() if there is none.
// The second condition is checked before the CRC. It keeps the cost of scanning a large region of
// garbage near linear (a random candidate must pass two length checks and a type check, about
// 1 in 65536 offsets, before its payload is CRCed) while accepting a valid last record followed by
// a zero-filled or torn tail.
std::size_t find_next_record(std::span<const std::uint8_t> buf, std::size_t from);

// Sequential reader over a span of back-to-back records.
class RecordReader {
 public:
  explicit RecordReader(std::span<const std::uint8_t> buf, std::size_t offset = 0)
      : buf_(buf), offset_(offset) {}

  // kOk: `*out` is the record at offset(), which then advances past it. Otherwise offset() stays
  // at the bad record. At the end of the span returns kIncomplete with at_end() true.
  Frame next(RecordView* out);
  bool at_end() const { return offset_ >= buf_.size(); }
  std::size_t offset() const { return offset_; }
  void seek(std::size_t offset) { offset_ = offset; }

 private:
  std::span<const std::uint8_t> buf_;
  std::size_t offset_;
};

// Little-endian helpers shared by the file formats.
inline void store_le32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
         std::uint32_t{p[3]} << 24;
}
inline void store_le64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  return std::uint64_t{load_le32(p)} | std::uint64_t{load_le32(p + 4)} << 32;
}

}  // namespace rmq::persist
