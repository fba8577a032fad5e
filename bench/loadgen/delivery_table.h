// DeliveryTable: who should receive what, and what each receiver got from each publisher.
//
// A receiver is one subscriber, or a whole shared-subscription group (each message goes to one
// member). Receiver r expects every publisher in [first_publisher(r), end_publisher(r)), one
// Entry per (receiver, publisher) pair. Layout is fixed at construction (setup time).
//
// Threads: an Entry's tracker is written by the thread owning the receiving connection; a shared
// group's entries are reached by several threads and are taken under the entry's lock (only when
// locked() is true). `unique` is a single-writer counter any thread may read: publishers read
// it to enforce the end-to-end window. Publisher counters (`published`) are written by the
// publisher's thread and read by anyone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/counter.h"
#include "bench/loadgen/sequence_tracker.h"

namespace rmq::loadgen {

enum class DeliveryShape : std::uint8_t {
  kAllToAll,     // every receiver expects every publisher (fanin, fanout)
  kOneToOne,     // receiver i expects publisher i (pairs)
  kSharedGroup,  // one receiver (the group) expects every publisher (shared)
};

class DeliveryTable {
 public:
  struct alignas(64) Entry {
    SequenceTracker tracker;
    Counter unique;  // unique arrivals; mirrors tracker.unique() for other threads
    std::atomic_flag lock = ATOMIC_FLAG_INIT;
  };

  DeliveryTable(DeliveryShape shape, std::uint32_t publishers, std::uint32_t subscribers);

  DeliveryShape shape() const { return shape_; }
  std::uint32_t publishers() const { return publishers_; }
  std::uint32_t receivers() const { return receivers_; }
  bool locked() const { return shape_ == DeliveryShape::kSharedGroup; }

  // The receiver a subscriber's deliveries count for.
  std::uint32_t receiver_of_subscriber(std::uint32_t subscriber) const {
    return shape_ == DeliveryShape::kSharedGroup ? 0 : subscriber;
  }
  // The entry of (receiver, publisher), or nullptr if that receiver does not expect it.
  Entry* find(std::uint32_t receiver, std::uint32_t publisher);
  // The entries that must all receive `publisher`'s messages.
  const std::vector<Entry*>& entries_of_publisher(std::uint32_t publisher) const {
    return by_publisher_[publisher];
  }
  // How many receivers get each message of a publisher.
  std::uint32_t fan(std::uint32_t publisher) const {
    return static_cast<std::uint32_t>(by_publisher_[publisher].size());
  }

  // Records an arrival under the entry's lock when the table is locked(); returns its kind.
  SequenceTracker::Arrival record(Entry& e, std::uint64_t sequence);

  Counter& published(std::uint32_t publisher) { return published_[publisher]; }
  std::uint64_t published_count(std::uint32_t publisher) const {
    return published_[publisher].value();
  }

  // Iteration over every entry with its (receiver, publisher), for the final report.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint32_t r = 0; r < receivers_; ++r) {
      for (std::uint32_t p = first_publisher(r); p < end_publisher(r); ++p) {
        f(r, p, entries_[offset(r) + (p - first_publisher(r))]);
      }
    }
  }

 private:
  std::uint32_t first_publisher(std::uint32_t r) const {
    return shape_ == DeliveryShape::kOneToOne ? r : 0;
  }
  std::uint32_t end_publisher(std::uint32_t r) const {
    return shape_ == DeliveryShape::kOneToOne ? r + 1 : publishers_;
  }
  std::size_t offset(std::uint32_t r) const {
    return shape_ == DeliveryShape::kOneToOne ? r : std::size_t{r} * publishers_;
  }

  DeliveryShape shape_;
  std::uint32_t publishers_;
  std::uint32_t receivers_;
  std::unique_ptr<Entry[]> entries_;
  std::unique_ptr<Counter[]> published_;
  std::vector<std::vector<Entry*>> by_publisher_;
};

}  // namespace rmq::loadgen
