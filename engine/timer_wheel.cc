#include "engine/timer_wheel.h"

namespace rmq::engine {

Timer::~Timer() {
  if (wheel_ != nullptr) wheel_->cancel(*this);
}

TimerWheel::TimerWheel(Duration tick, std::uint32_t slots, MonoTime origin)
    : tick_(tick), origin_(origin), mask_(slots - 1), buckets_(slots) {
  RMQ_ASSERT(tick.count() > 0);
  RMQ_ASSERT(slots > 0 && (slots & (slots - 1)) == 0);
}

TimerWheel::~TimerWheel() {
  // Disarm what is left so the timers' destructors do not reach back into a dead wheel.
  for (TimerLink& bucket : buckets_) {
    while (bucket.linked()) unlink(*Timer::from_link(bucket.next));
  }
}

std::uint64_t TimerWheel::tick_of(MonoTime t) const {
  if (t <= origin_) return 0;
  return static_cast<std::uint64_t>((t - origin_) / tick_);
}

void TimerWheel::arm(Timer& timer, MonoTime deadline) {
  if (timer.wheel_ != nullptr) unlink(timer);
  std::uint64_t expiry = current_tick_ + 1;
  if (deadline > origin_) {
    const Duration since_origin = deadline - origin_;
    const auto ticks = static_cast<std::uint64_t>((since_origin + tick_ - Duration(1)) / tick_);
    if (ticks > expiry) expiry = ticks;
  }
  timer.expiry_tick_ = expiry;
  timer.wheel_ = this;
  link(timer);
}

void TimerWheel::cancel(Timer& timer) {
  if (timer.wheel_ == nullptr) return;
  RMQ_DCHECK(timer.wheel_ == this);
  unlink(timer);
}

void TimerWheel::link(Timer& timer) {
  buckets_[static_cast<std::size_t>(timer.expiry_tick_ & mask_)].insert_before(&timer);
  ++size_;
}

void TimerWheel::unlink(Timer& timer) {
  timer.TimerLink::unlink();
  timer.wheel_ = nullptr;
  --size_;
}

void TimerWheel::collect_due(std::size_t index, std::uint64_t tick, TimerLink& due) {
  TimerLink& bucket = buckets_[index];
  TimerLink* node = bucket.next;
  while (node != &bucket) {
    TimerLink* next = node->next;
    if (Timer::from_link(node)->expiry_tick_ <= tick) {
      node->unlink();
      due.insert_before(node);
    }
    node = next;
  }
}

}  // namespace rmq::engine
