// LatencyHistogram: a log-linear histogram of non-negative integer values (nanoseconds here), in
// the spirit of HdrHistogram.
//
// Layout: values below kSubBuckets are counted exactly; above, each power-of-two range
// [2^m, 2^(m+1)) is split into kSubBuckets equal buckets, so a bucket is at most 1/128 of its
// values wide. A reported value is the middle of its bucket: within 0.4 % of any value the bucket
// holds, which is what "1 % precision" promises. Values above kMaxValue are counted in the top
// bucket. Memory is fixed at construction (kBucketCount counters); record() never allocates.
//
// Threads: record() is single-writer (one thread per histogram); snapshot() may be called from any
// thread at any time and returns a consistent-enough copy (each counter is read atomically; a
// record() racing with it may or may not be included). merge() and subtract() act on copies
// that no thread is recording into.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

namespace rmq::loadgen {

class LatencyHistogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;  // 128
  static constexpr int kMaxMagnitude = 40;  // values up to 2^41 - 1 ns (about 36 minutes)
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << (kMaxMagnitude + 1)) - 1;
  static constexpr std::size_t kBucketCount =
      kSubBuckets + (kMaxMagnitude - kSubBucketBits + 1) * kSubBuckets;
  // Relative half-width of the widest bucket: the error bound of a reported value.
  static constexpr double kRelativePrecision = 0.5 / kSubBuckets;

  LatencyHistogram();
  LatencyHistogram(const LatencyHistogram& other);
  LatencyHistogram& operator=(const LatencyHistogram& other);
  LatencyHistogram(LatencyHistogram&&) noexcept = default;
  LatencyHistogram& operator=(LatencyHistogram&&) noexcept = default;

  // Counts one value. Single writer; see the class comment.
  void record(std::uint64_t value) { record_n(value, 1); }
  void record_n(std::uint64_t value, std::uint64_t n);

  // A copy read with atomic loads; safe while another thread records.
  LatencyHistogram snapshot() const;
  // Adds every count of `other` (histograms from several threads).
  void merge(const LatencyHistogram& other);
  // Removes the counts of `earlier`, an older snapshot of this same histogram (interval figures:
  // now.snapshot() minus the snapshot taken at the start of the interval).
  void subtract(const LatencyHistogram& earlier);
  void reset();

  std::uint64_t count() const;
  // The value at percentile `p` (0 < p <= 100): the smallest bucket value such that at least
  // p % of the counted values are at or below it. 0 when empty.
  std::uint64_t percentile(double p) const;
  std::uint64_t min() const;  // the lowest non-empty bucket's value; 0 when empty
  std::uint64_t max() const;  // the highest non-empty bucket's value; 0 when empty
  double mean() const;

  // Bucket arithmetic, exposed for tests.
  static std::size_t bucket_of(std::uint64_t value);
  static std::uint64_t bucket_low(std::size_t index);    // smallest value in the bucket
  static std::uint64_t bucket_high(std::size_t index);   // largest value in the bucket
  static std::uint64_t bucket_value(std::size_t index);  // the reported (middle) value

 private:
  std::uint64_t load(std::size_t i) const;
  std::unique_ptr<std::uint64_t[]> counts_;
};

}  // namespace rmq::loadgen
