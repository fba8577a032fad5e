// Recovery scan of write-ahead-log segments.
//
// Every record that validates is passed to the callback in file order. When a record at offset X
// does not validate (incomplete, length over the maximum, type 0, CRC mismatch), the scan looks
// for the next offset Y > X, byte by byte, at which a complete record validates and is followed
// by the end of the file or a plausible length (find_next_record, record.h). Then:
//
//  * TAIL defect: no such Y exists and the segment is the newest one (ScanOptions::newest). This
//    is what a crash mid-append leaves: a partial header, a partial payload, a zero-filled or
//    garbage tail, a CRC mismatch in the last record. The scan stops, sets truncate_to = X (a file
//    offset: everything before it is intact) and adds a warning. Not an error.
//  * MIDDLE defect: a valid record follows (Y exists), or the segment is not the newest. Without
//    skip_corrupt the scan stops with ScanError::kCorruptRecord naming the file and X. With
//    skip_corrupt it resumes at Y (or ends the segment when there is no Y), adds 1 to `skipped`
//    and Y - X to `skipped_bytes`, and adds a warning.
//
// The segment header is checked first (magic, version, CRC, and shard/seq against the file name
// when the name parses). A bad header is always an error (ScanError::kBadHeader at offset 0),
// skip_corrupt or not, except in the newest segment when the file is shorter than a header or its
// header bytes are all zero (a crash while creating it): that is a tail defect with truncate_to 0.
//
// Records delivered before an error stay delivered: a caller treats any error as fatal for the
// whole recovery. Offsets are file offsets (the header included).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/persist/segment.h"

namespace rmq::persist {

struct ScanOptions {
  // Skip corrupt records in the middle of segments instead of failing.
  bool skip_corrupt = false;
  // Whether the segment is the newest of its shard, the only one whose tail may be torn.
  // scan_shard() sets it per segment.
  bool newest = true;
};

enum class ScanError : std::uint8_t {
  kNone,
  kIo,              // the file or directory could not be read
  kBadHeader,       // segment header corrupt, or not the shard/sequence of the file name
  kCorruptRecord,   // a record in the middle of the log does not validate
  kMissingSegment,  // a gap in the sequence numbers of a shard's segments
};

struct ScanResult {
  std::uint64_t records = 0;  // records delivered
  std::uint64_t bytes = 0;    // framed bytes of the records delivered (headers included)
  // Set after a tail defect: the length the newest segment must be truncated to.
  std::optional<std::uint64_t> truncate_to;
  std::string truncate_path;        // the file truncate_to applies to
  std::uint64_t skipped = 0;        // corrupt regions skipped (skip_corrupt)
  std::uint64_t skipped_bytes = 0;  // bytes in them
  ScanError error = ScanError::kNone;
  std::uint64_t error_offset = 0;  // kBadHeader / kCorruptRecord: file offset of the defect
  std::uint64_t missing_seq = 0;   // kMissingSegment: the first missing sequence number
  std::string error_path;          // the file (or, for kMissingSegment, the directory)
  std::string message;             // one line naming the file and offset, empty when ok
  std::vector<std::string> warnings;

  bool ok() const { return error == ScanError::kNone; }
};

// `offset` is the record's file offset. The payload view is valid during the call only.
using RecordFn = std::function<void(std::uint8_t type, std::span<const std::uint8_t> payload,
                                    std::uint64_t offset)>;

// Scans an in-memory segment image (header and records); `name` is used in messages and, when it
// parses as a segment file name, to check the header's shard and sequence.
ScanResult scan_segment_image(std::span<const std::uint8_t> file, const std::string& name,
                              const ScanOptions& options, const RecordFn& fn);

// Scans one segment file (read through a private read-only mapping).
ScanResult scan_segment(const std::string& path, const ScanOptions& options, const RecordFn& fn);

// `seq` is the segment's sequence number.
using ShardRecordFn =
    std::function<void(std::uint64_t seq, std::uint8_t type, std::span<const std::uint8_t> payload,
                       std::uint64_t offset)>;

// Scans every log segment of `shard` in `dir` in sequence order; only the last is the newest.
// A gap in the sequence numbers is ScanError::kMissingSegment before any record is delivered,
// unless skip_corrupt: then a warning, and the segments there are replayed in order. A segment
// whose header is bad stops the scan (kBadHeader), unless skip_corrupt: then it is skipped whole
// with a warning.
// Counters and warnings are summed over segments; truncate_to refers to the last segment.
// No segments at all is an empty, successful scan.
ScanResult scan_shard(const std::string& dir, std::uint32_t shard, const ScanOptions& options,
                      const ShardRecordFn& fn);

}  // namespace rmq::persist
