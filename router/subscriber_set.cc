#include "router/subscriber_set.h"

#include <algorithm>
#include <memory>
#include <new>

#include "base/assert.h"

namespace rmq::router {
namespace {

std::atomic<std::int64_t> g_live_sets{0};

bool before(const SubscriberRef& a, SessionKey b) {
  return a.shard < b.shard || (a.shard == b.shard && a.session < b.session);
}

bool name_before(const SharedGroup* g, std::string_view name) { return g->name < name; }

}  // namespace

// ---- SubscriberSet

SubscriberSet* SubscriberSet::allocate(std::uint32_t size) {
  RMQ_DCHECK(size > 0);
  void* memory = ::operator new(sizeof(SubscriberSet) + size * sizeof(SubscriberRef));
  g_live_sets.fetch_add(1, std::memory_order_relaxed);
  return new (memory) SubscriberSet(size);
}

const SubscriberSet* SubscriberSet::create(std::span<const SubscriberRef> members) {
  if (members.empty()) return nullptr;
  SubscriberSet* set = allocate(static_cast<std::uint32_t>(members.size()));
  std::uninitialized_copy(members.begin(), members.end(), set->data());
  return set;
}

void SubscriberSet::destroy(const SubscriberSet* set) {
  if (set == nullptr) return;
  static_assert(std::is_trivially_destructible_v<SubscriberSet>);
  ::operator delete(const_cast<SubscriberSet*>(set));
  g_live_sets.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t SubscriberSet::live_count() { return g_live_sets.load(std::memory_order_relaxed); }

// ---- SharedGroup, GroupSet

SharedGroup::~SharedGroup() { SubscriberSet::destroy(members.load(std::memory_order_relaxed)); }

GroupSet* GroupSet::allocate(std::uint32_t size) {
  RMQ_DCHECK(size > 0);
  void* memory = ::operator new(sizeof(GroupSet) + size * sizeof(SharedGroup*));
  return new (memory) GroupSet(size);
}

const GroupSet* GroupSet::create(std::span<SharedGroup* const> groups) {
  if (groups.empty()) return nullptr;
  GroupSet* set = allocate(static_cast<std::uint32_t>(groups.size()));
  std::copy(groups.begin(), groups.end(), set->data());
  return set;
}

void GroupSet::destroy(const GroupSet* set) {
  if (set == nullptr) return;
  static_assert(std::is_trivially_destructible_v<GroupSet>);
  ::operator delete(const_cast<GroupSet*>(set));
}

// ---- EntryWriter

SubscribeOutcome EntryWriter::upsert(std::atomic<const SubscriberSet*>& slot,
                                     const SubscriberRef& sub) {
  const SubscriberSet* old = slot.load(std::memory_order_relaxed);
  const std::span<const SubscriberRef> current =
      old != nullptr ? old->members() : std::span<const SubscriberRef>{};
  const auto pos = std::lower_bound(current.begin(), current.end(), sub.key(), before);
  const bool found = pos != current.end() && pos->key() == sub.key();
  if (found && *pos == sub) return SubscribeOutcome::kReplaced;  // nothing to change

  const auto index = static_cast<std::size_t>(pos - current.begin());
  SubscriberSet* fresh =
      SubscriberSet::allocate(static_cast<std::uint32_t>(current.size() + (found ? 0 : 1)));
  SubscriberRef* out = std::uninitialized_copy(current.begin(), pos, fresh->data());
  *out++ = sub;
  std::uninitialized_copy(found ? pos + 1 : pos, current.end(), out);
  RMQ_DCHECK(fresh->members()[index] == sub);
  replace(slot, fresh);
  return found ? SubscribeOutcome::kReplaced : SubscribeOutcome::kAdded;
}

UnsubscribeOutcome EntryWriter::erase(std::atomic<const SubscriberSet*>& slot, SessionKey who) {
  const SubscriberSet* old = slot.load(std::memory_order_relaxed);
  if (old == nullptr) return UnsubscribeOutcome::kNotFound;
  const std::span<const SubscriberRef> current = old->members();
  const auto pos = std::lower_bound(current.begin(), current.end(), who, before);
  if (pos == current.end() || !(pos->key() == who)) return UnsubscribeOutcome::kNotFound;

  SubscriberSet* fresh = nullptr;
  if (current.size() > 1) {
    fresh = SubscriberSet::allocate(static_cast<std::uint32_t>(current.size() - 1));
    SubscriberRef* out = std::uninitialized_copy(current.begin(), pos, fresh->data());
    std::uninitialized_copy(pos + 1, current.end(), out);
  }
  replace(slot, fresh);
  return UnsubscribeOutcome::kRemoved;
}

SubscribeOutcome EntryWriter::move(std::atomic<const SubscriberSet*>& slot, SessionKey from,
                                   const SubscriberRef& to) {
  const SubscriberSet* old = slot.load(std::memory_order_relaxed);
  const std::span<const SubscriberRef> current =
      old != nullptr ? old->members() : std::span<const SubscriberRef>{};
  const auto pos = std::lower_bound(current.begin(), current.end(), from, before);
  const bool found = pos != current.end() && pos->key() == from;
  // One copy: every member but `from`, with `to` merged in at its place.
  SubscriberSet* fresh =
      SubscriberSet::allocate(static_cast<std::uint32_t>(current.size() + (found ? 0 : 1)));
  SubscriberRef* out = fresh->data();
  bool placed = false;
  for (const SubscriberRef& m : current) {
    RMQ_DCHECK(m.key() != to.key());
    if (m.key() == from) continue;
    if (!placed && before(to, m.key())) {
      *out++ = to;
      placed = true;
    }
    *out++ = m;
  }
  if (!placed) *out = to;
  replace(slot, fresh);
  return found ? SubscribeOutcome::kReplaced : SubscribeOutcome::kAdded;
}

SubscribeOutcome EntryWriter::add_direct(FilterEntry& entry, const SubscriberRef& sub) {
  return upsert(entry.direct, sub);
}

UnsubscribeOutcome EntryWriter::remove_direct(FilterEntry& entry, SessionKey who) {
  return erase(entry.direct, who);
}

SubscribeOutcome EntryWriter::add_shared(FilterEntry& entry, std::string_view group,
                                         const SubscriberRef& sub) {
  const GroupSet* old = entry.groups.load(std::memory_order_relaxed);
  const std::span<SharedGroup* const> current =
      old != nullptr ? old->groups() : std::span<SharedGroup* const>{};
  const auto pos = std::lower_bound(current.begin(), current.end(), group, name_before);
  if (pos != current.end() && (*pos)->name == group) return upsert((*pos)->members, sub);

  auto* created = new SharedGroup(group);
  created->members.store(SubscriberSet::create({&sub, 1}), std::memory_order_relaxed);
  GroupSet* fresh = GroupSet::allocate(static_cast<std::uint32_t>(current.size() + 1));
  SharedGroup** out = std::copy(current.begin(), pos, fresh->data());
  *out++ = created;
  std::copy(pos, current.end(), out);
  replace(entry.groups, fresh);  // the release store also publishes created->members
  return SubscribeOutcome::kAdded;
}

UnsubscribeOutcome EntryWriter::remove_shared(FilterEntry& entry, std::string_view group,
                                              SessionKey who) {
  const GroupSet* old = entry.groups.load(std::memory_order_relaxed);
  if (old == nullptr) return UnsubscribeOutcome::kNotFound;
  const std::span<SharedGroup* const> current = old->groups();
  const auto pos = std::lower_bound(current.begin(), current.end(), group, name_before);
  if (pos == current.end() || (*pos)->name != group) return UnsubscribeOutcome::kNotFound;
  SharedGroup* target = *pos;

  const SubscriberSet* members = target->members.load(std::memory_order_relaxed);
  const bool last = members->size() == 1 && members->members()[0].key() == who;
  if (!last) return erase(target->members, who);

  // The last member leaves: unpublish the whole group (readers that still hold it keep seeing
  // its last member) and retire it with its members.
  const GroupSet* fresh = nullptr;
  if (current.size() > 1) {
    GroupSet* rest = GroupSet::allocate(static_cast<std::uint32_t>(current.size() - 1));
    SharedGroup** out = std::copy(current.begin(), pos, rest->data());
    std::copy(pos + 1, current.end(), out);
    fresh = rest;
  }
  replace(entry.groups, fresh);
  reclaimer_.retire(target);
  return UnsubscribeOutcome::kRemoved;
}

SubscribeOutcome EntryWriter::move_direct(FilterEntry& entry, SessionKey from,
                                          const SubscriberRef& to) {
  return move(entry.direct, from, to);
}

SubscribeOutcome EntryWriter::move_shared(FilterEntry& entry, std::string_view group,
                                          SessionKey from, const SubscriberRef& to) {
  const GroupSet* groups = entry.groups.load(std::memory_order_relaxed);
  if (groups != nullptr) {
    const std::span<SharedGroup* const> current = groups->groups();
    const auto pos = std::lower_bound(current.begin(), current.end(), group, name_before);
    if (pos != current.end() && (*pos)->name == group) return move((*pos)->members, from, to);
  }
  add_shared(entry, group, to);
  return SubscribeOutcome::kAdded;
}

void EntryWriter::destroy_now(FilterEntry& entry) {
  SubscriberSet::destroy(entry.direct.exchange(nullptr, std::memory_order_relaxed));
  const GroupSet* groups = entry.groups.exchange(nullptr, std::memory_order_relaxed);
  if (groups == nullptr) return;
  for (SharedGroup* g : groups->groups()) delete g;
  GroupSet::destroy(groups);
}

void EntryWriter::replace(std::atomic<const SubscriberSet*>& slot, const SubscriberSet* fresh) {
  const SubscriberSet* old = slot.exchange(fresh, std::memory_order_acq_rel);
  if (old != nullptr)
    reclaimer_.retire(const_cast<SubscriberSet*>(old), &SubscriberSet::destroy_erased);
}

void EntryWriter::replace(std::atomic<const GroupSet*>& slot, const GroupSet* fresh) {
  const GroupSet* old = slot.exchange(fresh, std::memory_order_acq_rel);
  if (old != nullptr) reclaimer_.retire(const_cast<GroupSet*>(old), &GroupSet::destroy_erased);
}

}  // namespace rmq::router
