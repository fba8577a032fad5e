#include "bench/loadgen/histogram.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>

namespace rmq::loadgen {
namespace {

using Ref = std::atomic_ref<std::uint64_t>;
using ConstRef = std::atomic_ref<std::uint64_t>;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(new std::uint64_t[kBucketCount]()) {}

LatencyHistogram::LatencyHistogram(const LatencyHistogram& other) : LatencyHistogram() {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] = other.load(i);
}

LatencyHistogram& LatencyHistogram::operator=(const LatencyHistogram& other) {
  if (this != &other) {
    if (!counts_) counts_.reset(new std::uint64_t[kBucketCount]());
    for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] = other.load(i);
  }
  return *this;
}

std::size_t LatencyHistogram::bucket_of(std::uint64_t value) {
  if (value < kSubBuckets) return static_cast<std::size_t>(value);
  value = std::min(value, kMaxValue);
  const int magnitude = 63 - std::countl_zero(value);  // >= kSubBucketBits
  const int shift = magnitude - kSubBucketBits;
  const std::uint64_t sub = (value >> shift) - kSubBuckets;
  return static_cast<std::size_t>(kSubBuckets + std::uint64_t(shift) * kSubBuckets + sub);
}

std::uint64_t LatencyHistogram::bucket_low(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const std::uint64_t sub = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

std::uint64_t LatencyHistogram::bucket_high(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  return bucket_low(index) + (std::uint64_t{1} << shift) - 1;
}

std::uint64_t LatencyHistogram::bucket_value(std::size_t index) {
  return bucket_low(index) + (bucket_high(index) - bucket_low(index)) / 2;
}

std::uint64_t LatencyHistogram::load(std::size_t i) const {
  return ConstRef(counts_[i]).load(std::memory_order_relaxed);
}

void LatencyHistogram::record_n(std::uint64_t value, std::uint64_t n) {
  Ref c(counts_[bucket_of(value)]);
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

LatencyHistogram LatencyHistogram::snapshot() const { return LatencyHistogram(*this); }

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) counts_[i] += other.load(i);
}

void LatencyHistogram::subtract(const LatencyHistogram& earlier) {
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    const std::uint64_t e = earlier.load(i);
    counts_[i] = counts_[i] > e ? counts_[i] - e : 0;
  }
}

void LatencyHistogram::reset() { std::fill(counts_.get(), counts_.get() + kBucketCount, 0); }

std::uint64_t LatencyHistogram::count() const {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) total += load(i);
  return total;
}

std::uint64_t LatencyHistogram::percentile(double p) const {
  const std::uint64_t total = count();
  if (total == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  auto target = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total)));
  target = std::clamp<std::uint64_t>(target, 1, total);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += load(i);
    if (seen >= target) return bucket_value(i);
  }
  return bucket_value(kBucketCount - 1);
}

std::uint64_t LatencyHistogram::min() const {
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    if (load(i) != 0) return bucket_value(i);
  }
  return 0;
}

std::uint64_t LatencyHistogram::max() const {
  for (std::size_t i = kBucketCount; i-- > 0;) {
    if (load(i) != 0) return bucket_value(i);
  }
  return 0;
}

double LatencyHistogram::mean() const {
  double sum = 0;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    const std::uint64_t c = load(i);
    sum += static_cast<double>(c) * static_cast<double>(bucket_value(i));
    total += c;
  }
  return total == 0 ? 0.0 : sum / static_cast<double>(total);
}

}  // namespace rmq::loadgen
