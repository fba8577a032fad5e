#include "router/topic_index.h"

#include "codec/validate.h"
#include "router/match_access.h"
#include "router/topic.h"

namespace rmq::router {
namespace {
// Reclaim once this many objects wait: bounds retired memory without reclaiming on every write.
constexpr std::size_t kReclaimBatch = 64;
}  // namespace

TopicIndex::TopicIndex(const TopicIndexConfig& config)
    : shards_(config.shards),
      reclaimer_(config.readers != 0 ? config.readers : config.shards),
      exact_(reclaimer_),
      trie_(reclaimer_) {
  RMQ_ASSERT(config.shards > 0);
}

TopicIndex::~TopicIndex() {
  exact_.for_each([](FilterEntry& entry) { EntryWriter::destroy_now(entry); });
}

void TopicIndex::count(std::atomic<std::size_t>& counter, SlotChange change) {
  if (change == SlotChange::kBecameLive) counter.fetch_add(1, std::memory_order_acq_rel);
  if (change == SlotChange::kBecameEmpty) counter.fetch_sub(1, std::memory_order_acq_rel);
}

void TopicIndex::after_write() {
  if (reclaimer_.pending() >= kReclaimBatch) reclaimer_.reclaim();
}

// The one write path: validates `filter`, then runs `change(writer, entry, group)` on the filter's
// entry (creating it when `create` says so) under the entry's writer lock, keeping the counters.
// `change` returns +1, 0 or -1: the change in the number of subscriptions.
template <typename Change>
Status TopicIndex::write_filter(std::string_view filter, CreateSlot create, Change change) {
  if (codec::check_topic_filter(filter) != codec::TextError::kNone) {
    return Status(StatusCode::kInvalidArgument, "invalid topic filter");
  }
  const codec::SharedFilter parts = codec::split_shared(filter);
  EntryWriter writer(reclaimer_);
  int delta = 0;
  auto apply = [&](FilterEntry& entry) { delta = change(writer, entry, parts.group); };
  if (is_wildcard_filter(parts.filter)) {
    count(wildcard_filters_, trie_.update(parts.filter, create, apply));
  } else {
    count(exact_filters_, exact_.update(parts.filter, create, apply));
  }
  if (delta > 0) subscriptions_.fetch_add(1, std::memory_order_relaxed);
  if (delta < 0) subscriptions_.fetch_sub(1, std::memory_order_relaxed);
  after_write();
  return Status();
}

Result<SubscribeOutcome> TopicIndex::subscribe(std::string_view filter, const SubscriberRef& sub) {
  if (sub.shard >= shards_) {
    return Status(StatusCode::kInvalidArgument, "subscriber shard out of range");
  }
  SubscribeOutcome outcome = SubscribeOutcome::kAdded;
  RMQ_RETURN_IF_ERROR(write_filter(
      filter, CreateSlot::kYes, [&](EntryWriter& w, FilterEntry& entry, std::string_view group) {
        outcome = group.empty() ? w.add_direct(entry, sub) : w.add_shared(entry, group, sub);
        return outcome == SubscribeOutcome::kAdded ? 1 : 0;
      }));
  return outcome;
}

Result<UnsubscribeOutcome> TopicIndex::unsubscribe(std::string_view filter, SessionKey who) {
  UnsubscribeOutcome outcome = UnsubscribeOutcome::kNotFound;
  RMQ_RETURN_IF_ERROR(write_filter(
      filter, CreateSlot::kNo, [&](EntryWriter& w, FilterEntry& entry, std::string_view group) {
        outcome = group.empty() ? w.remove_direct(entry, who) : w.remove_shared(entry, group, who);
        return outcome == UnsubscribeOutcome::kRemoved ? -1 : 0;
      }));
  return outcome;
}

Result<SubscribeOutcome> TopicIndex::resubscribe(std::string_view filter, SessionKey from,
                                                 const SubscriberRef& to) {
  if (to.shard >= shards_) {
    return Status(StatusCode::kInvalidArgument, "subscriber shard out of range");
  }
  SubscribeOutcome outcome = SubscribeOutcome::kAdded;
  RMQ_RETURN_IF_ERROR(write_filter(
      filter, CreateSlot::kYes, [&](EntryWriter& w, FilterEntry& entry, std::string_view group) {
        outcome =
            group.empty() ? w.move_direct(entry, from, to) : w.move_shared(entry, group, from, to);
        return outcome == SubscribeOutcome::kAdded ? 1 : 0;
      }));
  return outcome;
}

void TopicIndex::match(std::string_view topic, MatchResult& out, MemberPick pick) const {
  RMQ_DCHECK(codec::check_topic_name(topic) == codec::TextError::kNone);
  using detail::MatchAccess;
  MatchAccess::reset(out, shards_);
  if (topic.empty()) return;  // not a topic name; nothing can match it
  if (exact_filters_.load(std::memory_order_acquire) != 0) {
    if (const FilterEntry* entry = exact_.find(topic)) MatchAccess::emit(out, *entry, pick);
  }
  if (wildcard_filters_.load(std::memory_order_acquire) == 0) return;
  std::vector<std::string_view>& levels = MatchAccess::levels(out);
  split_levels(topic, levels);
  trie_.match(levels, topic.front() == '$', out, pick);
}

void TopicIndex::compact() {
  exact_.compact();
  trie_.compact();
  reclaimer_.reclaim();
}

IndexStats TopicIndex::stats() const {
  IndexStats s;
  s.exact_filters = exact_filters_.load(std::memory_order_relaxed);
  s.wildcard_filters = wildcard_filters_.load(std::memory_order_relaxed);
  s.subscriptions = subscriptions_.load(std::memory_order_relaxed);
  s.trie_nodes = trie_.node_count();
  s.exact_tombstones = exact_.stats().tombstones;
  s.edge_tombstones = trie_.edge_stats().tombstones;
  s.retired_pending = reclaimer_.pending();
  return s;
}

}  // namespace rmq::router
