// LoadAverage: the $SYS/broker/load/... moving averages of per-minute rates.
#include "broker/sys_load.h"

#include <gtest/gtest.h>

#include <cmath>

namespace rmq::broker {
namespace {

TEST(LoadAverage, FirstUpdateOnlyRecordsTheTotal) {
  LoadAverage load;
  load.update(1000, 10);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(load.per_minute(i), 0.0);
}

TEST(LoadAverage, ConvergesToASteadyRateShortWindowFirst) {
  LoadAverage load;
  std::uint64_t total = 0;
  load.update(total, 0);
  // 100 messages every 10 s: 600 per minute.
  for (int i = 0; i < 6; ++i) load.update(total += 100, 10);
  EXPECT_GT(load.per_minute(0), load.per_minute(1));
  EXPECT_GT(load.per_minute(1), load.per_minute(2));
  EXPECT_NEAR(load.per_minute(0), 600 * (1 - std::exp(-1.0)), 1.0) << "one 1-minute time constant";
  for (int i = 0; i < 1200; ++i) load.update(total += 100, 10);
  for (std::size_t w = 0; w < 3; ++w) EXPECT_NEAR(load.per_minute(w), 600.0, 0.5);
}

TEST(LoadAverage, DecaysWhenTheCounterStops) {
  LoadAverage load;
  std::uint64_t total = 0;
  load.update(total, 0);
  for (int i = 0; i < 100; ++i) load.update(total += 60, 60);  // 60 per minute
  for (int i = 0; i < 5; ++i) load.update(total, 60);
  EXPECT_LT(load.per_minute(0), 1.0);
  EXPECT_GT(load.per_minute(2), 30.0) << "the 15-minute average forgets slowly";
}

TEST(LoadAverage, ACounterGoingBackwardsCountsAsNothing) {
  LoadAverage load;
  load.update(500, 0);
  load.update(100, 60);
  EXPECT_EQ(load.per_minute(0), 0.0);
}

}  // namespace
}  // namespace rmq::broker
