// Monotonic time for timers and deadlines, behind an interface so tests can inject a clock.
//
// MonotonicClock::instance() reads std::chrono::steady_clock. ManualClock only moves when told to;
// it may be read and advanced from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace rmq {

using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;
using Duration = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime now() const = 0;
};

class MonotonicClock final : public Clock {
 public:
  MonoTime now() const override { return MonoClock::now(); }
  static const Clock& instance() {
    static const MonotonicClock clock;
    return clock;
  }
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(MonoTime start = MonoTime{}) : nanos_(start.time_since_epoch().count()) {}
  MonoTime now() const override {
    return MonoTime(Duration(nanos_.load(std::memory_order_acquire)));
  }
  void advance(Duration by) { nanos_.fetch_add(by.count(), std::memory_order_acq_rel); }
  void set(MonoTime to) { nanos_.store(to.time_since_epoch().count(), std::memory_order_release); }

 private:
  std::atomic<std::int64_t> nanos_;
};

}  // namespace rmq
