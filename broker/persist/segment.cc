#include "broker/persist/segment.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "broker/persist/crc32c.h"
#include "broker/persist/record.h"

namespace rmq::persist {

namespace {

constexpr std::string_view kPrefix = "shard-";
constexpr std::size_t kSeqDigits = 20;

std::string_view extension(SegmentKind kind) {
  return kind == SegmentKind::kLog ? ".log" : ".snap";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <typename T>
bool parse_number(std::string_view s, T* out) {
  if (!all_digits(s)) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && ptr == s.data() + s.size();
}

}  // namespace

void encode_segment_header(const SegmentHeader& header, std::span<std::uint8_t> out) {
  RMQ_ASSERT(out.size() >= kSegmentHeaderSize);
  std::uint8_t* p = out.data();
  std::memcpy(p, kSegmentMagic.data(), kSegmentMagic.size());
  p[6] = static_cast<std::uint8_t>(header.version);
  p[7] = static_cast<std::uint8_t>(header.version >> 8);
  store_le32(p + 8, header.shard);
  store_le64(p + 12, header.seq);
  store_le64(p + 20, header.created_ns);
  store_le32(p + 28, crc32c_mask(crc32c(p, 28)));
}

const char* to_string(HeaderCheck check) {
  switch (check) {
    case HeaderCheck::kOk: return "ok";
    case HeaderCheck::kShort: return "segment header incomplete";
    case HeaderCheck::kBadMagic: return "segment header magic is not RMQLOG";
    case HeaderCheck::kBadVersion: return "segment header version unsupported";
    case HeaderCheck::kBadCrc: return "segment header CRC mismatch";
  }
  return "?";
}

HeaderCheck decode_segment_header(std::span<const std::uint8_t> file, SegmentHeader* out) {
  if (file.size() < kSegmentHeaderSize) return HeaderCheck::kShort;
  const std::uint8_t* p = file.data();
  if (std::memcmp(p, kSegmentMagic.data(), kSegmentMagic.size()) != 0) {
    return HeaderCheck::kBadMagic;
  }
  if (crc32c_mask(crc32c(p, 28)) != load_le32(p + 28)) return HeaderCheck::kBadCrc;
  const auto version = static_cast<std::uint16_t>(p[6] | p[7] << 8);
  if (version != kSegmentVersion) return HeaderCheck::kBadVersion;
  out->version = version;
  out->shard = load_le32(p + 8);
  out->seq = load_le64(p + 12);
  out->created_ns = load_le64(p + 20);
  return HeaderCheck::kOk;
}

std::string segment_file_name(std::uint32_t shard, std::uint64_t seq, SegmentKind kind) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "shard-%u-%020llu", static_cast<unsigned>(shard),
                static_cast<unsigned long long>(seq));
  std::string name(buf);
  name += extension(kind);
  return name;
}

std::optional<SegmentName> parse_segment_file_name(std::string_view name) {
  SegmentName out;
  if (name.ends_with(".log")) {
    out.kind = SegmentKind::kLog;
  } else if (name.ends_with(".snap")) {
    out.kind = SegmentKind::kSnapshot;
  } else {
    return std::nullopt;
  }
  name.remove_suffix(extension(out.kind).size());
  if (!name.starts_with(kPrefix)) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  const std::size_t dash = name.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view shard = name.substr(0, dash);
  std::string_view seq = name.substr(dash + 1);
  if (seq.size() != kSeqDigits) return std::nullopt;
  if (shard.size() > 1 && shard[0] == '0') return std::nullopt;  // one spelling per shard
  if (!parse_number(shard, &out.shard) || !parse_number(seq, &out.seq)) return std::nullopt;
  return out;
}

Result<std::vector<SegmentFile>> list_segments(const std::string& dir, std::uint32_t shard,
                                               SegmentKind kind) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return Status::Errno(StatusCode::kIoError, "cannot read the data directory", ec.value());
  std::vector<SegmentFile> files;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec)
      return Status::Errno(StatusCode::kIoError, "cannot read the data directory", ec.value());
    const std::string name = it->path().filename().string();
    auto parsed = parse_segment_file_name(name);
    if (!parsed || parsed->shard != shard || parsed->kind != kind) continue;
    files.push_back(SegmentFile{parsed->seq, dir + "/" + name});
  }
  std::sort(files.begin(), files.end(),
            [](const SegmentFile& a, const SegmentFile& b) { return a.seq < b.seq; });
  return files;
}

}  // namespace rmq::persist
