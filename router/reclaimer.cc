#include "router/reclaimer.h"

#include <algorithm>
#include <limits>

#include "base/assert.h"

namespace rmq::router {

Reclaimer::Reclaimer(std::uint32_t readers)
    : reader_count_(readers), readers_(std::make_unique<ReaderEpoch[]>(readers)) {}

Reclaimer::~Reclaimer() {
  for (const Retired& r : retired_) r.deleter(r.object);
}

void Reclaimer::quiescent(ReaderId reader) {
  RMQ_DCHECK(reader < reader_count_);
  std::atomic<std::uint64_t>& mine = readers_[reader].epoch;
  // Acquire pairs with the fetch_add in retire(): whatever was unlinked before an epoch we read is
  // invisible to the loads we make after this point.
  const std::uint64_t now = global_epoch_.load(std::memory_order_acquire);
  if (mine.load(std::memory_order_relaxed) != kOffline) {
    mine.store(now, std::memory_order_release);
    return;
  }
  // Coming online: a reclaim() that read us as offline must not free what we are about to read.
  // Both sides do a read-modify-write on global_epoch_ after their own store (we: our epoch;
  // reclaim: nothing, its unlinks came before): whichever RMW comes second synchronises with the
  // first, so either the scan sees our epoch or our later loads see every unlink made before it.
  mine.store(now, std::memory_order_relaxed);
  global_epoch_.fetch_add(0, std::memory_order_acq_rel);
}

void Reclaimer::offline(ReaderId reader) {
  RMQ_DCHECK(reader < reader_count_);
  readers_[reader].epoch.store(kOffline, std::memory_order_release);
}

bool Reclaimer::online(ReaderId reader) const {
  RMQ_DCHECK(reader < reader_count_);
  return readers_[reader].epoch.load(std::memory_order_relaxed) != kOffline;
}

void Reclaimer::retire(void* object, Deleter deleter) {
  std::lock_guard lock(mutex_);
  // The tag is taken after the unlink; a reader that announces a larger epoch read it later.
  const std::uint64_t epoch = global_epoch_.fetch_add(1, std::memory_order_acq_rel);
  retired_.push_back({object, deleter, epoch});
  pending_.store(retired_.size(), std::memory_order_relaxed);
}

std::uint64_t Reclaimer::oldest_reader_epoch() {
  global_epoch_.fetch_add(0, std::memory_order_acq_rel);  // pairs with quiescent() going online
  std::uint64_t oldest = std::numeric_limits<std::uint64_t>::max();
  for (std::uint32_t i = 0; i < reader_count_; ++i) {
    const std::uint64_t e = readers_[i].epoch.load(std::memory_order_acquire);
    if (e != kOffline) oldest = std::min(oldest, e);
  }
  return oldest;
}

std::size_t Reclaimer::reclaim() {
  std::lock_guard lock(mutex_);
  if (retired_.empty()) return 0;
  const std::uint64_t oldest = oldest_reader_epoch();
  std::size_t freed = 0;
  while (freed < retired_.size() && retired_[freed].epoch < oldest) {
    retired_[freed].deleter(retired_[freed].object);
    ++freed;
  }
  retired_.erase(retired_.begin(), retired_.begin() + static_cast<std::ptrdiff_t>(freed));
  pending_.store(retired_.size(), std::memory_order_relaxed);
  return freed;
}

}  // namespace rmq::router
