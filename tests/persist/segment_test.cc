#include "broker/persist/segment.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace rmq::persist {
namespace {

TEST(SegmentName, FormatsAndParses) {
  EXPECT_EQ(segment_file_name(3, 42), "shard-3-00000000000000000042.log");
  EXPECT_EQ(segment_file_name(0, 18446744073709551615ull, SegmentKind::kSnapshot),
            "shard-0-18446744073709551615.snap");
  auto p = parse_segment_file_name("shard-12-00000000000000000007.log");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->shard, 12u);
  EXPECT_EQ(p->seq, 7u);
  EXPECT_EQ(p->kind, SegmentKind::kLog);
  p = parse_segment_file_name("shard-1-00000000000000000009.snap");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->kind, SegmentKind::kSnapshot);
}

TEST(SegmentName, RejectsEverythingElse) {
  for (const char* bad : {"shard-1-0000000000000000007.log", "shard-1-000000000000000000007.log",
                          "shard--00000000000000000007.log", "shard-01-00000000000000000007.log",
                          "shard-1-00000000000000000007.lg", "shard-1-00000000000000000007.log.tmp",
                          "Shard-1-00000000000000000007.log", "shard-1-0000000000000000000x.log",
                          "shard-+1-00000000000000000007.log", "shard-1-99999999999999999999.log",
                          "shard-99999999999-00000000000000000007.log", "shard-1.log", ""}) {
    EXPECT_FALSE(parse_segment_file_name(bad).has_value()) << bad;
  }
}

TEST(SegmentHeader, RoundTripsAndDetectsDamage) {
  SegmentHeader h{kSegmentVersion, 5, 123456789012345ull, 1700000000000000000ull};
  std::uint8_t buf[kSegmentHeaderSize];
  encode_segment_header(h, buf);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 6), "RMQLOG");
  SegmentHeader out;
  ASSERT_EQ(decode_segment_header(buf, &out), HeaderCheck::kOk);
  EXPECT_EQ(out.shard, 5u);
  EXPECT_EQ(out.seq, 123456789012345ull);
  EXPECT_EQ(out.created_ns, 1700000000000000000ull);
  EXPECT_EQ(decode_segment_header(std::span(buf, 31), &out), HeaderCheck::kShort);
  for (std::size_t i = 0; i < kSegmentHeaderSize; ++i) {
    std::uint8_t bad[kSegmentHeaderSize];
    std::copy(buf, buf + kSegmentHeaderSize, bad);
    bad[i] ^= 0x40;
    EXPECT_NE(decode_segment_header(bad, &out), HeaderCheck::kOk) << "byte " << i;
    EXPECT_EQ(decode_segment_header(bad, &out),
              i < 6 ? HeaderCheck::kBadMagic : HeaderCheck::kBadCrc);
  }
  h.version = 2;
  encode_segment_header(h, buf);
  EXPECT_EQ(decode_segment_header(buf, &out), HeaderCheck::kBadVersion);
}

TEST(SegmentList, OrdersByNumberAndFiltersShardAndKind) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ringmq-seglist-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  for (const std::string& name :
       {segment_file_name(1, 10), segment_file_name(1, 9), segment_file_name(1, 100),
        segment_file_name(2, 5), segment_file_name(1, 3, SegmentKind::kSnapshot),
        std::string("shard-1-junk.log"), std::string("README")}) {
    std::ofstream(dir / name) << "x";
  }
  auto logs = list_segments(dir.string(), 1);
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 3u);
  EXPECT_EQ((*logs)[0].seq, 9u);
  EXPECT_EQ((*logs)[1].seq, 10u);
  EXPECT_EQ((*logs)[2].seq, 100u);
  EXPECT_EQ((*logs)[0].path, dir.string() + "/" + segment_file_name(1, 9));
  auto snaps = list_segments(dir.string(), 1, SegmentKind::kSnapshot);
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 1u);
  EXPECT_EQ((*snaps)[0].seq, 3u);
  EXPECT_EQ(list_segments((dir / "absent").string(), 1).status().code(), StatusCode::kIoError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::persist
