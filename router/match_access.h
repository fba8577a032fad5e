// Internal to the router: how TopicIndex::match() fills a MatchResult. Not for other modules.
#pragma once

#include <string_view>
#include <vector>

#include "base/assert.h"
#include "router/match_result.h"
#include "router/subscriber_set.h"

namespace rmq::router::detail {

class MatchAccess {
 public:
  // Clears `result` and makes room for `shards` shards (allocates only the first time).
  static void reset(MatchResult& result, std::uint32_t shards);

  static void append(MatchResult& result, const SubscriberRef& sub, MatchKind kind) {
    RMQ_DCHECK(sub.shard < result.per_shard_.size());
    std::vector<MatchedSubscriber>& bucket = result.per_shard_[sub.shard];
    if (bucket.empty()) result.touched_.push_back(sub.shard);
    bucket.push_back({sub, kind});
    ++result.total_;
  }

  // Appends the direct subscribers of `entry` and one member of each of its shared groups.
  static void emit(MatchResult& result, const FilterEntry& entry, MemberPick pick);

  static std::vector<std::string_view>& levels(MatchResult& result) { return result.levels_; }
  static std::vector<WalkFrame>& stack(MatchResult& result) { return result.stack_; }
};

// The member of `group` that receives the next message: round robin from the group's cursor,
// skipping members `pick.skip` rejects. When every member is skipped: the member in turn if
// `pick.serve_when_all_skipped`, else null; `all_skipped` tells which happened.
const SubscriberRef* pick_member(const SharedGroup& group, MemberPick pick, bool& all_skipped);

}  // namespace rmq::router::detail
