#include "bench/loadgen/sequence_tracker.h"

namespace rmq::loadgen {

bool SequenceTracker::seen(std::uint64_t sequence) const {
  const std::uint64_t bit = sequence % kHistory;
  return (history_[bit / 64] >> (bit % 64)) & 1u;
}

void SequenceTracker::mark(std::uint64_t sequence) {
  const std::uint64_t bit = sequence % kHistory;
  history_[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

void SequenceTracker::clear(std::uint64_t sequence) {
  const std::uint64_t bit = sequence % kHistory;
  history_[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
}

SequenceTracker::Arrival SequenceTracker::record(std::uint64_t sequence) {
  ++received_;
  if (sequence >= next_) {
    // The history window slides up to `sequence`: slots of numbers skipped over are now unseen.
    if (sequence - next_ >= kHistory) {
      history_.fill(0);
    } else {
      for (std::uint64_t s = next_; s < sequence; ++s) clear(s);
    }
    mark(sequence);
    const Arrival kind = sequence == next_ ? Arrival::kInOrder : Arrival::kAhead;
    next_ = sequence + 1;
    return kind;
  }
  // Below the highest seen: a late arrival or a duplicate.
  if (next_ - sequence > kHistory) {
    ++too_old_;
    ++out_of_order_;
    return Arrival::kOutOfOrder;
  }
  if (seen(sequence)) {
    ++duplicated_;
    return Arrival::kDuplicate;
  }
  mark(sequence);
  ++out_of_order_;
  return Arrival::kOutOfOrder;
}

}  // namespace rmq::loadgen
