// Segment files of a shard's write-ahead log in a data directory.
//
// Names: `shard-<N>-<SEQ>.log` (and `.snap` for snapshots), N the shard number in decimal without
// padding, SEQ the segment sequence number as exactly 20 decimal digits, so names sort like their
// numbers. Each log segment starts with a 32-byte header, then back-to-back records (record.h):
//
//   offset 0   "RMQLOG"     6-byte magic
//   offset 6   u16 version  kSegmentVersion
//   offset 8   u32 shard    must equal N of the name
//   offset 12  u64 seq      must equal SEQ of the name
//   offset 20  u64 created  creation time, nanoseconds since the Unix epoch (informational)
//   offset 28  u32 crc      crc32c_mask(CRC32C(bytes 0..27))
//
// All integers little-endian.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rmq::persist {

inline constexpr std::size_t kSegmentHeaderSize = 32;
inline constexpr std::uint16_t kSegmentVersion = 1;
inline constexpr std::string_view kSegmentMagic = "RMQLOG";

enum class SegmentKind : std::uint8_t { kLog, kSnapshot };

struct SegmentHeader {
  std::uint16_t version = kSegmentVersion;
  std::uint32_t shard = 0;
  std::uint64_t seq = 0;
  std::uint64_t created_ns = 0;
};

// Writes the 32-byte header into `out` (at least kSegmentHeaderSize bytes).
void encode_segment_header(const SegmentHeader& header, std::span<std::uint8_t> out);

enum class HeaderCheck : std::uint8_t { kOk, kShort, kBadMagic, kBadVersion, kBadCrc };
const char* to_string(HeaderCheck check);
// Checks the header at the start of `file`; on kOk fills `*out`.
HeaderCheck decode_segment_header(std::span<const std::uint8_t> file, SegmentHeader* out);

// "shard-3-00000000000000000042.log"
std::string segment_file_name(std::uint32_t shard, std::uint64_t seq,
                              SegmentKind kind = SegmentKind::kLog);

struct SegmentName {
  std::uint32_t shard = 0;
  std::uint64_t seq = 0;
  SegmentKind kind = SegmentKind::kLog;
};
// Parses a file name (no directory part); nullopt for anything not exactly of the form above.
std::optional<SegmentName> parse_segment_file_name(std::string_view name);

struct SegmentFile {
  std::uint64_t seq = 0;
  std::string path;  // dir + "/" + name
};

// The `kind` segments of `shard` in `dir`, ordered by sequence number. Other files are ignored.
// kIoError if the directory cannot be read.
Result<std::vector<SegmentFile>> list_segments(const std::string& dir, std::uint32_t shard,
                                               SegmentKind kind = SegmentKind::kLog);

}  // namespace rmq::persist
