#include "bench/loadgen/sequence_tracker.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace rmq::loadgen {
namespace {

using Arrival = SequenceTracker::Arrival;

SequenceTracker feed(std::initializer_list<std::uint64_t> sequence) {
  SequenceTracker t;
  for (const std::uint64_t s : sequence) t.record(s);
  return t;
}

TEST(SequenceTracker, InOrderStreamHasNothingToReport) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < 10; ++s) EXPECT_EQ(t.record(s), Arrival::kInOrder);
  EXPECT_EQ(t.unique(), 10u);
  EXPECT_EQ(t.lost(10), 0u);
  EXPECT_EQ(t.duplicated(), 0u);
  EXPECT_EQ(t.out_of_order(), 0u);
  EXPECT_EQ(t.next_expected(), 10u);
}

TEST(SequenceTracker, GapCountsAsLostUntilTheMissingOneArrives) {
  SequenceTracker t = feed({0, 1, 3, 4});
  EXPECT_EQ(t.lost(5), 1u);
  EXPECT_EQ(t.out_of_order(), 0u);
  EXPECT_EQ(t.record(2), Arrival::kOutOfOrder);
  EXPECT_EQ(t.lost(5), 0u);
  EXPECT_EQ(t.out_of_order(), 1u);
  EXPECT_EQ(t.duplicated(), 0u);
}

TEST(SequenceTracker, ArrivalAheadIsClassified) {
  SequenceTracker t;
  EXPECT_EQ(t.record(0), Arrival::kInOrder);
  EXPECT_EQ(t.record(5), Arrival::kAhead);
  EXPECT_EQ(t.record(6), Arrival::kInOrder);
}

TEST(SequenceTracker, MessagesNeverSentAfterTheLastArrivalAreLost) {
  const SequenceTracker t = feed({0, 1, 2});
  EXPECT_EQ(t.lost(10), 7u);
}

TEST(SequenceTracker, FirstArrivalAfterZeroLeavesTheStartMissing) {
  const SequenceTracker t = feed({5});
  EXPECT_EQ(t.lost(6), 5u);
}

TEST(SequenceTracker, DuplicatesAreCountedExactly) {
  const SequenceTracker t = feed({0, 1, 1, 0, 2, 2, 2});
  EXPECT_EQ(t.received(), 7u);
  EXPECT_EQ(t.duplicated(), 4u);
  EXPECT_EQ(t.unique(), 3u);
  EXPECT_EQ(t.out_of_order(), 0u);
  EXPECT_EQ(t.lost(3), 0u);
}

TEST(SequenceTracker, LateArrivalThenItsDuplicate) {
  const SequenceTracker t = feed({0, 2, 1, 1});
  EXPECT_EQ(t.out_of_order(), 1u);
  EXPECT_EQ(t.duplicated(), 1u);
  EXPECT_EQ(t.lost(3), 0u);
}

TEST(SequenceTracker, ReversedStream) {
  const SequenceTracker t = feed({4, 3, 2, 1, 0});
  EXPECT_EQ(t.out_of_order(), 4u);
  EXPECT_EQ(t.duplicated(), 0u);
  EXPECT_EQ(t.lost(5), 0u);
}

TEST(SequenceTracker, DuplicateDetectedAnywhereInTheHistory) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s < SequenceTracker::kHistory; ++s) t.record(s);
  EXPECT_EQ(t.record(0), Arrival::kDuplicate);  // exactly kHistory behind: still known
  EXPECT_EQ(t.record(SequenceTracker::kHistory - 1), Arrival::kDuplicate);
  EXPECT_EQ(t.too_old(), 0u);
}

TEST(SequenceTracker, ArrivalOlderThanTheHistoryIsOutOfOrderAndTooOld) {
  SequenceTracker t;
  for (std::uint64_t s = 0; s <= SequenceTracker::kHistory; ++s) t.record(s);
  EXPECT_EQ(t.record(0), Arrival::kOutOfOrder);
  EXPECT_EQ(t.too_old(), 1u);
  EXPECT_EQ(t.out_of_order(), 1u);
  EXPECT_EQ(t.duplicated(), 0u);
}

TEST(SequenceTracker, SkippedNumbersAreUnseenAfterTheWindowSlides) {
  // 1 .. 99 skipped; slots they share with earlier numbers must not look seen.
  SequenceTracker t = feed({0, 100});
  for (std::uint64_t s = 1; s < 100; ++s) EXPECT_EQ(t.record(s), Arrival::kOutOfOrder) << s;
  EXPECT_EQ(t.duplicated(), 0u);
}

TEST(SequenceTracker, LargeJumpClearsTheHistory) {
  SequenceTracker t = feed({0, 1, 2});
  EXPECT_EQ(t.record(3 * SequenceTracker::kHistory + 5), Arrival::kAhead);
  // Inside the history, in a slot nothing has marked since the jump.
  EXPECT_EQ(t.record(2 * SequenceTracker::kHistory + 5 + 1), Arrival::kOutOfOrder);
  EXPECT_EQ(t.duplicated(), 0u);
}

TEST(SequenceTracker, LostNeverNegative) {
  const SequenceTracker t = feed({0, 1, 2, 3});
  EXPECT_EQ(t.lost(2), 0u);
}

}  // namespace
}  // namespace rmq::loadgen
