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

Result<SubscribeOutcome> TopicIndex::subscribe(std::string_view filter, const SubscriberRef& sub) {
  if (codec::check_topic_filter(filter) != codec::TextError::kNone) {
    return Status(StatusCode::kInvalidArgument, "invalid topic filter");
  }
  if (sub.shard >= shards_) {
    return Status(StatusCode::kInvalidArgument, "subscriber shard out of range");
  }
  const codec::SharedFilter parts = codec::split_shared(filter);
  EntryWriter writer(reclaimer_);
  SubscribeOutcome outcome = SubscribeOutcome::kAdded;
  auto add = [&](FilterEntry& entry) {
    outcome = parts.group.empty() ? writer.add_direct(entry, sub)
                                  : writer.add_shared(entry, parts.group, sub);
  };
  if (is_wildcard_filter(parts.filter)) {
    count(wildcard_filters_, trie_.update(parts.filter, CreateSlot::kYes, add));
  } else {
    count(exact_filters_, exact_.update(parts.filter, CreateSlot::kYes, add));
  }
  if (outcome == SubscribeOutcome::kAdded) subscriptions_.fetch_add(1, std::memory_order_relaxed);
  after_write();
  return outcome;
}

Result<UnsubscribeOutcome> TopicIndex::unsubscribe(std::string_view filter, SessionKey who) {
  if (codec::check_topic_filter(filter) != codec::TextError::kNone) {
    return Status(StatusCode::kInvalidArgument, "invalid topic filter");
  }
  const codec::SharedFilter parts = codec::split_shared(filter);
  EntryWriter writer(reclaimer_);
  UnsubscribeOutcome outcome = UnsubscribeOutcome::kNotFound;
  auto remove = [&](FilterEntry& entry) {
    outcome = parts.group.empty() ? writer.remove_direct(entry, who)
                                  : writer.remove_shared(entry, parts.group, who);
  };
  if (is_wildcard_filter(parts.filter)) {
    count(wildcard_filters_, trie_.update(parts.filter, CreateSlot::kNo, remove));
  } else {
    count(exact_filters_, exact_.update(parts.filter, CreateSlot::kNo, remove));
  }
  if (outcome == UnsubscribeOutcome::kRemoved) {
    subscriptions_.fetch_sub(1, std::memory_order_relaxed);
  }
  after_write();
  return outcome;
}

Result<SubscribeOutcome> TopicIndex::resubscribe(std::string_view filter, SessionKey from,
                                                 const SubscriberRef& to) {
  if (codec::check_topic_filter(filter) != codec::TextError::kNone) {
    return Status(StatusCode::kInvalidArgument, "invalid topic filter");
  }
  if (to.shard >= shards_) {
    return Status(StatusCode::kInvalidArgument, "subscriber shard out of range");
  }
  const codec::SharedFilter parts = codec::split_shared(filter);
  EntryWriter writer(reclaimer_);
  SubscribeOutcome outcome = SubscribeOutcome::kAdded;
  auto move = [&](FilterEntry& entry) {
    outcome = parts.group.empty() ? writer.move_direct(entry, from, to)
                                  : writer.move_shared(entry, parts.group, from, to);
  };
  if (is_wildcard_filter(parts.filter)) {
    count(wildcard_filters_, trie_.update(parts.filter, CreateSlot::kYes, move));
  } else {
    count(exact_filters_, exact_.update(parts.filter, CreateSlot::kYes, move));
  }
  if (outcome == SubscribeOutcome::kAdded) subscriptions_.fetch_add(1, std::memory_order_relaxed);
  after_write();
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
