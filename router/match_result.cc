#include "router/match_result.h"

#include "router/match_access.h"

namespace rmq::router {

std::span<const MatchedSubscriber> MatchResult::for_shard(ShardId shard) const {
  if (shard >= per_shard_.size()) return {};
  return per_shard_[shard];
}

void MatchResult::clear() {
  for (ShardId shard : touched_) per_shard_[shard].clear();
  touched_.clear();
  total_ = 0;
  unserved_groups_ = 0;
}

namespace detail {

void MatchAccess::reset(MatchResult& result, std::uint32_t shards) {
  result.clear();
  if (result.per_shard_.size() < shards) result.per_shard_.resize(shards);
}

void MatchAccess::emit(MatchResult& result, const FilterEntry& entry, MemberPick pick) {
  if (const SubscriberSet* direct = entry.direct.load(std::memory_order_acquire)) {
    for (const SubscriberRef& sub : direct->members()) append(result, sub, MatchKind::kDirect);
  }
  const GroupSet* groups = entry.groups.load(std::memory_order_acquire);
  if (groups == nullptr) return;
  for (const SharedGroup* group : groups->groups()) {
    bool all_skipped = false;
    if (const SubscriberRef* chosen = pick_member(*group, pick, all_skipped)) {
      append(result, *chosen, MatchKind::kShared);
    }
    if (all_skipped) ++result.unserved_groups_;
  }
}

const SubscriberRef* pick_member(const SharedGroup& group, MemberPick pick, bool& all_skipped) {
  all_skipped = false;
  const SubscriberSet* members = group.members.load(std::memory_order_acquire);
  if (members == nullptr) return nullptr;
  const std::span<const SubscriberRef> all = members->members();
  const auto n = static_cast<std::uint32_t>(all.size());
  const std::uint32_t start = group.cursor.fetch_add(1, std::memory_order_relaxed);
  for (std::uint32_t i = 0; i < n; ++i) {
    const SubscriberRef& candidate = all[(start + i) % n];
    if (pick.skip && pick.skip(candidate)) continue;
    // Move the cursor past the chosen member, so that the member after a skipped one does not
    // get two turns in a row.
    if (i > 0) group.cursor.fetch_add(i, std::memory_order_relaxed);
    return &candidate;
  }
  all_skipped = n != 0;
  return pick.serve_when_all_skipped && n != 0 ? &all[start % n] : nullptr;
}

}  // namespace detail
}  // namespace rmq::router
