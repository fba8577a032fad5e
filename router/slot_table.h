// SlotTable: a hash table of slots shared by every shard, readable without locks while writers
// insert, update and remove. Used for the exact-filter table and for the wildcard trie's edges.
//
// Layout. The table is split into kStripes stripes by key hash. Each stripe publishes a
// tbb::concurrent_unordered_map through an atomic pointer. A slot is a small struct of atomic
// pointers (Traits::Slot) that writers update in place and readers load.
//
// Concurrency protocol.
// - find() is lock-free: an acquire load of the stripe's map, then the map's concurrent find().
//   The slot it returns stays readable until the caller's next quiescent point (Reclaimer).
// - update() runs the writer's function on a slot under the stripe's mutex (writers of one
//   stripe serialise; readers never wait). A new key is inserted with the map's concurrent insert.
// - concurrent_unordered_map cannot erase while readers run, so a slot that becomes empty stays
//   as a tombstone. When a stripe's tombstones outnumber its live slots, the stripe is rebuilt:
//   its live slots are copied (atomic pointers transferred) into a fresh map that is published
//   with a release store, and the old map is retired to the Reclaimer. A reader still in the old
//   map sees the slot contents as of the rebuild, which are retired no earlier than the old map.
//   Rebuilding costs O(stripe size) once per O(stripe size) removals: amortised O(1).
// - TBB initialises a bucket lazily, allocating a node, on the first operation that touches it,
//   find() included. Writers initialise every bucket themselves: all of a new map's before it is
//   published, and, before an insert would make TBB double the table, the buckets of the doubled
//   table before doubling it. So readers' finds never allocate.
//
// Traits provide: Key (owned), KeyView, Slot, Hash and Equal (both transparent over Key and
// KeyView), `static Key make_key(const KeyView&)`, `static std::uint64_t hash(const KeyView&)`,
// `static bool empty(const Slot&)` (writer side) and `static void transfer(Slot& from, Slot& to)`.
#pragma once

// GCC 12 reports -Warray-bounds inside TBB's split-ordered list (it cannot see that dummy nodes
// never reach the value-node destructor); the code is TBB's, the warning a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif
#include <oneapi/tbb/concurrent_unordered_map.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <tuple>
#include <utility>

#include "base/assert.h"
#include "router/reclaimer.h"

namespace rmq::router {

enum class CreateSlot : bool { kNo = false, kYes = true };

// What an update() did to the slot, as seen by the caller's counters.
enum class SlotChange : std::uint8_t {
  kAbsent,      // no such key and CreateSlot::kNo: the function was not called
  kUnchanged,   // live before and after, or empty before and after
  kBecameLive,  // empty (or new) before, live after
  kBecameEmpty  // live before, empty after (now a tombstone)
};

struct SlotTableStats {
  std::size_t live = 0;        // slots holding something
  std::size_t tombstones = 0;  // empty slots awaiting a stripe rebuild
};

template <typename Traits>
class SlotTable {
 public:
  using Key = typename Traits::Key;
  using KeyView = typename Traits::KeyView;
  using Slot = typename Traits::Slot;
  static constexpr std::size_t kStripes = 64;

  explicit SlotTable(Reclaimer& reclaimer) : reclaimer_(reclaimer) {}
  // Frees the maps. Whatever slots point to belongs to the owner, who frees it first (for_each).
  ~SlotTable() {
    for (Stripe& s : stripes_) delete s.map.load(std::memory_order_relaxed);
  }
  SlotTable(const SlotTable&) = delete;
  SlotTable& operator=(const SlotTable&) = delete;

  // Reader side, lock-free. Null when the key has no slot.
  const Slot* find(const KeyView& key) const {
    const std::uint64_t h = Traits::hash(key);
    const Map* map = stripe_of(h).map.load(std::memory_order_acquire);
    if (map == nullptr) return nullptr;
    auto it = map->find(key);
    return it == map->end() ? nullptr : &it->second;
  }

  // Writer side: runs fn(Slot&) under the stripe's mutex, creating the slot when asked to.
  template <typename Fn>
  SlotChange update(const KeyView& key, CreateSlot create, Fn&& fn) {
    Stripe& stripe = stripe_of(Traits::hash(key));
    std::lock_guard lock(stripe.mutex);
    Slot* slot = find_or_create(stripe, key, create);
    if (slot == nullptr) return SlotChange::kAbsent;
    const bool was_empty = Traits::empty(*slot);
    fn(*slot);
    const bool is_empty = Traits::empty(*slot);
    if (was_empty == is_empty) return SlotChange::kUnchanged;
    if (is_empty) {
      count(stripe.live, -1);
      count(stripe.dead, +1);
      if (should_rebuild(stripe)) rebuild(stripe);
      return SlotChange::kBecameEmpty;
    }
    count(stripe.live, +1);
    count(stripe.dead, -1);  // the slot was a tombstone or was counted as one when created
    return SlotChange::kBecameLive;
  }

  // Rebuilds every stripe that holds tombstones (writers of each stripe wait meanwhile).
  void compact() {
    for (Stripe& stripe : stripes_) {
      std::lock_guard lock(stripe.mutex);
      if (stripe.dead.load(std::memory_order_relaxed) > 0) rebuild(stripe);
    }
  }

  // Visits every live slot. Only when no writer runs (destruction, tests).
  template <typename Fn>
  void for_each(Fn&& fn) {
    for (Stripe& stripe : stripes_) {
      Map* map = stripe.map.load(std::memory_order_relaxed);
      if (map == nullptr) continue;
      for (auto& [key, slot] : *map) {
        if (!Traits::empty(slot)) fn(slot);
      }
    }
  }

  SlotTableStats stats() const {
    SlotTableStats out;
    for (const Stripe& s : stripes_) {
      out.live += s.live.load(std::memory_order_relaxed);
      out.tombstones += s.dead.load(std::memory_order_relaxed);
    }
    return out;
  }

 private:
  using Map =
      tbb::concurrent_unordered_map<Key, Slot, typename Traits::Hash, typename Traits::Equal,
                                    std::allocator<std::pair<const Key, Slot>>>;
  static constexpr std::size_t kMinTombstonesForRebuild = 32;
  // Fewer list nodes per find (each one a likely cache miss), for one more bucket per slot.
  static constexpr float kMaxLoadFactor = 1.0f;

  struct alignas(64) Stripe {
    std::atomic<Map*> map{nullptr};
    std::mutex mutex;
    // Written under `mutex`; atomic only so that stats() may read them.
    std::atomic<std::size_t> live{0};
    std::atomic<std::size_t> dead{0};
    std::size_t primed = 0;  // buckets [0, primed) of `map` are initialised; under `mutex`
  };

  static void count(std::atomic<std::size_t>& c, int delta) {
    c.store(c.load(std::memory_order_relaxed) + static_cast<std::size_t>(delta),
            std::memory_order_relaxed);
  }
  Stripe& stripe_of(std::uint64_t hash) { return stripes_[hash >> 58]; }
  const Stripe& stripe_of(std::uint64_t hash) const { return stripes_[hash >> 58]; }
  static_assert(kStripes == 64, "stripe_of() takes the top 6 bits of the hash");

  Slot* find_or_create(Stripe& stripe, const KeyView& key, CreateSlot create) {
    Map* map = stripe.map.load(std::memory_order_relaxed);
    if (map != nullptr) {
      auto it = map->find(key);
      if (it != map->end()) return &it->second;
    }
    if (create == CreateSlot::kNo) return nullptr;
    if (map == nullptr) {
      map = new Map();
      map->max_load_factor(kMaxLoadFactor);
      stripe.primed = prime_buckets(*map, 0);
      stripe.map.store(map, std::memory_order_release);
    }
    grow_before_insert(stripe, *map);
    auto [it, inserted] =
        map->emplace(std::piecewise_construct, std::forward_as_tuple(Traits::make_key(key)),
                     std::forward_as_tuple());
    RMQ_DCHECK(inserted);
    if (map->unsafe_bucket_count() > stripe.primed) {  // not expected: TBB grew the table itself
      stripe.primed = prime_buckets(*map, stripe.primed);
    }
    count(stripe.dead, +1);  // a new slot is empty until fn() fills it
    return &it->second;
  }

  // Initialises buckets [from, bucket count) of `map`; returns the bucket count.
  static std::size_t prime_buckets(Map& map, std::size_t from) {
    const std::size_t buckets = map.unsafe_bucket_count();
    for (std::size_t b = from; b < buckets; ++b) static_cast<void>(map.unsafe_begin(b));
    return buckets;
  }

  // When one more element would make TBB double the bucket count (its test, in its arithmetic),
  // initialises the buckets of the doubled table first, then doubles it.
  static void grow_before_insert(Stripe& stripe, Map& map) {
    const std::size_t buckets = map.unsafe_bucket_count();
    if (float(map.size() + 1) / float(buckets) <= map.max_load_factor()) return;
    for (std::size_t b = buckets; b < 2 * buckets; ++b) static_cast<void>(map.unsafe_begin(b));
    map.rehash(2 * buckets);
    stripe.primed = map.unsafe_bucket_count();
    RMQ_DCHECK(stripe.primed == 2 * buckets);
  }

  static bool should_rebuild(const Stripe& stripe) {
    const std::size_t dead = stripe.dead.load(std::memory_order_relaxed);
    return dead >= kMinTombstonesForRebuild && dead > stripe.live.load(std::memory_order_relaxed);
  }

  void rebuild(Stripe& stripe) {
    Map* old_map = stripe.map.load(std::memory_order_relaxed);
    if (old_map == nullptr) return;
    Map* fresh = nullptr;
    stripe.primed = 0;
    if (stripe.live.load(std::memory_order_relaxed) > 0) {
      fresh = new Map();
      fresh->max_load_factor(kMaxLoadFactor);
      for (auto& [key, slot] : *old_map) {
        if (Traits::empty(slot)) continue;
        auto [it, inserted] = fresh->emplace(std::piecewise_construct, std::forward_as_tuple(key),
                                             std::forward_as_tuple());
        RMQ_DCHECK(inserted);
        Traits::transfer(slot, it->second);
      }
      stripe.primed = prime_buckets(*fresh, 0);
    }
    stripe.map.store(fresh, std::memory_order_release);
    stripe.dead.store(0, std::memory_order_relaxed);
    reclaimer_.retire(old_map);
  }

  Reclaimer& reclaimer_;
  std::array<Stripe, kStripes> stripes_;
};

}  // namespace rmq::router
