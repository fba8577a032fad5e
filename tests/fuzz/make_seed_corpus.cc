// make_seed_corpus <dir>: writes the seed corpus of decode_fuzzer into <dir>.
//
// One file per sample packet of tests/codec/sample_packets.h that encodes to at most
// kMaxSeedSize bytes (named after the sample), plus one file per protocol version holding its
// small samples back to back (stream_<version>), so framing is seeded too. Samples whose bytes
// equal an earlier one's (3.1 and 3.1.1 share most layouts) are skipped. Each encoding is
// decoded again and compared with the sample before it is written; any mismatch fails the tool.
// Files with the same names are overwritten; stale files are not removed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "codec/decode.h"
#include "codec/encode.h"
#include "tests/codec/sample_packets.h"

namespace rmq::codec {
namespace {

// libFuzzer's default -max_len is 4096; larger seeds would only be truncated.
constexpr std::size_t kMaxSeedSize = 4096;

bool write_file(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    std::perror(path.c_str());
    return false;
  }
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

// The sample's encoding, checked to decode back to the sample; empty on a mismatch.
std::vector<std::uint8_t> encode_checked(const testing::SamplePacket& sample) {
  std::vector<std::uint8_t> bytes(encoded_size(sample.packet, sample.version));
  if (encode(sample.packet, sample.version, bytes) != bytes.size()) return {};
  const DecodeResult r = decode(bytes, DecodeOptions{.version = sample.version});
  if (r.status != DecodeStatus::kComplete || r.consumed != bytes.size() ||
      !(r.packet == sample.packet)) {
    return {};
  }
  return bytes;
}

std::string version_name(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::kV31: return "v31";
    case ProtocolVersion::kV311: return "v311";
    case ProtocolVersion::kV5: return "v5";
  }
  return "unknown";
}

int run(const std::string& dir) {
  int written = 0;
  std::set<std::vector<std::uint8_t>> seen;
  // 3.1.1 first, so a layout 3.1 shares with it is named after 3.1.1.
  for (ProtocolVersion v : {ProtocolVersion::kV311, ProtocolVersion::kV5, ProtocolVersion::kV31}) {
    std::vector<std::uint8_t> stream;
    for (const testing::SamplePacket& sample : testing::sample_packets(v)) {
      const std::vector<std::uint8_t> bytes = encode_checked(sample);
      if (bytes.empty()) {
        std::fprintf(stderr, "make_seed_corpus: %s does not survive encode/decode\n",
                     sample.name.c_str());
        return 1;
      }
      if (bytes.size() > kMaxSeedSize) continue;
      if (stream.size() + bytes.size() <= kMaxSeedSize) {
        stream.insert(stream.end(), bytes.begin(), bytes.end());
      }
      if (!seen.insert(bytes).second) continue;
      if (!write_file(dir + "/" + sample.name, bytes)) return 1;
      ++written;
    }
    if (!write_file(dir + "/stream_" + version_name(v), stream)) return 1;
    ++written;
  }
  std::printf("make_seed_corpus: wrote %d files to %s\n", written, dir.c_str());
  return 0;
}

}  // namespace
}  // namespace rmq::codec

int main(int argc, char** argv) {  // NOLINT(bugprone-exception-escape): a tool; bad_alloc ends it
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seed_corpus <dir>\n");
    return 2;
  }
  return rmq::codec::run(argv[1]);
}
