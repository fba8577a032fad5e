// Folding the matches of one message into one delivery per session.
//
// A session whose subscriptions overlap matches once per filter; it must receive one copy with
// the highest QoS of those subscriptions and the identifiers of all of them (MQTT 5.0 3.3.4).
// A match through a shared group is a separate copy (4.8.2) and is never folded with the others.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "codec/types.h"
#include "router/types.h"

namespace rmq::router {

struct Delivery {
  ShardId shard = 0;
  SessionHandle session = 0;
  MatchKind kind = MatchKind::kDirect;
  codec::QoS max_qos = codec::QoS::kAtMostOnce;  // highest granted QoS of the folded matches
  bool retain_as_published = false;              // set when any folded match asks for it
  std::uint32_t ids_begin = 0;  // into DeliveryList::subscription_ids(); see ids_of()
  std::uint32_t ids_count = 0;
};

// Caller-owned, reusable output of merge_by_session(); stops allocating once grown.
class DeliveryList {
 public:
  std::span<const Delivery> deliveries() const { return deliveries_; }
  // The subscription identifiers of `d`, ascending, without duplicates or zeros.
  std::span<const std::uint32_t> ids_of(const Delivery& d) const {
    return std::span<const std::uint32_t>(ids_).subspan(d.ids_begin, d.ids_count);
  }
  void clear() {
    deliveries_.clear();
    ids_.clear();
  }

 private:
  friend void merge_by_session(std::span<const MatchedSubscriber>, DeliveryList&,
                               std::optional<SessionKey>);
  std::vector<Delivery> deliveries_;
  std::vector<std::uint32_t> ids_;
  std::vector<MatchedSubscriber> scratch_;
};

// Appends to `out` one delivery per session for the direct matches in `matches`, and one per
// shared match; deliveries come ordered by (kind, shard, session). `publisher`: the session that
// published the message; its matches whose subscription has No Local set are dropped
// [MQTT-3.8.3-3]. Typically called once per shard with MatchResult::for_shard().
void merge_by_session(std::span<const MatchedSubscriber> matches, DeliveryList& out,
                      std::optional<SessionKey> publisher = std::nullopt);

}  // namespace rmq::router
