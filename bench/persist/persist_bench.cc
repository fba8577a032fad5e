// Throughput of the write-ahead-log format: CRC32C, framing records into a buffer, and the
// recovery scan of an in-memory segment image (bytes per second of segment).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "broker/persist/crc32c.h"
#include "broker/persist/record.h"
#include "broker/persist/scan.h"

namespace rmq::persist {
namespace {

std::vector<std::uint8_t> random_bytes(std::size_t n) {
  std::mt19937_64 rng(1);
  std::vector<std::uint8_t> v(n);
  for (auto& b : v) b = static_cast<std::uint8_t>(rng());
  return v;
}

void BM_Crc32cSoftware(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c_extend_sw(0, data.data(), data.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cSoftware)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cHardware(benchmark::State& state) {
  if (!crc32c_hw_available()) {
    state.SkipWithError("no SSE4.2");
    return;
  }
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c_extend_hw(0, data.data(), data.size()));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Crc32cHardware)->Arg(64)->Arg(4096)->Arg(1 << 20);

// Frames records of range(0) payload bytes back to back into a 4 MiB buffer.
void BM_FrameRecords(benchmark::State& state) {
  const auto payload = random_bytes(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> out(4 << 20);
  std::size_t records = 0;
  for (auto _ : state) {
    std::size_t at = 0;
    while (at + framed_size(payload.size()) <= out.size()) {
      at += *frame_record(std::span(out).subspan(at), 1, payload);
      ++records;
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(records * framed_size(payload.size())));
  state.SetItemsProcessed(static_cast<std::int64_t>(records));
}
BENCHMARK(BM_FrameRecords)->Arg(100)->Arg(1000)->Arg(16000);

// Scans a 64 MiB segment of range(0)-byte records.
void BM_ScanSegment(benchmark::State& state) {
  const auto payload = random_bytes(static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint8_t> image(kSegmentHeaderSize);
  encode_segment_header(SegmentHeader{kSegmentVersion, 0, 1, 0}, image);
  std::size_t records = 0;
  while (image.size() < (64u << 20)) {
    const std::size_t at = image.size();
    image.resize(at + framed_size(payload.size()));
    (void)frame_record(std::span(image).subspan(at), 1, payload);
    ++records;
  }
  std::uint64_t sum = 0;
  const RecordFn fn = [&](std::uint8_t, std::span<const std::uint8_t> p, std::uint64_t) {
    sum += p.size();
  };
  for (auto _ : state) {
    const ScanResult r = scan_segment_image(image, "bench", {}, fn);
    if (r.records != records) state.SkipWithError("scan lost records");
    benchmark::DoNotOptimize(sum);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(image.size()));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(records));
}
BENCHMARK(BM_ScanSegment)->Arg(100)->Arg(1000)->Arg(16000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace rmq::persist

BENCHMARK_MAIN();
