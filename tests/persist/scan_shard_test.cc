#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "broker/persist/scan.h"
#include "log_builder.h"

namespace rmq::persist {
namespace {

using testing::build_log;
using testing::LogImage;

class ScanShard : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("ringmq-scan-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(std::uint32_t shard, std::uint64_t seq) const {
    return (dir_ / segment_file_name(shard, seq)).string();
  }
  LogImage write(std::uint32_t shard, std::uint64_t seq, int records) {
    LogImage img = build_log(shard, seq, records, 100, seq * 31 + shard);
    write_bytes(shard, seq, img.bytes);
    return img;
  }
  void write_bytes(std::uint32_t shard, std::uint64_t seq, const std::vector<std::uint8_t>& b) {
    std::ofstream(path(shard, seq), std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }
  ScanResult scan(bool skip = false) {
    seen_.clear();
    ScanOptions opts;
    opts.skip_corrupt = skip;
    return scan_shard(dir_.string(), 1, opts,
                      [this](std::uint64_t seq, std::uint8_t, std::span<const std::uint8_t>,
                             std::uint64_t off) { seen_.emplace_back(seq, off); });
  }

  std::filesystem::path dir_;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> seen_;
};

TEST_F(ScanShard, DeliversSegmentsInSequenceOrder) {
  write(1, 9, 3);
  write(1, 10, 4);
  write(1, 11, 2);
  write(2, 12, 5);  // another shard: ignored
  ScanResult r = scan();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.records, 9u);
  ASSERT_EQ(seen_.size(), 9u);
  EXPECT_EQ(seen_.front().first, 9u);
  EXPECT_EQ(seen_[3].first, 10u);
  EXPECT_EQ(seen_.back().first, 11u);
  EXPECT_EQ(seen_.front().second, kSegmentHeaderSize);
}

TEST_F(ScanShard, NoSegmentsIsAnEmptyLog) {
  ScanResult r = scan();
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.records, 0u);
}

TEST_F(ScanShard, MissingDirectoryIsAnIoError) {
  ScanResult r = scan_shard((dir_ / "absent").string(), 1, {}, [](auto, auto, auto, auto) {});
  EXPECT_EQ(r.error, ScanError::kIo);
}

TEST_F(ScanShard, GapNamesTheMissingSequence) {
  write(1, 4, 1);
  write(1, 5, 1);
  write(1, 8, 1);
  ScanResult r = scan();
  EXPECT_EQ(r.error, ScanError::kMissingSegment);
  EXPECT_EQ(r.missing_seq, 6u);
  EXPECT_NE(r.message.find(segment_file_name(1, 6)), std::string::npos) << r.message;
  EXPECT_TRUE(seen_.empty()) << "nothing delivered from a log with a hole";
  // skip_corrupt: a warning naming the hole, and the segments there replayed in order.
  r = scan(true);
  EXPECT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find(segment_file_name(1, 6)), std::string::npos) << r.warnings[0];
  ASSERT_EQ(seen_.size(), 3u);
  EXPECT_EQ(seen_[0].first, 4u);
  EXPECT_EQ(seen_[2].first, 8u);
}

TEST_F(ScanShard, TornTailOfTheNewestSegmentIsTruncated) {
  write(1, 1, 3);
  LogImage last = write(1, 2, 3);
  std::vector<std::uint8_t> torn(last.bytes.begin(), last.bytes.end() - 3);
  write_bytes(1, 2, torn);
  ScanResult r = scan();
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.records, 5u);
  EXPECT_EQ(r.truncate_to, last.starts.back());
  EXPECT_EQ(r.truncate_path, path(1, 2));
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find(path(1, 2)), std::string::npos);
}

TEST_F(ScanShard, TornTailOfAnOlderSegmentIsAnError) {
  LogImage first = write(1, 1, 3);
  write(1, 2, 3);
  std::vector<std::uint8_t> torn(first.bytes.begin(), first.bytes.end() - 3);
  write_bytes(1, 1, torn);
  ScanResult r = scan();
  EXPECT_EQ(r.error, ScanError::kCorruptRecord);
  EXPECT_EQ(r.error_path, path(1, 1));
  EXPECT_EQ(r.error_offset, first.starts.back());
  EXPECT_EQ(r.records, 2u);
  ScanResult s = scan(true);
  ASSERT_TRUE(s.ok()) << s.message;
  EXPECT_EQ(s.records, 5u);
  EXPECT_EQ(s.skipped, 1u);
}

TEST_F(ScanShard, SegmentWithTheWrongHeaderIsAnErrorUnlessSkipped) {
  write(1, 1, 2);
  LogImage wrong = build_log(1, 7, 2, 10, 1);  // header says sequence 7
  write_bytes(1, 2, wrong.bytes);
  write(1, 3, 2);
  ScanResult r = scan();
  EXPECT_EQ(r.error, ScanError::kBadHeader);
  EXPECT_EQ(r.error_path, path(1, 2));
  // skip_corrupt: the segment is left out whole, with a warning naming it.
  r = scan(true);
  EXPECT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.records, 4u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find(segment_file_name(1, 2)), std::string::npos) << r.warnings[0];
}

TEST_F(ScanShard, ScanSegmentReadsAFile) {
  LogImage img = write(1, 3, 20);
  std::uint64_t n = 0;
  ScanResult r = scan_segment(path(1, 3), {}, [&](auto, auto, auto) { ++n; });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(n, 20u);
  EXPECT_EQ(scan_segment(path(1, 99), {}, [](auto, auto, auto) {}).error, ScanError::kIo);
  write_bytes(1, 4, {});
  EXPECT_EQ(scan_segment(path(1, 4), {}, [](auto, auto, auto) {}).truncate_to, 0u);
}

}  // namespace
}  // namespace rmq::persist
