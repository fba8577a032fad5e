// Builds segment images in memory for the recovery tests.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "broker/persist/record.h"
#include "broker/persist/segment.h"

namespace rmq::persist::testing {

struct LogImage {
  std::vector<std::uint8_t> bytes;
  std::vector<std::size_t> starts;  // file offset of each record
  std::vector<std::vector<std::uint8_t>> payloads;
  std::size_t end_of(std::size_t i) const {
    return i + 1 < starts.size() ? starts[i + 1] : bytes.size();
  }
};

inline LogImage build_log(std::uint32_t shard, std::uint64_t seq, int records,
                          std::size_t max_payload, std::uint64_t rng_seed) {
  std::mt19937_64 rng(rng_seed);
  LogImage img;
  img.bytes.resize(kSegmentHeaderSize);
  encode_segment_header(SegmentHeader{kSegmentVersion, shard, seq, 1'700'000'000'000'000'000ull},
                        img.bytes);
  for (int i = 0; i < records; ++i) {
    std::vector<std::uint8_t> payload(rng() % (max_payload + 1));
    for (auto& b : payload) b = static_cast<std::uint8_t>(rng());
    const std::size_t at = img.bytes.size();
    img.bytes.resize(at + framed_size(payload.size()));
    (void)frame_record(std::span(img.bytes).subspan(at), static_cast<std::uint8_t>(1 + i % 200),
                       payload);
    img.starts.push_back(at);
    img.payloads.push_back(std::move(payload));
  }
  return img;
}

}  // namespace rmq::persist::testing
