// SysLoad: the moving averages behind $SYS/broker/load/... (as Mosquitto publishes them): for each
// counter, an exponentially weighted moving average of its per-minute rate over 1, 5 and 15
// minutes, fed with the counter's running total at each $SYS interval.
//
// Threads: owned and used by the shard that publishes $SYS (shard 0) only.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/clock.h"

namespace rmq::broker {

class LoadAverage {
 public:
  static constexpr std::array<double, 3> kWindowsS = {60, 300, 900};

  // Feeds the counter's running total, `elapsed_s` seconds after the previous update (the first
  // update only records the total).
  void update(std::uint64_t total, double elapsed_s);
  // Average per-minute rate over window `i` (0: 1 min, 1: 5 min, 2: 15 min).
  double per_minute(std::size_t i) const { return averages_[i]; }

 private:
  bool started_ = false;
  std::uint64_t last_total_ = 0;
  std::array<double, 3> averages_{};
};

// Every average $SYS publishes, and the time of the previous update.
struct SysLoads {
  MonoTime last{};  // the previous update; MonoTime{} before the first
  LoadAverage messages_received, messages_sent, bytes_received, bytes_sent, connections, dropped;
  std::vector<LoadAverage> shard_received, shard_sent;  // per shard
};

}  // namespace rmq::broker
