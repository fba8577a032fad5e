// TopicIndex: every subscription of the broker, shared by all shard threads, and the match of a
// published topic against them (MQTT 5.0 4.7, shared subscriptions 4.8.2).
//
// Structure. A filter without wildcards goes into the exact table (a SlotTable keyed by the
// filter): a topic is looked up there once, whatever the number of exact subscriptions. Filters
// with '+' or '#' go into the WildcardTrie, which match() walks only when at least one wildcard
// filter exists. Each filter owns a FilterEntry: its direct subscribers and its shared groups
// ($share/{group}/{filter}, one group per (group, filter)), as immutable arrays.
//
// Concurrency protocol.
// - Writers: subscribe() and unsubscribe() may be called from any thread. Writers of one exact
//   filter serialise on the mutex of the filter's table stripe; wildcard writers serialise on the
//   trie's mutex. Writers copy the array they change, publish the copy with a release store and
//   retire the old one; they never block readers.
// - Readers: match() is lock-free (no mutex, no reader lock): atomic loads, TBB concurrent finds,
//   and one atomic increment per shared group (its round-robin cursor). It may run on any thread
//   registered as a reader, concurrently with any writer.
// - What a reader sees: per filter, subscriptions are linearizable: a match that starts after
//   subscribe() (or unsubscribe()) returned sees the change; a match concurrent with the change
//   may or may not see it. A match concurrent with changes to several filters may see any subset
//   of them. Pointers reached during a match stay valid until the reader's next quiescent point.
// - Memory: replaced arrays, unlinked trie nodes, emptied groups and rebuilt table stripes are
//   retired to a QSBR Reclaimer. Each reader calls quiescent(id) between operations (a shard: once
//   per loop turn) and offline(id) when it stops matching; retired memory is freed by reclaim()
//   (called by writers as it accumulates, or explicitly) once every online reader has passed a
//   quiescent point since it was retired. A reader that stays online without quiescing holds
//   every later retirement back.
// - Table stripes keep emptied slots as tombstones (TBB maps cannot erase concurrently) and are
//   rebuilt when tombstones outnumber live slots, so memory follows the live subscriptions.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "router/match_result.h"
#include "router/reclaimer.h"
#include "router/slot_table.h"
#include "router/subscriber_set.h"
#include "router/types.h"
#include "router/wildcard_trie.h"

namespace rmq::router {

struct TopicIndexConfig {
  std::uint32_t shards = 1;   // subscribers' ShardId must be below this
  std::uint32_t readers = 0;  // reader ids 0..readers-1; 0 means one per shard
};

struct IndexStats {
  std::size_t exact_filters = 0;     // exact filters with at least one subscriber or group
  std::size_t wildcard_filters = 0;  // same for wildcard filters
  std::size_t subscriptions = 0;     // (filter, session) pairs, shared memberships included
  std::size_t trie_nodes = 0;        // linked trie nodes, the root included
  std::size_t exact_tombstones = 0;  // emptied exact-table slots awaiting a stripe rebuild
  std::size_t edge_tombstones = 0;   // same for trie edges
  std::size_t retired_pending = 0;   // retired objects not freed yet
};

class TopicIndex {
 public:
  explicit TopicIndex(const TopicIndexConfig& config);
  // No reader may be inside a match.
  ~TopicIndex();
  TopicIndex(const TopicIndex&) = delete;
  TopicIndex& operator=(const TopicIndex&) = delete;

  // Adds `sub` to `filter` ("$share/{group}/{filter}" for a shared subscription), or replaces the
  // options and subscription id of the same (shard, session) on that filter (and group).
  // kInvalidArgument: the filter is not valid (codec::check_topic_filter), or sub.shard too big.
  Result<SubscribeOutcome> subscribe(std::string_view filter, const SubscriberRef& sub);
  Result<UnsubscribeOutcome> unsubscribe(std::string_view filter, SessionKey who);
  // Moves the subscription of `from` on `filter` (and group) to `to` in one copy-on-write step:
  // a concurrent match sees exactly one of the two, so a session moving to another shard or
  // handle neither misses nor doubles a message. When `from` has no subscription there, `to` is
  // added (kAdded); otherwise kReplaced. `to` must not be subscribed to `filter` (in that group)
  // already. Same errors as subscribe().
  Result<SubscribeOutcome> resubscribe(std::string_view filter, SessionKey from,
                                       const SubscriberRef& to);

  // Replaces the contents of `out` with the subscribers of `topic` (a valid topic name), grouped
  // by shard, and one member per matching shared group chosen round robin among the members that
  // `skip` does not reject. The caller must be an online reader (quiescent() called, offline()
  // not since). No allocation once `out` has grown.
  void match(std::string_view topic, MatchResult& out, MemberPick pick) const;
  void match(std::string_view topic, MatchResult& out, SkipMember skip = {}) const {
    match(topic, out, MemberPick{skip});
  }

  // QSBR reader side (see the protocol above). Wait-free.
  void quiescent(ReaderId reader) { reclaimer_.quiescent(reader); }
  void offline(ReaderId reader) { reclaimer_.offline(reader); }

  // Frees retired memory no reader can hold; returns the number of objects freed.
  std::size_t reclaim() { return reclaimer_.reclaim(); }
  // Rebuilds every table stripe holding tombstones, then reclaims what it can.
  void compact();

  IndexStats stats() const;
  std::uint32_t shards() const { return shards_; }
  std::uint32_t readers() const { return reclaimer_.readers(); }

 private:
  struct ExactTraits {
    using Key = std::string;
    using KeyView = std::string_view;
    using Slot = FilterEntry;
    struct Equal {
      using is_transparent = void;
      bool operator()(std::string_view a, std::string_view b) const { return a == b; }
    };
    struct Hash {
      using transparent_key_equal = Equal;
      std::size_t operator()(std::string_view key) const { return hash(key); }
    };
    static std::uint64_t hash(std::string_view key) { return std::hash<std::string_view>{}(key); }
    static Key make_key(std::string_view key) { return Key(key); }
    static bool empty(const FilterEntry& entry) { return entry.empty(); }
    static void transfer(const FilterEntry& from, FilterEntry& to) {
      FilterEntry::transfer(from, to);
    }
  };

  static void count(std::atomic<std::size_t>& counter, SlotChange change);
  template <typename Change>
  Status write_filter(std::string_view filter, CreateSlot create, Change change);
  void after_write();

  const std::uint32_t shards_;
  Reclaimer reclaimer_;  // declared first: destroyed last, after the structures retiring to it
  SlotTable<ExactTraits> exact_;
  WildcardTrie trie_;
  std::atomic<std::size_t> exact_filters_{0};
  std::atomic<std::size_t> wildcard_filters_{0};
  std::atomic<std::size_t> subscriptions_{0};
};

}  // namespace rmq::router
