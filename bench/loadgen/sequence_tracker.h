// SequenceTracker: what one receiver saw of one publisher's sequence numbers (0, 1, 2, ...).
//
// Each arrival is classified exactly:
// - in order: the sequence number right after the highest seen so far (or 0 first);
// - ahead: higher than that, leaving a gap (the skipped numbers may still come, late);
// - out of order: lower than the highest seen and not seen before (a late arrival);
// - duplicate: seen before.
// Duplicates are told apart from late arrivals over the last kHistory sequence numbers below the
// highest seen; an arrival older than that counts as out of order and as `too_old` (it cannot be
// checked for duplication). Lost messages are known only at the end: lost(published) = published -
// unique arrivals. Fixed memory, no allocation; one thread at a time (the owner of the receiving
// connection, or whoever holds the lock of a shared-subscription entry).
#pragma once

#include <array>
#include <cstdint>

namespace rmq::loadgen {

class SequenceTracker {
 public:
  static constexpr std::uint64_t kHistory = 4096;

  enum class Arrival : std::uint8_t { kInOrder, kAhead, kOutOfOrder, kDuplicate };

  Arrival record(std::uint64_t sequence);

  std::uint64_t received() const { return received_; }  // every arrival, duplicates included
  std::uint64_t unique() const { return received_ - duplicated_; }
  std::uint64_t duplicated() const { return duplicated_; }
  std::uint64_t out_of_order() const { return out_of_order_; }
  std::uint64_t too_old() const { return too_old_; }
  // Highest sequence number seen + 1 (0 before the first arrival).
  std::uint64_t next_expected() const { return next_; }
  // Messages never received out of `published` (sequence numbers 0 .. published-1).
  std::uint64_t lost(std::uint64_t published) const {
    return published > unique() ? published - unique() : 0;
  }

 private:
  bool seen(std::uint64_t sequence) const;
  void mark(std::uint64_t sequence);
  void clear(std::uint64_t sequence);

  std::uint64_t next_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t duplicated_ = 0;
  std::uint64_t out_of_order_ = 0;
  std::uint64_t too_old_ = 0;
  std::array<std::uint64_t, kHistory / 64> history_{};  // bit (seq % kHistory): seq was seen
};

}  // namespace rmq::loadgen
