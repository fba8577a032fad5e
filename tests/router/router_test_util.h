// Helpers shared by the router tests: a naive reference matcher, and ways to look at match results.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "router/match_result.h"
#include "router/topic_index.h"

namespace rmq::router::testing {

inline std::vector<std::string> naive_levels(std::string_view s) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == '/') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

// MQTT 5.0 4.7, written level by level and independently of the router's code.
inline bool naive_match(std::string_view filter, std::string_view topic) {
  const std::vector<std::string> f = naive_levels(filter);
  const std::vector<std::string> t = naive_levels(topic);
  if (topic[0] == '$' && (f[0] == "+" || f[0] == "#")) return false;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == "#") return true;  // matches the parent level and any number of children
    if (i >= t.size()) return false;
    if (f[i] != "+" && f[i] != t[i]) return false;
  }
  return f.size() == t.size();
}

inline SubscriberRef sub(ShardId shard, SessionHandle session, std::uint32_t id = 0,
                         codec::QoS qos = codec::QoS::kAtMostOnce) {
  SubscriberRef s;
  s.shard = shard;
  s.session = session;
  s.subscription_id = id;
  s.options.max_qos = qos;
  return s;
}

// A match flattened to comparable tuples: (shard, session, subscription id, kind), sorted.
using Flat = std::tuple<ShardId, SessionHandle, std::uint32_t, MatchKind>;
inline std::vector<Flat> flatten(const MatchResult& r) {
  std::vector<Flat> out;
  for (ShardId shard : r.shards()) {
    for (const MatchedSubscriber& m : r.for_shard(shard)) {
      out.emplace_back(m.subscriber.shard, m.subscriber.session, m.subscriber.subscription_id,
                       m.kind);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Puts a reader online for its lifetime.
class OnlineReader {
 public:
  OnlineReader(TopicIndex& index, ReaderId id) : index_(index), id_(id) { index_.quiescent(id_); }
  ~OnlineReader() { index_.offline(id_); }
  OnlineReader(const OnlineReader&) = delete;
  OnlineReader& operator=(const OnlineReader&) = delete;

 private:
  TopicIndex& index_;
  ReaderId id_;
};

}  // namespace rmq::router::testing
