#include "bench/loadgen/histogram.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

namespace rmq::loadgen {
namespace {

using H = LatencyHistogram;

// |reported - exact| within the stated relative precision (and 1 % as promised).
void expect_close(std::uint64_t reported, double exact) {
  EXPECT_LE(std::fabs(double(reported) - exact), exact * H::kRelativePrecision + 0.5)
      << "reported " << reported << " exact " << exact;
  EXPECT_LE(std::fabs(double(reported) - exact), exact * 0.01 + 0.5);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  for (std::uint64_t v = 0; v < H::kSubBuckets; ++v) {
    EXPECT_EQ(H::bucket_of(v), v);
    EXPECT_EQ(H::bucket_value(H::bucket_of(v)), v);
  }
}

TEST(LatencyHistogram, EveryValueLiesInItsBucketWithinPrecision) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t v = rng() >> (rng() % 64);
    if (v > H::kMaxValue) continue;
    const std::size_t b = H::bucket_of(v);
    ASSERT_LT(b, H::kBucketCount);
    ASSERT_LE(H::bucket_low(b), v);
    ASSERT_GE(H::bucket_high(b), v);
    expect_close(H::bucket_value(b), double(v));
  }
}

TEST(LatencyHistogram, BucketsTileTheRangeWithoutGaps) {
  for (std::size_t b = 1; b < H::kBucketCount; ++b) {
    ASSERT_EQ(H::bucket_low(b), H::bucket_high(b - 1) + 1) << b;
  }
  EXPECT_EQ(H::bucket_high(H::kBucketCount - 1), H::kMaxValue);
}

TEST(LatencyHistogram, ValuesAboveTheRangeLandInTheTopBucket) {
  H h;
  h.record(~std::uint64_t{0});
  EXPECT_EQ(h.count(), 1u);
  EXPECT_EQ(H::bucket_of(~std::uint64_t{0}), H::kBucketCount - 1);
}

TEST(LatencyHistogram, EmptyHistogramReportsZero) {
  H h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, UniformDistributionPercentiles) {
  H h;
  const std::uint64_t n = 1'000'000;
  for (std::uint64_t v = 1; v <= n; ++v) h.record(v);
  EXPECT_EQ(h.count(), n);
  expect_close(h.percentile(50), 500'000);
  expect_close(h.percentile(90), 900'000);
  expect_close(h.percentile(99), 990'000);
  expect_close(h.percentile(99.9), 999'000);
  expect_close(h.percentile(100), 1'000'000);
  expect_close(h.max(), 1'000'000);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_NEAR(h.mean(), 500'000.5, 500'000.5 * 0.01);
}

TEST(LatencyHistogram, ExponentialDistributionPercentiles) {
  // Quantiles of Exp(mean 50 us), checked against the sorted sample itself.
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> exp(1.0 / 50'000.0);
  std::vector<std::uint64_t> values(200'000);
  H h;
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(exp(rng)) + 1;
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (const double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(values.size()))) - 1;
    expect_close(h.percentile(p), double(values[rank]));
  }
  expect_close(h.max(), double(values.back()));
}

TEST(LatencyHistogram, TailOfABimodalDistribution) {
  H h;
  h.record_n(100'000, 990);   // 100 us
  h.record_n(5'000'000, 10);  // 5 ms
  expect_close(h.percentile(50), 100'000);
  expect_close(h.percentile(99), 100'000);
  expect_close(h.percentile(99.1), 5'000'000);
  expect_close(h.percentile(99.9), 5'000'000);
  expect_close(h.max(), 5'000'000);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  H all, a, b;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 100'000; ++i) {
    const std::uint64_t v = rng() % 10'000'000;
    all.record(v);
    (i % 2 ? a : b).record(v);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  for (const double p : {1.0, 50.0, 90.0, 99.0, 99.9, 100.0}) {
    EXPECT_EQ(a.percentile(p), all.percentile(p)) << p;
  }
  EXPECT_EQ(a.max(), all.max());
}

TEST(LatencyHistogram, SubtractGivesTheIntervalSinceASnapshot) {
  H h;
  h.record_n(1'000, 500);
  const H before = h.snapshot();
  h.record_n(2'000'000, 100);
  H interval = h.snapshot();
  interval.subtract(before);
  EXPECT_EQ(interval.count(), 100u);
  expect_close(interval.percentile(50), 2'000'000);
  expect_close(interval.min(), 2'000'000);
}

TEST(LatencyHistogram, SnapshotWhileAnotherThreadRecords) {
  H h;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2'000'000; ++i) h.record(static_cast<std::uint64_t>(i % 5000));
    done = true;
  });
  std::uint64_t last = 0;
  while (!done) {
    const std::uint64_t now = h.snapshot().count();
    EXPECT_GE(now, last);  // counters only grow
    last = now;
  }
  writer.join();
  EXPECT_EQ(h.count(), 2'000'000u);
}

}  // namespace
}  // namespace rmq::loadgen
