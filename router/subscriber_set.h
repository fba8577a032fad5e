// The per-filter subscriber data of the topic index, and its copy-on-write updates.
//
// Every filter (exact or wildcard) owns one FilterEntry: an atomic pointer to an immutable
// SubscriberSet of its direct subscribers and one to an immutable GroupSet of its shared groups
// ($share/{group}/{filter}). Readers load the pointers (acquire) and read the immutable arrays.
// Writers, serialised per filter by the caller's lock, build a new array, publish it with a
// release store and retire the old one to the Reclaimer. A SharedGroup is long-lived (until its
// last member leaves); its members are another SubscriberSet published the same way, and its
// round-robin cursor is the only field readers write.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "router/reclaimer.h"
#include "router/types.h"

namespace rmq::router {

// Immutable array of subscribers, sorted by (shard, session), unique per (shard, session).
// The members follow the header in the same allocation.
class alignas(SubscriberRef) SubscriberSet {
 public:
  std::span<const SubscriberRef> members() const { return {data(), size_}; }
  std::uint32_t size() const { return size_; }

  // Null for an empty span. The result is owned by the caller until published.
  static const SubscriberSet* create(std::span<const SubscriberRef> members);
  static void destroy(const SubscriberSet* set);
  static void destroy_erased(void* set) { destroy(static_cast<const SubscriberSet*>(set)); }
  static std::int64_t live_count();  // sets allocated and not destroyed (all indexes)

 private:
  friend class EntryWriter;
  explicit SubscriberSet(std::uint32_t size) : size_(size) {}
  static SubscriberSet* allocate(std::uint32_t size);  // members left to fill
  const SubscriberRef* data() const { return reinterpret_cast<const SubscriberRef*>(this + 1); }
  SubscriberRef* data() { return reinterpret_cast<SubscriberRef*>(this + 1); }

  std::uint32_t size_;
};

struct SharedGroup {
  explicit SharedGroup(std::string_view group_name) : name(group_name) {}
  ~SharedGroup();  // frees `members`: only when unreachable

  const std::string name;
  std::atomic<const SubscriberSet*> members{nullptr};  // never null while the group is published
  mutable std::atomic<std::uint32_t> cursor{0};        // next member to try, modulo size
};

// Immutable array of groups, sorted by name.
// The group pointers follow the header in the same allocation.
class alignas(SharedGroup*) GroupSet {
 public:
  std::span<SharedGroup* const> groups() const { return {data(), size_}; }
  static const GroupSet* create(std::span<SharedGroup* const> groups);  // null when empty
  static void destroy(const GroupSet* set);
  static void destroy_erased(void* set) { destroy(static_cast<const GroupSet*>(set)); }

 private:
  friend class EntryWriter;
  explicit GroupSet(std::uint32_t size) : size_(size) {}
  static GroupSet* allocate(std::uint32_t size);
  SharedGroup* const* data() const { return reinterpret_cast<SharedGroup* const*>(this + 1); }
  SharedGroup** data() { return reinterpret_cast<SharedGroup**>(this + 1); }

  std::uint32_t size_;
};

enum class SubscribeOutcome : std::uint8_t {
  kAdded,     // the session had no subscription to this filter (in this group)
  kReplaced,  // it had one; its options and subscription id were replaced
};
enum class UnsubscribeOutcome : std::uint8_t { kRemoved, kNotFound };

struct FilterEntry {
  std::atomic<const SubscriberSet*> direct{nullptr};
  std::atomic<const GroupSet*> groups{nullptr};

  // Writer side (or quiescent): true when the filter has no subscriber at all.
  bool empty() const {
    return direct.load(std::memory_order_relaxed) == nullptr &&
           groups.load(std::memory_order_relaxed) == nullptr;
  }
  // Copies the pointers (SlotTable rebuild): both entries then show the same immutable sets.
  static void transfer(const FilterEntry& from, FilterEntry& to) {
    to.direct.store(from.direct.load(std::memory_order_relaxed), std::memory_order_relaxed);
    to.groups.store(from.groups.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
};

// Copy-on-write updates of one FilterEntry. The caller holds the lock that serialises writers of
// this entry. Replaced arrays and emptied groups are retired to `reclaimer`.
class EntryWriter {
 public:
  explicit EntryWriter(Reclaimer& reclaimer) : reclaimer_(reclaimer) {}

  SubscribeOutcome add_direct(FilterEntry& entry, const SubscriberRef& sub);
  UnsubscribeOutcome remove_direct(FilterEntry& entry, SessionKey who);
  SubscribeOutcome add_shared(FilterEntry& entry, std::string_view group, const SubscriberRef& sub);
  UnsubscribeOutcome remove_shared(FilterEntry& entry, std::string_view group, SessionKey who);
  // Replaces `from` by `to` in one published copy (kReplaced), or adds `to` when `from` is absent
  // (kAdded). `to` must not be subscribed there already.
  SubscribeOutcome move_direct(FilterEntry& entry, SessionKey from, const SubscriberRef& to);
  SubscribeOutcome move_shared(FilterEntry& entry, std::string_view group, SessionKey from,
                               const SubscriberRef& to);

  // Frees everything the entry points to, at once. Only when no reader can reach the entry.
  static void destroy_now(FilterEntry& entry);

 private:
  // Inserts or replaces `sub` in the set held by `slot`.
  SubscribeOutcome upsert(std::atomic<const SubscriberSet*>& slot, const SubscriberRef& sub);
  // Removes `who` from the set held by `slot` (the slot becomes null when it was the last).
  UnsubscribeOutcome erase(std::atomic<const SubscriberSet*>& slot, SessionKey who);
  // Removes `from` and inserts `to` in the set held by `slot`, publishing one copy.
  SubscribeOutcome move(std::atomic<const SubscriberSet*>& slot, SessionKey from,
                        const SubscriberRef& to);
  // Publishes `fresh` in place of what `slot` holds and retires the old array.
  void replace(std::atomic<const SubscriberSet*>& slot, const SubscriberSet* fresh);
  void replace(std::atomic<const GroupSet*>& slot, const GroupSet* fresh);

  Reclaimer& reclaimer_;
};

}  // namespace rmq::router
