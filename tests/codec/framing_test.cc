// Framing: many packets encoded back to back and delivered the ways a socket may deliver them
// (split in two at every byte offset, one byte at a time, in odd-sized chunks) come out of
// decode() whole, in order and equal to what was sent.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "codec/decode.h"
#include "codec/encode.h"
#include "codec/packets.h"
#include "tests/codec/sample_packets.h"

namespace rmq::codec {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::SamplePacket;

// Samples of one version encoded back to back, with the size of each.
struct Stream {
  ProtocolVersion version;
  std::vector<SamplePacket> packets;
  std::vector<std::size_t> sizes;
  Bytes bytes;
};

// The samples of `v` whose encoding is at most `max_packet` bytes, concatenated.
Stream make_stream(ProtocolVersion v, std::size_t max_packet) {
  Stream s{v, {}, {}, {}};
  for (const SamplePacket& sample : testing::sample_packets(v)) {
    const Bytes b = testing::encode_sample(sample);
    if (b.empty() || b.size() > max_packet) continue;
    s.packets.push_back(sample);
    s.sizes.push_back(b.size());
    s.bytes.insert(s.bytes.end(), b.begin(), b.end());
  }
  return s;
}

// A connection's receive side: appends what arrives, decodes every complete packet at the front,
// keeps the incomplete tail for the next delivery. Checks each packet against the stream.
class Reassembler {
 public:
  explicit Reassembler(const Stream& stream) : stream_(stream) {}

  void feed(std::span<const std::uint8_t> piece) {
    buffer_.insert(buffer_.end(), piece.begin(), piece.end());
    DecodeOptions options;
    options.version = stream_.version;
    std::size_t start = 0;
    while (error_.empty()) {
      const DecodeResult r = decode(std::span(buffer_).subspan(start), options);
      if (r.status == DecodeStatus::kNeedMore) {
        check_need_more(r);
        break;
      }
      check_complete(r);
      start += r.consumed;
      ++next_;
    }
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start));
  }

  // Empty when every packet so far matched; else what went wrong first.
  const std::string& error() const { return error_; }
  bool finished() const { return next_ == stream_.packets.size() && buffer_.empty(); }

 private:
  void fail(const std::string& what) {
    if (error_.empty()) error_ = "packet " + std::to_string(next_) + ": " + what;
  }
  void check_need_more(const DecodeResult& r) {
    if (r.consumed != 0) fail("kNeedMore with consumed != 0");
    if (next_ < stream_.sizes.size() && r.needed != 0 && r.needed != stream_.sizes[next_]) {
      fail("needed " + std::to_string(r.needed) + ", packet is " +
           std::to_string(stream_.sizes[next_]));
    }
  }
  void check_complete(const DecodeResult& r) {
    if (r.status != DecodeStatus::kComplete) {
      return fail("malformed: " + std::string(r.error.statement) + " " + std::string(r.error.what));
    }
    if (next_ >= stream_.packets.size()) return fail("more packets than were sent");
    const SamplePacket& expected = stream_.packets[next_];
    if (r.consumed != stream_.sizes[next_]) fail(expected.name + ": wrong consumed");
    if (!(r.packet == expected.packet)) fail(expected.name + ": decoded packet differs");
  }

  const Stream& stream_;
  Bytes buffer_;
  std::size_t next_ = 0;
  std::string error_;
};

class Framing : public ::testing::TestWithParam<ProtocolVersion> {
 protected:
  // Small packets only, so that splitting at every offset stays quadratic in a few KB.
  static constexpr std::size_t kMaxSplitPacket = 2048;
};

TEST_P(Framing, SplitInTwoAtEveryOffset) {
  const Stream stream = make_stream(GetParam(), kMaxSplitPacket);
  ASSERT_GT(stream.packets.size(), 15u);
  const std::span<const std::uint8_t> all(stream.bytes);
  for (std::size_t split = 0; split <= all.size(); ++split) {
    Reassembler r(stream);
    r.feed(all.first(split));
    r.feed(all.subspan(split));
    ASSERT_EQ(r.error(), "") << "split at " << split;
    ASSERT_TRUE(r.finished()) << "split at " << split;
  }
}

TEST_P(Framing, OneByteAtATime) {
  const Stream stream = make_stream(GetParam(), kMaxSplitPacket);
  Reassembler r(stream);
  for (std::uint8_t byte : stream.bytes) r.feed(std::span(&byte, 1));
  EXPECT_EQ(r.error(), "");
  EXPECT_TRUE(r.finished());
}

// Every sample, the 65535-byte strings and multi-megabyte payloads included, in chunks of sizes
// that do not line up with packet boundaries.
TEST_P(Framing, AllSamplesInOddChunks) {
  const Stream stream = make_stream(GetParam(), SIZE_MAX);
  for (std::size_t chunk : {1021u, 4096u, 65'537u}) {
    Reassembler r(stream);
    for (std::size_t at = 0; at < stream.bytes.size(); at += chunk) {
      r.feed(std::span(stream.bytes).subspan(at, std::min(chunk, stream.bytes.size() - at)));
    }
    EXPECT_EQ(r.error(), "") << "chunk " << chunk;
    EXPECT_TRUE(r.finished()) << "chunk " << chunk;
  }
}

TEST_P(Framing, ManyPacketsInOneBufferDecodeInTurn) {
  const Stream stream = make_stream(GetParam(), SIZE_MAX);
  DecodeOptions options;
  options.version = stream.version;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < stream.packets.size(); ++i) {
    SCOPED_TRACE(stream.packets[i].name);
    const DecodeResult r = decode(std::span(stream.bytes).subspan(offset), options);
    ASSERT_EQ(r.status, DecodeStatus::kComplete) << r.error.statement << ": " << r.error.what;
    EXPECT_EQ(r.consumed, stream.sizes[i]);
    EXPECT_TRUE(r.packet == stream.packets[i].packet);
    offset += r.consumed;
  }
  EXPECT_EQ(offset, stream.bytes.size());
}

std::string version_name(const ::testing::TestParamInfo<ProtocolVersion>& info) {
  switch (info.param) {
    case ProtocolVersion::kV31: return "V31";
    case ProtocolVersion::kV311: return "V311";
    case ProtocolVersion::kV5: return "V5";
  }
  return "Unknown";
}

INSTANTIATE_TEST_SUITE_P(AllVersions, Framing,
                         ::testing::Values(ProtocolVersion::kV31, ProtocolVersion::kV311,
                                           ProtocolVersion::kV5),
                         version_name);

}  // namespace
}  // namespace rmq::codec
