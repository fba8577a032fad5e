// libFuzzer target for the write-ahead-log recovery scan (broker/persist/scan.h).
//
// The first input byte picks the options (bit 0: newest segment, bit 1: skip_corrupt) and whether
// a valid segment header is put in front of the rest (bit 2), so the fuzzer reaches the record
// scan without having to forge a header CRC. The scan runs on an exactly sized heap copy, so ASan
// catches any read past the end. It checks, and traps on a violation:
//  - every delivered record lies inside the image, after the header, in increasing order, and
//    re-parses at its offset;
//  - the accounting: on success, header + delivered bytes + skipped bytes + the torn tail cover
//    the image exactly; truncate_to only in the newest segment; errors carry an offset inside it;
//  - a differential round trip: the delivered records, framed again into a fresh segment, scan
//    back identically with no defect.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "broker/persist/record.h"
#include "broker/persist/scan.h"
#include "tests/fuzz/fuzz_check.h"

namespace rmq::persist {
namespace {

const std::string kName = "shard-0-00000000000000000001.log";

struct Delivered {
  std::uint8_t type;
  std::vector<std::uint8_t> payload;
  std::uint64_t offset;
};

ScanResult run(std::span<const std::uint8_t> image, const ScanOptions& options,
               std::vector<Delivered>* out) {
  return scan_segment_image(
      image, kName, options,
      [&](std::uint8_t type, std::span<const std::uint8_t> p, std::uint64_t off) {
        FUZZ_CHECK(p.data() >= image.data());
        FUZZ_CHECK(p.data() + p.size() <= image.data() + image.size());
        FUZZ_CHECK(off + framed_size(p.size()) <= image.size());
        FUZZ_CHECK(off >= kSegmentHeaderSize);
        FUZZ_CHECK(out->empty() || off > out->back().offset);
        out->push_back({type, {p.begin(), p.end()}, off});
      });
}

void check_accounting(std::span<const std::uint8_t> image, const ScanOptions& options,
                      const ScanResult& r, const std::vector<Delivered>& got) {
  FUZZ_CHECK(r.records == got.size());
  if (!options.skip_corrupt) FUZZ_CHECK(r.skipped == 0);
  if (r.truncate_to) {
    FUZZ_CHECK(options.newest);
    FUZZ_CHECK(*r.truncate_to <= image.size());
  }
  if (!r.ok()) {
    FUZZ_CHECK(!r.message.empty());
    FUZZ_CHECK(r.error_offset < image.size() || r.error_offset == 0);
    return;
  }
  if (r.truncate_to == 0u) return;  // torn header
  const std::uint64_t tail = r.truncate_to ? image.size() - *r.truncate_to : 0;
  FUZZ_CHECK_CTX(kSegmentHeaderSize + r.bytes + r.skipped_bytes + tail == image.size(),
                 "bytes %llu skipped %llu tail %llu size %zu", (unsigned long long)r.bytes,
                 (unsigned long long)r.skipped_bytes, (unsigned long long)tail, image.size());
}

void check_round_trip(const std::vector<Delivered>& got) {
  std::vector<std::uint8_t> image(kSegmentHeaderSize);
  encode_segment_header(SegmentHeader{kSegmentVersion, 0, 1, 0}, image);
  for (const Delivered& d : got) {
    const std::size_t at = image.size();
    image.resize(at + framed_size(d.payload.size()));
    FUZZ_CHECK(frame_record(std::span(image).subspan(at), d.type, d.payload).ok());
  }
  std::vector<Delivered> again;
  const ScanResult r = run(image, ScanOptions{false, false}, &again);
  FUZZ_CHECK(r.ok() && !r.truncate_to && r.skipped == 0);
  FUZZ_CHECK(again.size() == got.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    FUZZ_CHECK(again[i].type == got[i].type && again[i].payload == got[i].payload);
  }
}

}  // namespace
}  // namespace rmq::persist

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rmq::persist;
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  ScanOptions options;
  options.newest = (flags & 1) != 0;
  options.skip_corrupt = (flags & 2) != 0;
  const std::size_t header = (flags & 4) ? kSegmentHeaderSize : 0;
  const std::size_t image_size = header + size - 1;
  auto image = std::make_unique<std::uint8_t[]>(image_size);  // exact size: ASan sees overreads
  if (header) encode_segment_header(SegmentHeader{kSegmentVersion, 0, 1, 0}, {image.get(), header});
  std::memcpy(image.get() + header, data + 1, size - 1);
  const std::span<const std::uint8_t> view(image.get(), image_size);

  std::vector<Delivered> got;
  const ScanResult r = run(view, options, &got);
  check_accounting(view, options, r, got);
  for (const Delivered& d : got) {
    RecordView rec;
    FUZZ_CHECK(parse_record(view, d.offset, &rec) == Frame::kOk);
  }
  check_round_trip(got);
  return 0;
}
