#include "broker/persist/record.h"

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

#include "broker/persist/crc32c.h"

namespace rmq::persist {
namespace {

std::vector<std::uint8_t> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

TEST(Record, LayoutIsDocumented) {
  const std::uint8_t payload[] = {'a', 'b', 'c'};
  std::uint8_t buf[32] = {};
  auto n = frame_record(buf, 7, payload);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 12u);
  EXPECT_EQ(load_le32(buf), 3u);
  const std::uint8_t typed[] = {7, 'a', 'b', 'c'};
  EXPECT_EQ(load_le32(buf + 4), crc32c_mask(crc32c(typed, 4)));
  EXPECT_EQ(buf[8], 7);
  EXPECT_EQ(buf[9], 'a');
  EXPECT_EQ(buf[12], 0) << "nothing written past the record";
}

TEST(Record, FrameRejectsBadArguments) {
  std::vector<std::uint8_t> buf(64);
  const std::uint8_t payload[8] = {};
  EXPECT_EQ(frame_record(buf, 0, payload).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(frame_record(std::span(buf).first(16), 1, payload).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_TRUE(frame_record(std::span(buf).first(17), 1, payload).ok());
  std::vector<std::uint8_t> big(kMaxRecordPayload + 1);
  std::vector<std::uint8_t> out(framed_size(big.size()));
  EXPECT_EQ(frame_record(out, 1, big).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(frame_record(out, 1, std::span(big).first(kMaxRecordPayload)).ok());
}

TEST(Record, GatherHeaderMatchesFrameRecord) {
  std::mt19937_64 rng(3);
  const auto payload = random_bytes(rng, 1000);
  std::vector<std::uint8_t> framed(framed_size(payload.size()));
  ASSERT_TRUE(frame_record(framed, 42, payload).ok());
  const std::span<const std::uint8_t> all(payload);
  for (std::size_t split : {0u, 1u, 17u, 999u, 1000u}) {
    const std::span<const std::uint8_t> parts[] = {all.first(split), all.subspan(split)};
    std::array<std::uint8_t, kRecordHeaderSize> header{};
    ASSERT_TRUE(frame_header(header, 42, parts).ok());
    EXPECT_TRUE(std::equal(header.begin(), header.end(), framed.begin())) << split;
  }
  std::array<std::uint8_t, kRecordHeaderSize> header{};
  EXPECT_EQ(frame_header(header, 0, {}).code(), StatusCode::kInvalidArgument);
  std::vector<std::uint8_t> half(kMaxRecordPayload / 2 + 1);
  const std::span<const std::uint8_t> big[] = {half, half};
  EXPECT_EQ(frame_header(header, 1, big).code(), StatusCode::kInvalidArgument);
}

TEST(Record, RoundTripManyRandomRecords) {
  std::mt19937_64 rng(7);
  std::vector<std::vector<std::uint8_t>> payloads;
  std::vector<std::uint8_t> types;
  std::vector<std::uint8_t> log;
  for (int i = 0; i < 2000; ++i) {
    const std::size_t size = (i % 10 == 0) ? rng() % 70000 : rng() % 300;
    payloads.push_back(random_bytes(rng, size));
    types.push_back(static_cast<std::uint8_t>(1 + rng() % 255));
    const std::size_t at = log.size();
    log.resize(at + framed_size(size));
    auto n = frame_record(std::span(log).subspan(at), types.back(), payloads.back());
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, framed_size(size));
  }
  RecordReader reader(log);
  RecordView rec;
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    ASSERT_EQ(reader.next(&rec), Frame::kOk) << "record " << i;
    EXPECT_EQ(rec.type, types[i]);
    ASSERT_TRUE(
        std::equal(rec.payload.begin(), rec.payload.end(), payloads[i].begin(), payloads[i].end()));
  }
  EXPECT_TRUE(reader.at_end());
  EXPECT_EQ(reader.next(&rec), Frame::kIncomplete);
}

TEST(Record, ParseDiagnosesEachDefect) {
  std::uint8_t buf[32];
  const std::uint8_t payload[4] = {1, 2, 3, 4};
  ASSERT_TRUE(frame_record(buf, 9, payload).ok());
  RecordView rec;
  for (std::size_t len = 0; len < 13; ++len) {
    EXPECT_EQ(parse_record(std::span(buf, len), 0, &rec), Frame::kIncomplete) << len;
  }
  EXPECT_EQ(parse_record(std::span(buf, 13), 0, &rec), Frame::kOk);
  EXPECT_EQ(parse_record(std::span(buf, 13), 14, &rec), Frame::kIncomplete) << "offset past end";

  std::uint8_t bad[32];
  std::copy(buf, buf + 13, bad);
  bad[8] = 0;
  EXPECT_EQ(parse_record(std::span(bad, 13), 0, &rec), Frame::kBadType);
  std::copy(buf, buf + 13, bad);
  store_le32(bad, kMaxRecordPayload + 1);
  EXPECT_EQ(parse_record(std::span(bad, 13), 0, &rec), Frame::kBadLength);
  for (std::size_t i = 4; i < 13; ++i) {
    if (i == 8) continue;
    std::copy(buf, buf + 13, bad);
    bad[i] ^= 0x01;
    EXPECT_EQ(parse_record(std::span(bad, 13), 0, &rec), Frame::kBadCrc) << "byte " << i;
  }
  const std::uint8_t zeros[32] = {};
  EXPECT_EQ(parse_record(zeros, 0, &rec), Frame::kBadType) << "zero fill never validates";
}

TEST(Record, FindNextRecordResynchronises) {
  std::vector<std::uint8_t> log(100, 0);
  std::fill(log.begin(), log.begin() + 37, 0xee);
  const std::uint8_t payload[5] = {5, 4, 3, 2, 1};
  ASSERT_TRUE(frame_record(std::span(log).subspan(37), 3, payload).ok());
  EXPECT_EQ(find_next_record(log, 0), 37u) << "followed by zeros";
  EXPECT_EQ(find_next_record(log, 37), 37u);
  EXPECT_EQ(find_next_record(log, 38), log.size());
  EXPECT_EQ(find_next_record(std::span(log).first(50), 0), 50u) << "record cut by the span";
  EXPECT_EQ(find_next_record(std::span(log).first(51), 0), 37u) << "followed by the end";
  EXPECT_EQ(find_next_record(std::span(log).first(54), 0), 37u) << "followed by 3 bytes";
  std::fill(log.begin() + 51, log.end(), 0xee);
  EXPECT_EQ(find_next_record(log, 0), log.size()) << "followed by an impossible length";
  EXPECT_EQ(find_next_record(std::span(log).first(54), 0), 37u);
  EXPECT_EQ(find_next_record(std::span(log).first(55), 0), 55u);
}

}  // namespace
}  // namespace rmq::persist
