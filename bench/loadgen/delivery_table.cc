#include "bench/loadgen/delivery_table.h"

#include "base/assert.h"

namespace rmq::loadgen {

DeliveryTable::DeliveryTable(DeliveryShape shape, std::uint32_t publishers,
                             std::uint32_t subscribers)
    : shape_(shape),
      publishers_(publishers),
      receivers_(shape == DeliveryShape::kSharedGroup ? (subscribers > 0 ? 1 : 0) : subscribers),
      published_(new Counter[publishers == 0 ? 1 : publishers]),
      by_publisher_(publishers) {
  RMQ_ASSERT(shape != DeliveryShape::kOneToOne || publishers == subscribers);
  std::size_t total = 0;
  for (std::uint32_t r = 0; r < receivers_; ++r) total += end_publisher(r) - first_publisher(r);
  entries_.reset(new Entry[total == 0 ? 1 : total]);
  for (std::uint32_t r = 0; r < receivers_; ++r) {
    for (std::uint32_t p = first_publisher(r); p < end_publisher(r); ++p) {
      by_publisher_[p].push_back(&entries_[offset(r) + (p - first_publisher(r))]);
    }
  }
}

DeliveryTable::Entry* DeliveryTable::find(std::uint32_t receiver, std::uint32_t publisher) {
  if (receiver >= receivers_ || publisher < first_publisher(receiver) ||
      publisher >= end_publisher(receiver)) {
    return nullptr;
  }
  return &entries_[offset(receiver) + (publisher - first_publisher(receiver))];
}

SequenceTracker::Arrival DeliveryTable::record(Entry& e, std::uint64_t sequence) {
  if (!locked()) {
    const auto kind = e.tracker.record(sequence);
    if (kind != SequenceTracker::Arrival::kDuplicate) e.unique.add();
    return kind;
  }
  while (e.lock.test_and_set(std::memory_order_acquire)) {
    while (e.lock.test(std::memory_order_relaxed)) {
    }
  }
  const auto kind = e.tracker.record(sequence);
  if (kind != SequenceTracker::Arrival::kDuplicate) e.unique.add();
  e.lock.clear(std::memory_order_release);
  return kind;
}

}  // namespace rmq::loadgen
