#include "engine/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <vector>

#include "base/clock.h"
#include "sanitized.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;

class TimerWheelTest : public ::testing::Test {
 protected:
  static constexpr Duration kTick = 10ms;

  // Advances the fake clock to `at` (relative to the origin) and returns the tags that fired.
  std::vector<std::uint64_t> advance_to(TimerWheel& wheel, Duration at) {
    clock_.set(origin_ + at);
    std::vector<std::uint64_t> fired;
    wheel.advance(clock_.now(), [&](Timer& timer) { fired.push_back(timer.tag); });
    return fired;
  }

  MonoTime origin_ = MonoTime(1000s);
  ManualClock clock_{MonoTime(1000s)};
};

TEST_F(TimerWheelTest, FiresAtItsTickNeverEarly) {
  TimerWheel wheel(kTick, 64, origin_);
  Timer timer;
  timer.tag = 7;
  wheel.arm(timer, origin_ + 35ms);  // expires at tick 4 (40 ms)
  EXPECT_TRUE(timer.armed());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_TRUE(advance_to(wheel, 30ms).empty());
  EXPECT_TRUE(advance_to(wheel, 39ms).empty());
  EXPECT_EQ(advance_to(wheel, 40ms), std::vector<std::uint64_t>{7});
  EXPECT_FALSE(timer.armed());
  EXPECT_TRUE(wheel.empty());
  EXPECT_TRUE(advance_to(wheel, 200ms).empty());
}

TEST_F(TimerWheelTest, CancelPreventsFiring) {
  TimerWheel wheel(kTick, 64, origin_);
  Timer a, b;
  a.tag = 1;
  b.tag = 2;
  wheel.arm(a, origin_ + 20ms);
  wheel.arm(b, origin_ + 20ms);
  wheel.cancel(a);
  wheel.cancel(a);  // cancelling a disarmed timer is a no-op
  EXPECT_FALSE(a.armed());
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(advance_to(wheel, 20ms), std::vector<std::uint64_t>{2});
}

TEST_F(TimerWheelTest, RearmMovesTheDeadlineBothWays) {
  TimerWheel wheel(kTick, 64, origin_);
  Timer timer;
  timer.tag = 3;
  wheel.arm(timer, origin_ + 100ms);
  wheel.arm(timer, origin_ + 30ms);  // earlier
  EXPECT_EQ(wheel.size(), 1u);
  EXPECT_EQ(advance_to(wheel, 30ms), std::vector<std::uint64_t>{3});
  wheel.arm(timer, origin_ + 50ms);
  wheel.arm(timer, origin_ + 90ms);  // later
  EXPECT_TRUE(advance_to(wheel, 80ms).empty());
  EXPECT_EQ(advance_to(wheel, 90ms), std::vector<std::uint64_t>{3});
}

TEST_F(TimerWheelTest, PastDeadlineFiresOnNextAdvance) {
  TimerWheel wheel(kTick, 64, origin_);
  advance_to(wheel, 100ms);
  Timer timer;
  timer.tag = 4;
  wheel.arm(timer, origin_ + 10ms);
  EXPECT_EQ(advance_to(wheel, 110ms), std::vector<std::uint64_t>{4});
}

TEST_F(TimerWheelTest, FarDeadlinesBeyondOneRevolution) {
  TimerWheel wheel(kTick, 8, origin_);  // one revolution = 80 ms
  Timer near, far, farther;
  near.tag = 1;
  far.tag = 2;
  farther.tag = 3;
  wheel.arm(near, origin_ + 20ms);        // tick 2
  wheel.arm(far, origin_ + 1000ms);       // tick 100 (bucket 4), 12 revolutions later
  wheel.arm(farther, origin_ + 10020ms);  // tick 1002 (bucket 2, same as `near`)
  std::vector<std::uint64_t> fired;
  Duration far_fired_at{}, farther_fired_at{};
  for (Duration t = 10ms; t <= 10100ms; t += 10ms) {
    for (std::uint64_t tag : advance_to(wheel, t)) {
      fired.push_back(tag);
      if (tag == 2) far_fired_at = t;
      if (tag == 3) farther_fired_at = t;
    }
  }
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(far_fired_at, 1000ms);
  EXPECT_EQ(farther_fired_at, 10020ms);
}

TEST_F(TimerWheelTest, ClockJumpPastManyRevolutionsFiresEverythingDue) {
  TimerWheel wheel(kTick, 8, origin_);
  Timer due1, due2, later;
  due1.tag = 1;
  due2.tag = 2;
  later.tag = 3;
  wheel.arm(due1, origin_ + 15ms);
  wheel.arm(due2, origin_ + 5000ms);
  wheel.arm(later, origin_ + 9000ms);
  std::vector<std::uint64_t> fired = advance_to(wheel, 6000ms);
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(later.armed());
  EXPECT_EQ(advance_to(wheel, 9000ms), std::vector<std::uint64_t>{3});
}

TEST_F(TimerWheelTest, CallbacksMayRearmAndCancelOtherDueTimers) {
  TimerWheel wheel(kTick, 16, origin_);
  Timer periodic, victim;
  periodic.tag = 1;
  victim.tag = 2;
  wheel.arm(periodic, origin_ + 10ms);
  wheel.arm(victim, origin_ + 10ms);
  int periodic_fires = 0;
  int victim_fires = 0;
  for (Duration t = 10ms; t <= 50ms; t += 10ms) {
    clock_.set(origin_ + t);
    wheel.advance(clock_.now(), [&](Timer& timer) {
      if (timer.tag == 1) {
        ++periodic_fires;
        wheel.cancel(victim);  // due in the same tick: must not fire afterwards
        wheel.arm(timer, clock_.now() + 10ms);
      } else {
        ++victim_fires;
        wheel.cancel(periodic);
      }
    });
  }
  // Timers due in the same tick fire in arming order: the periodic timer runs first and cancels
  // the victim, which was already collected as due but must not fire.
  EXPECT_EQ(victim_fires, 0);
  EXPECT_EQ(periodic_fires, 5);
  EXPECT_TRUE(periodic.armed());
}

TEST_F(TimerWheelTest, DestroyingAnArmedTimerCancelsIt) {
  TimerWheel wheel(kTick, 16, origin_);
  {
    Timer scoped;
    wheel.arm(scoped, origin_ + 10ms);
    EXPECT_EQ(wheel.size(), 1u);
  }
  EXPECT_EQ(wheel.size(), 0u);
  EXPECT_TRUE(advance_to(wheel, 100ms).empty());
}

TEST_F(TimerWheelTest, ManyTimersFireOnceOnTimeAgainstANaiveOracle) {
#ifdef RMQ_TEST_SANITIZED
  constexpr std::size_t kTimers = 100000;
#else
  constexpr std::size_t kTimers = 1000000;
#endif
  TimerWheel wheel(kTick, 4096, origin_);
  auto timers = std::make_unique<Timer[]>(kTimers);
  std::vector<Duration> deadline(kTimers);
  std::vector<int> fires(kTimers, 0);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> when(0, 600'000);  // up to 10 minutes, in ms
  for (std::size_t i = 0; i < kTimers; ++i) {
    timers[i].tag = i;
    deadline[i] = std::chrono::milliseconds(when(rng));
    wheel.arm(timers[i], origin_ + deadline[i]);
  }
  // Cancel every tenth timer; re-arm every seventh to a new deadline.
  for (std::size_t i = 0; i < kTimers; i += 10) wheel.cancel(timers[i]);
  for (std::size_t i = 3; i < kTimers; i += 7) {
    if (i % 10 == 0) continue;
    deadline[i] = std::chrono::milliseconds(when(rng));
    wheel.arm(timers[i], origin_ + deadline[i]);
  }
  std::uniform_int_distribution<std::int64_t> step(1, 3000);
  Duration previous{};
  Duration t{};
  bool all_on_time = true;
  while (t < 601s) {
    t += std::chrono::milliseconds(step(rng));
    clock_.set(origin_ + t);
    wheel.advance(clock_.now(), [&](Timer& timer) {
      const std::size_t i = timer.tag;
      ++fires[i];
      // Due at the first tick boundary at or after the deadline, and after the tick current when
      // it was armed (tick 0 here).
      const Duration due =
          std::max<Duration>((deadline[i] + kTick - Duration(1)) / kTick * kTick, kTick);
      if (!(due <= t && due > previous)) all_on_time = false;
    });
    previous = t;
  }
  EXPECT_TRUE(all_on_time);
  EXPECT_TRUE(wheel.empty());
  std::size_t wrong = 0;
  for (std::size_t i = 0; i < kTimers; ++i) {
    const int expected = i % 10 == 0 ? 0 : 1;
    if (fires[i] != expected) ++wrong;
  }
  EXPECT_EQ(wrong, 0u);
}

}  // namespace
}  // namespace rmq::engine
