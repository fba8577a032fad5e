#include "broker/persist/scan.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "log_builder.h"

namespace rmq::persist {
namespace {

using testing::build_log;
using testing::LogImage;

const std::string kName = "shard-0-00000000000000000001.log";

struct Seen {
  std::vector<std::uint64_t> offsets;
  RecordFn fn() {
    return [this](std::uint8_t, std::span<const std::uint8_t>, std::uint64_t off) {
      offsets.push_back(off);
    };
  }
};

ScanResult scan(std::span<const std::uint8_t> bytes, bool newest, bool skip, Seen* seen = nullptr) {
  Seen local;
  ScanOptions opts;
  opts.newest = newest;
  opts.skip_corrupt = skip;
  return scan_segment_image(bytes, kName, opts, (seen ? seen : &local)->fn());
}

TEST(Scan, CleanLogDeliversEveryRecordInOrder) {
  const LogImage img = build_log(0, 1, 50, 200, 1);
  std::vector<std::vector<std::uint8_t>> got;
  std::vector<std::uint64_t> offsets;
  ScanResult r = scan_segment_image(
      img.bytes, kName, {},
      [&](std::uint8_t type, std::span<const std::uint8_t> p, std::uint64_t off) {
        EXPECT_EQ(type, 1 + got.size() % 200);
        got.emplace_back(p.begin(), p.end());
        offsets.push_back(off);
      });
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.records, 50u);
  EXPECT_EQ(r.bytes, img.bytes.size() - kSegmentHeaderSize);
  EXPECT_FALSE(r.truncate_to.has_value());
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_EQ(got, img.payloads);
  EXPECT_EQ(offsets, std::vector<std::uint64_t>(img.starts.begin(), img.starts.end()));
}

TEST(Scan, HeaderOnlyAndEmptyLogs) {
  const LogImage img = build_log(0, 1, 0, 0, 1);
  ScanResult r = scan(img.bytes, false, false);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.records, 0u);
  EXPECT_FALSE(r.truncate_to.has_value());
}

// Cutting the newest segment at any offset is a torn tail: truncate to the last record boundary.
// The same cut in an older segment is an error, or one skipped region with skip_corrupt.
TEST(Scan, TruncationAtEveryOffset) {
  const LogImage img = build_log(0, 1, 12, 40, 2);
  for (std::size_t cut = 0; cut < img.bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const auto bytes = std::span(img.bytes).first(cut);
    Seen seen;
    ScanResult r = scan(bytes, true, false, &seen);
    ASSERT_TRUE(r.ok()) << r.message;
    if (cut < kSegmentHeaderSize) {
      ASSERT_EQ(r.truncate_to, 0u);
      EXPECT_EQ(r.records, 0u);
      EXPECT_EQ(r.error, ScanError::kNone);
      EXPECT_EQ(scan(bytes, false, true).error, ScanError::kBadHeader);
      continue;
    }
    std::size_t complete = 0;
    while (complete < img.starts.size() && img.end_of(complete) <= cut) ++complete;
    EXPECT_EQ(r.records, complete);
    const std::size_t boundary = complete == 0 ? kSegmentHeaderSize : img.end_of(complete - 1);
    if (boundary == cut) {
      EXPECT_FALSE(r.truncate_to.has_value());
      EXPECT_TRUE(scan(bytes, false, false).ok());
      continue;
    }
    ASSERT_EQ(r.truncate_to, boundary);
    EXPECT_EQ(r.warnings.size(), 1u);
    ScanResult older = scan(bytes, false, false);
    EXPECT_EQ(older.error, ScanError::kCorruptRecord);
    EXPECT_EQ(older.error_offset, boundary);
    ScanResult skipped = scan(bytes, false, true);
    ASSERT_TRUE(skipped.ok());
    EXPECT_EQ(skipped.records, complete);
    EXPECT_EQ(skipped.skipped, 1u);
    EXPECT_EQ(skipped.skipped_bytes, cut - boundary);
    EXPECT_FALSE(skipped.truncate_to.has_value());
  }
}

// One flipped bit in any byte of any record: in the last record it is a torn tail; elsewhere valid
// records follow, so it is a middle defect (error, or skipped exactly that record).
TEST(Scan, FlippedByteInEveryRecord) {
  const LogImage img = build_log(0, 1, 10, 30, 3);
  const std::size_t last = img.starts.size() - 1;
  for (std::size_t pos = kSegmentHeaderSize; pos < img.bytes.size(); ++pos) {
    SCOPED_TRACE("flip at " + std::to_string(pos));
    std::size_t rec = 0;
    while (img.end_of(rec) <= pos) ++rec;
    std::vector<std::uint8_t> bytes = img.bytes;
    bytes[pos] ^= 0x20;
    Seen seen;
    ScanResult r = scan(bytes, true, false, &seen);
    if (rec == last) {
      ASSERT_TRUE(r.ok()) << r.message;
      EXPECT_EQ(r.truncate_to, img.starts[last]);
      EXPECT_EQ(r.records, last);
    } else {
      ASSERT_EQ(r.error, ScanError::kCorruptRecord);
      EXPECT_EQ(r.error_offset, img.starts[rec]);
      EXPECT_EQ(r.records, rec) << "records before the defect are delivered";
      EXPECT_NE(r.message.find(kName), std::string::npos);
      EXPECT_NE(r.message.find("offset " + std::to_string(img.starts[rec])), std::string::npos);
    }
    Seen skipped_seen;
    ScanResult s = scan(bytes, rec != last, true, &skipped_seen);
    ASSERT_TRUE(s.ok()) << s.message;
    EXPECT_EQ(s.records, last);
    EXPECT_FALSE(s.truncate_to.has_value());
    EXPECT_EQ(s.skipped, 1u);
    EXPECT_EQ(s.skipped_bytes, img.end_of(rec) - img.starts[rec]);
    std::vector<std::uint64_t> expect(img.starts.begin(), img.starts.end());
    expect.erase(expect.begin() + static_cast<std::ptrdiff_t>(rec));
    EXPECT_EQ(skipped_seen.offsets, expect);
  }
}

// Zeros where the tail should be (the file was extended but the data never reached the disk).
TEST(Scan, ZeroFilledTail) {
  const LogImage img = build_log(0, 1, 6, 50, 4);
  for (std::size_t zeros = 1; zeros < 80; ++zeros) {
    std::vector<std::uint8_t> bytes = img.bytes;
    bytes.resize(bytes.size() + zeros, 0);
    ScanResult r = scan(bytes, true, false);
    ASSERT_TRUE(r.ok()) << zeros;
    EXPECT_EQ(r.truncate_to, img.bytes.size());
    EXPECT_EQ(r.records, 6u);
    EXPECT_EQ(scan(bytes, false, false).error, ScanError::kCorruptRecord);
  }
  // The last record's payload and everything after it zeroed, from every offset inside it.
  for (std::size_t from = img.starts.back(); from < img.bytes.size(); ++from) {
    std::vector<std::uint8_t> bytes = img.bytes;
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(from), bytes.end(), 0);
    bytes.resize(bytes.size() + 64, 0);
    ScanResult r = scan(bytes, true, false);
    if (from == img.bytes.size()) continue;
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.truncate_to, img.starts.back()) << from;
  }
}

// Megabytes of random bytes after the records (not a crash pattern, but must still end): the
// resync search rejects almost every offset before computing a CRC.
TEST(Scan, LargeGarbageTail) {
  const LogImage img = build_log(0, 1, 5, 50, 10);
  std::vector<std::uint8_t> bytes = img.bytes;
  std::mt19937_64 rng(11);
  for (int i = 0; i < (4 << 20); ++i) bytes.push_back(static_cast<std::uint8_t>(rng()));
  ScanResult r = scan(bytes, true, false);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.records, 5u);
  EXPECT_EQ(r.truncate_to, img.bytes.size());
  ScanResult s = scan(bytes, false, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.skipped_bytes, 4u << 20);
}

TEST(Scan, ZeroRegionInTheMiddle) {
  const LogImage img = build_log(0, 1, 6, 50, 5);
  std::vector<std::uint8_t> bytes(img.bytes.begin(), img.bytes.begin() + img.starts[3]);
  bytes.resize(bytes.size() + 100, 0);
  bytes.insert(bytes.end(), img.bytes.begin() + img.starts[3], img.bytes.end());
  ScanResult r = scan(bytes, true, false);
  EXPECT_EQ(r.error, ScanError::kCorruptRecord);
  EXPECT_EQ(r.error_offset, img.starts[3]);
  ScanResult s = scan(bytes, true, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.records, 6u);
  EXPECT_EQ(s.skipped, 1u);
  EXPECT_EQ(s.skipped_bytes, 100u);
  EXPECT_EQ(s.warnings.size(), 1u);
}

TEST(Scan, TwoCorruptRegionsAreCountedSeparately) {
  const LogImage img = build_log(0, 1, 8, 20, 6);
  std::vector<std::uint8_t> bytes = img.bytes;
  bytes[img.starts[1] + 4] ^= 1;
  bytes[img.starts[5] + 8] ^= 1;
  ScanResult s = scan(bytes, true, true);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s.records, 6u);
  EXPECT_EQ(s.skipped, 2u);
}

TEST(Scan, BadHeaderIsAnErrorEvenWithSkipCorrupt) {
  const LogImage img = build_log(0, 1, 3, 20, 7);
  for (std::size_t pos = 0; pos < kSegmentHeaderSize; ++pos) {
    std::vector<std::uint8_t> bytes = img.bytes;
    bytes[pos] ^= 0x80;
    for (bool newest : {true, false}) {
      ScanResult r = scan(bytes, newest, true);
      EXPECT_EQ(r.error, ScanError::kBadHeader) << pos;
      EXPECT_EQ(r.error_offset, 0u);
      EXPECT_EQ(r.records, 0u);
      EXPECT_NE(r.message.find(kName), std::string::npos);
    }
  }
}

TEST(Scan, TornHeaderOfTheNewestSegment) {
  const LogImage img = build_log(0, 1, 3, 20, 8);
  std::vector<std::uint8_t> bytes = img.bytes;
  std::fill(bytes.begin(), bytes.begin() + kSegmentHeaderSize, 0);
  ScanResult r = scan(bytes, true, false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.truncate_to, 0u);
  EXPECT_EQ(scan(bytes, false, false).error, ScanError::kBadHeader);
  EXPECT_EQ(scan({}, true, false).truncate_to, 0u);
  EXPECT_EQ(scan({}, false, false).error, ScanError::kBadHeader);
}

TEST(Scan, HeaderMustMatchTheFileName) {
  const LogImage img = build_log(0, 2, 3, 20, 9);  // sequence 2 in a file named sequence 1
  ScanResult r = scan(img.bytes, true, false);
  EXPECT_EQ(r.error, ScanError::kBadHeader);
  const LogImage other_shard = build_log(4, 1, 3, 20, 9);
  EXPECT_EQ(scan(other_shard.bytes, true, false).error, ScanError::kBadHeader);
  EXPECT_TRUE(scan_segment_image(img.bytes, "unnamed", {}, [](auto, auto, auto) {}).ok())
      << "no check when the name is not a segment name";
}

}  // namespace
}  // namespace rmq::persist
