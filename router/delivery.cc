#include "router/delivery.h"

#include <algorithm>

namespace rmq::router {
namespace {

bool order(const MatchedSubscriber& a, const MatchedSubscriber& b) {
  if (a.kind != b.kind) return a.kind < b.kind;
  if (a.subscriber.shard != b.subscriber.shard) return a.subscriber.shard < b.subscriber.shard;
  return a.subscriber.session < b.subscriber.session;
}

bool same_delivery(const MatchedSubscriber& a, const MatchedSubscriber& b) {
  return a.kind == MatchKind::kDirect && b.kind == MatchKind::kDirect &&
         a.subscriber.key() == b.subscriber.key();
}

}  // namespace

void merge_by_session(std::span<const MatchedSubscriber> matches, DeliveryList& out,
                      std::optional<SessionKey> publisher) {
  std::vector<MatchedSubscriber>& sorted = out.scratch_;
  sorted.clear();
  for (const MatchedSubscriber& m : matches) {
    const bool local = publisher && m.subscriber.key() == *publisher;
    if (m.kind == MatchKind::kDirect && local && m.subscriber.options.no_local) continue;
    sorted.push_back(m);
  }
  std::sort(sorted.begin(), sorted.end(), order);

  std::size_t i = 0;
  while (i < sorted.size()) {
    const MatchedSubscriber& first = sorted[i];
    Delivery d;
    d.shard = first.subscriber.shard;
    d.session = first.subscriber.session;
    d.kind = first.kind;
    d.ids_begin = static_cast<std::uint32_t>(out.ids_.size());
    std::size_t j = i;
    do {
      const SubscriberRef& s = sorted[j].subscriber;
      d.max_qos = std::max(d.max_qos, s.options.max_qos);
      d.retain_as_published = d.retain_as_published || s.options.retain_as_published;
      if (s.subscription_id != 0) out.ids_.push_back(s.subscription_id);
      ++j;
    } while (j < sorted.size() && same_delivery(first, sorted[j]));
    auto ids_first = out.ids_.begin() + d.ids_begin;
    std::sort(ids_first, out.ids_.end());
    out.ids_.erase(std::unique(ids_first, out.ids_.end()), out.ids_.end());
    d.ids_count = static_cast<std::uint32_t>(out.ids_.size() - d.ids_begin);
    out.deliveries_.push_back(d);
    i = j;
  }
}

}  // namespace rmq::router
