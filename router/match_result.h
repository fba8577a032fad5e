// MatchResult: what TopicIndex::match() found for one topic, grouped by the subscriber's shard.
//
// The publish path sends one mailbox message per destination shard: shards() lists each shard
// that has at least one match, for_shard() gives that shard's matches. A session may appear
// several times (overlapping filters, shared groups); merge_by_session() (delivery.h) folds them.
//
// Reuse: the object is caller-owned and meant to be kept per thread. match() clears it and fills
// it again; once its vectors have grown to the largest match seen, matching allocates nothing.
// Not thread-safe: one thread uses one MatchResult at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "router/types.h"

namespace rmq::router {
namespace detail {
struct TrieNode;
class MatchAccess;
struct WalkFrame {
  const TrieNode* node;
  std::uint32_t level;  // levels consumed to reach `node`
};
}  // namespace detail

class MatchResult {
 public:
  MatchResult() = default;

  // Shards with at least one match, each once, in the order they were first matched.
  std::span<const ShardId> shards() const { return touched_; }
  // The matches owned by `shard` (empty when the shard has none).
  std::span<const MatchedSubscriber> for_shard(ShardId shard) const;
  // Number of matches over all shards.
  std::size_t size() const { return total_; }
  bool empty() const { return total_ == 0; }
  // Shared groups that matched but whose every member was skipped: the message went to none of
  // them, or to the member in turn with MemberPick::serve_when_all_skipped (the caller counts or
  // logs it).
  std::uint32_t unserved_groups() const { return unserved_groups_; }

  // Forgets the matches, keeps the capacity.
  void clear();

 private:
  friend class detail::MatchAccess;

  std::vector<std::vector<MatchedSubscriber>> per_shard_;  // indexed by ShardId
  std::vector<ShardId> touched_;
  std::size_t total_ = 0;
  std::uint32_t unserved_groups_ = 0;
  // Scratch space of match(), kept to avoid allocating per call.
  std::vector<std::string_view> levels_;
  std::vector<detail::WalkFrame> stack_;
};

}  // namespace rmq::router
