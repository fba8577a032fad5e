// A hashed timing wheel: O(1) arm, re-arm and cancel; intrusive timers (no allocation per arm).
//
// Time is cut into ticks of `tick` length counted from `origin`. A timer due at time D expires at
// tick ceil((D - origin) / tick) and fires during the first advance() whose `now` reaches that
// tick: never early, at most one tick late (plus however late advance() is called). The wheel has
// `slots` buckets (a power of two); a timer lives in bucket (expiry tick mod slots) and remembers
// its absolute expiry tick, so deadlines many revolutions away need no special handling: a bucket
// visit fires only the timers whose tick has come and leaves the others for a later revolution.
// Timers due in the same tick fire in the order they were armed.
//
// Threading: a wheel and its timers belong to one thread (a shard).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/assert.h"
#include "base/clock.h"

namespace rmq::engine {

class TimerWheel;

// Circular doubly-linked list node; a bucket's sentinel and every timer are one.
struct TimerLink {
  TimerLink* prev = this;
  TimerLink* next = this;

  bool linked() const { return next != this; }
  void unlink() {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
  void insert_before(TimerLink* node) {  // `node` goes just before `this`
    node->prev = prev;
    node->next = this;
    prev->next = node;
    prev = node;
  }
};

// Embed a Timer in the object it times. Not copyable or movable (the wheel points at it).
// Destroying an armed timer cancels it.
class Timer : private TimerLink {
 public:
  Timer() = default;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  bool armed() const { return wheel_ != nullptr; }
  std::uint64_t expiry_tick() const { return expiry_tick_; }
  // Free for the owner: e.g., which kind of timeout this is.
  std::uint64_t tag = 0;

 private:
  friend class TimerWheel;
  static Timer* from_link(TimerLink* link) { return static_cast<Timer*>(link); }

  TimerWheel* wheel_ = nullptr;
  std::uint64_t expiry_tick_ = 0;
};

class TimerWheel {
 public:
  TimerWheel(Duration tick, std::uint32_t slots, MonoTime origin);
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  ~TimerWheel();

  // Arms (or re-arms) `timer` to fire at `deadline`. A deadline at or before the current tick
  // fires at the next tick (the first advance() that reaches a later tick).
  void arm(Timer& timer, MonoTime deadline);
  void cancel(Timer& timer);

  // Fires, via fire(Timer&), every timer whose expiry tick is <= the tick `now` falls in. A timer
  // is disarmed before its callback runs; the callback may arm or cancel any timer, this one too.
  // Returns the number fired.
  template <typename Fire>
  std::size_t advance(MonoTime now, Fire&& fire);

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Duration tick() const { return tick_; }
  std::uint64_t current_tick() const { return current_tick_; }
  // The time at which the next tick after the current one begins (for the loop's wait timeout).
  MonoTime next_tick_time() const { return origin_ + tick_ * (current_tick_ + 1); }

 private:
  friend class Timer;
  std::uint64_t tick_of(MonoTime t) const;  // floor
  void link(Timer& timer);
  void unlink(Timer& timer);
  // Moves the due timers of bucket `index` (expiry <= `tick`) to `due`.
  void collect_due(std::size_t index, std::uint64_t tick, TimerLink& due);

  Duration tick_;
  MonoTime origin_;
  std::uint64_t mask_;
  std::uint64_t current_tick_ = 0;  // every tick <= this has been processed
  std::size_t size_ = 0;
  std::vector<TimerLink> buckets_;
};

template <typename Fire>
std::size_t TimerWheel::advance(MonoTime now, Fire&& fire) {
  const std::uint64_t target = tick_of(now);
  if (target <= current_tick_) return 0;
  if (size_ == 0) {
    current_tick_ = target;
    return 0;
  }
  TimerLink due;
  if (target - current_tick_ >= buckets_.size()) {
    for (std::size_t i = 0; i < buckets_.size(); ++i) collect_due(i, target, due);
  } else {
    for (std::uint64_t t = current_tick_ + 1; t <= target; ++t) {
      collect_due(static_cast<std::size_t>(t & mask_), target, due);
    }
  }
  current_tick_ = target;
  std::size_t fired = 0;
  while (due.linked()) {
    Timer* timer = Timer::from_link(due.next);
    unlink(*timer);
    ++fired;
    fire(*timer);
  }
  return fired;
}

}  // namespace rmq::engine
