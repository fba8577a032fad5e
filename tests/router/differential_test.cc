// TopicIndex::match() against the naive matcher of router_test_util.h, on random filters and
// topics drawn from a small alphabet so that collisions happen: empty levels, '$' topics, '+' and
// '#', shared groups, and unsubscribes between rounds.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "router/topic.h"
#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::naive_match;

constexpr std::uint32_t kShards = 3;

class Generator {
 public:
  explicit Generator(std::uint32_t seed) : rng_(seed) {}

  // Topics and filters are never empty [MQTT-4.7.3-1]; a lone empty level is redrawn.
  std::string topic() {
    std::string out = first_level(/*wildcards=*/false);
    const int more = pick(0, 4);
    for (int i = 0; i < more; ++i) out += "/" + level(/*wildcards=*/false);
    return out.empty() ? topic() : out;
  }

  std::string filter() {
    std::string out = first_level(/*wildcards=*/true);
    if (out == "#") return out;
    const int more = pick(0, 4);
    for (int i = 0; i < more; ++i) out += "/" + level(/*wildcards=*/true);
    if (pick(0, 4) == 0) out += "/#";
    return out.empty() ? filter() : out;
  }

  std::string group() { return pick(0, 1) == 0 ? "g1" : "g2"; }
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

 private:
  std::string first_level(bool wildcards) {
    const int r = pick(0, 9);
    if (r == 0) return "$SYS";
    if (r == 1) return "$x";
    if (wildcards && r == 2) return "#";
    return level(wildcards);
  }
  std::string level(bool wildcards) {
    static const char* const kLevels[] = {"a", "b", "c", "", "+"};
    return kLevels[pick(0, wildcards ? 4 : 3)];
  }

  std::mt19937 rng_;
};

struct Subscription {
  std::string filter;  // without the $share prefix
  std::string group;   // empty: direct
  SubscriberRef ref;
};

class Differential : public ::testing::TestWithParam<std::uint32_t> {
 protected:
  void check_topic(std::string_view topic) {
    index_.match(topic, result_);
    // Direct matches must be exactly the naive ones; each matching shared group (group, filter)
    // must give exactly one of its members.
    std::multiset<std::tuple<ShardId, SessionHandle, std::uint32_t>> want_direct, got_direct;
    std::map<std::pair<std::string, std::string>, std::set<std::uint32_t>> want_groups;
    for (const auto& [id, s] : live_) {
      if (!naive_match(s.filter, topic)) continue;
      if (s.group.empty()) {
        want_direct.emplace(s.ref.shard, s.ref.session, s.ref.subscription_id);
      } else {
        want_groups[{s.group, s.filter}].insert(s.ref.subscription_id);
      }
    }
    std::size_t shared_seen = 0;
    std::set<std::pair<std::string, std::string>> groups_served;
    for (ShardId shard : result_.shards()) {
      for (const MatchedSubscriber& m : result_.for_shard(shard)) {
        const SubscriberRef& r = m.subscriber;
        ASSERT_EQ(r.shard, shard);
        if (m.kind == MatchKind::kDirect) {
          got_direct.emplace(r.shard, r.session, r.subscription_id);
          continue;
        }
        ++shared_seen;
        const Subscription& s = live_.at(r.subscription_id);
        ASSERT_FALSE(s.group.empty());
        ASSERT_TRUE(want_groups.count({s.group, s.filter})) << topic << " " << s.filter;
        EXPECT_TRUE(groups_served.insert({s.group, s.filter}).second)
            << "two members of one group for " << topic;
      }
    }
    EXPECT_EQ(got_direct, want_direct) << "topic " << topic;
    EXPECT_EQ(shared_seen, want_groups.size()) << "topic " << topic;
    EXPECT_EQ(result_.unserved_groups(), 0u);
  }

  void subscribe_random(Generator& gen) {
    Subscription s;
    s.filter = gen.filter();
    if (gen.pick(0, 5) == 0) s.group = gen.group();
    // Unique id per subscription: ids tell which filter matched.
    s.ref.subscription_id = next_id_++;
    s.ref.shard = static_cast<ShardId>(gen.pick(0, kShards - 1));
    s.ref.session = static_cast<SessionHandle>(gen.pick(0, 30));
    const std::string full = s.group.empty() ? s.filter : "$share/" + s.group + "/" + s.filter;
    const auto outcome = index_.subscribe(full, s.ref);
    ASSERT_TRUE(outcome.ok()) << full;
    // A resubscription of the same (filter, group, session) replaces the previous one.
    for (auto it = live_.begin(); it != live_.end(); ++it) {
      const Subscription& old = it->second;
      if (old.filter == s.filter && old.group == s.group && old.ref.key() == s.ref.key()) {
        EXPECT_EQ(*outcome, SubscribeOutcome::kReplaced);
        live_.erase(it);
        break;
      }
    }
    live_.emplace(s.ref.subscription_id, s);
  }

  void unsubscribe_random(Generator& gen) {
    if (live_.empty()) return;
    auto it = live_.begin();
    std::advance(it, gen.pick(0, static_cast<int>(live_.size()) - 1));
    const Subscription& s = it->second;
    const std::string full = s.group.empty() ? s.filter : "$share/" + s.group + "/" + s.filter;
    EXPECT_EQ(*index_.unsubscribe(full, s.ref.key()), UnsubscribeOutcome::kRemoved) << full;
    live_.erase(it);
  }

  TopicIndex index_{{.shards = kShards}};
  testing::OnlineReader reader_{index_, 0};
  MatchResult result_;
  std::map<std::uint32_t, Subscription> live_;  // by subscription id
  std::uint32_t next_id_ = 1;
};

TEST_P(Differential, RandomFiltersAndTopics) {
  Generator gen(GetParam());
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 80; ++i) subscribe_random(gen);
    for (int i = 0; i < 30; ++i) unsubscribe_random(gen);
    for (int i = 0; i < 500; ++i) {
      check_topic(gen.topic());
      if (HasFatalFailure() || HasFailure()) return;
    }
    index_.quiescent(0);
  }
  // Tear everything down: the trie must shrink back to its root.
  while (!live_.empty()) unsubscribe_random(gen);
  const IndexStats s = index_.stats();
  EXPECT_EQ(s.subscriptions, 0u);
  EXPECT_EQ(s.trie_nodes, 1u);
  EXPECT_EQ(s.exact_filters + s.wildcard_filters, 0u);
}

// filter_matches() against the naive matcher on the same random inputs.
TEST_P(Differential, FilterMatchesAgreesWithNaive) {
  Generator gen(GetParam() + 1000);
  for (int i = 0; i < 5000; ++i) {
    const std::string f = gen.filter();
    const std::string t = gen.topic();
    ASSERT_EQ(filter_matches(f, t), naive_match(f, t)) << f << " vs " << t;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, Differential, ::testing::Values(1u, 2u, 3u, 42u, 2024u));

}  // namespace
}  // namespace rmq::router
