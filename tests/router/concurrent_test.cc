// Subscribes, unsubscribes and matches at once from several threads (run under ThreadSanitizer
// too). Invariants: a filter subscribed for the whole test is always matched, every match names a
// plausible subscriber, nothing crashes, and (under ASan) nothing leaks.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "router/retained_store.h"
#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::sub;

constexpr std::uint32_t kShards = 2;
constexpr int kWriterOps = 20'000;

// Sessions 1..3 hold the permanent subscriptions; churning sessions are 10..29.
constexpr SessionHandle kPermanentExact = 1;
constexpr SessionHandle kPermanentWildcard = 2;
constexpr SessionHandle kPermanentShared = 3;

const char* const kChurnFilters[] = {
    "perm/exact",
    "perm/a/x",
    "perm/+/+",
    "perm/#",
    "perm/a/#",
    "+/a/x",
    "#",
    "perm/+/x/#",
    "other/1",
    "other/+",
    "$share/g/perm/a/x",
    "$share/h/perm/#",
    "$share/pg/perm/#",
};

void writer(TopicIndex& index, std::uint32_t seed, std::atomic<int>& done) {
  std::mt19937 rng(seed);
  for (int i = 0; i < kWriterOps; ++i) {
    const char* filter = kChurnFilters[rng() % std::size(kChurnFilters)];
    const auto session = static_cast<SessionHandle>(10 + rng() % 20);
    const auto shard = static_cast<ShardId>(rng() % kShards);
    if (rng() % 2 == 0) {
      EXPECT_TRUE(index.subscribe(filter, sub(shard, session, 100 + i % 50)).ok());
    } else {
      EXPECT_TRUE(index.unsubscribe(filter, {shard, session}).ok());
    }
    if (i % 997 == 0) index.compact();
  }
  done.fetch_add(1);
}

std::string distinct_filter(int i) {
  return (i % 2 ? "perm/d" : "perm/a/d") + std::to_string(i) + (i % 3 ? "" : "/+");
}

// Slides a window of 200 live filters over 4,000 distinct ones: tables grow (bucket doubling),
// fill with tombstones and are rebuilt, trie nodes are created and unlinked, while readers match.
void distinct_writer(TopicIndex& index, std::atomic<int>& done) {
  constexpr int kPool = 4000, kWindow = 200;
  for (int i = 0; i < kWriterOps / 2; ++i) {
    const int n = i % kPool;
    const int old = (i + kPool - kWindow) % kPool;
    EXPECT_TRUE(index.subscribe(distinct_filter(n), sub(n % kShards, 10 + n % 20)).ok());
    EXPECT_TRUE(index.unsubscribe(distinct_filter(old), {old % kShards, 10u + old % 20}).ok());
  }
  done.fetch_add(1);
}

// Checks one match; returns false (after recording a failure) when an invariant breaks.
// `min_shared`: shared groups that exist for the whole test and match the topic.
bool check(const MatchResult& r, SessionHandle must_have, int min_shared) {
  bool found = false;
  bool sane = true;
  int shared = 0;
  for (ShardId shard : r.shards()) {
    for (const MatchedSubscriber& m : r.for_shard(shard)) {
      const SubscriberRef& s = m.subscriber;
      sane = sane && s.shard == shard && (s.session <= 3 || (s.session >= 10 && s.session < 30));
      if (m.kind == MatchKind::kDirect && s.session == must_have) found = true;
      if (m.kind == MatchKind::kShared) ++shared;
    }
  }
  EXPECT_TRUE(sane) << "a match names a subscriber nobody subscribed";
  EXPECT_TRUE(found) << "the permanent subscription of session " << must_have << " was missed";
  EXPECT_GE(shared, min_shared) << "a permanent shared group was not served";
  return sane && found && shared >= min_shared;
}

void reader(TopicIndex& index, ReaderId id, const std::atomic<int>& writers_done, int writers,
            std::atomic<long>& matches) {
  MatchResult result;
  long n = 0;
  while (writers_done.load() < writers) {
    index.quiescent(id);
    index.match("perm/exact", result);
    if (!check(result, kPermanentExact, 1)) break;
    index.match("perm/a/x", result);
    // Group pg (on perm/#) always has session 3 as a member: served by every match.
    if (!check(result, kPermanentWildcard, 1)) break;
    EXPECT_EQ(result.unserved_groups(), 0u);
    n += 2;
  }
  index.offline(id);
  matches.fetch_add(n);
}

TEST(Concurrent, SubscribeUnsubscribeAndMatchAtOnce) {
  TopicIndex index({.shards = kShards, .readers = 2});
  ASSERT_TRUE(index.subscribe("perm/exact", sub(0, kPermanentExact)).ok());
  ASSERT_TRUE(index.subscribe("perm/+/x", sub(1, kPermanentWildcard)).ok());
  ASSERT_TRUE(index.subscribe("$share/pg/perm/#", sub(0, kPermanentShared)).ok());

  constexpr int kWriters = 3;
  std::atomic<int> writers_done{0};
  std::atomic<long> matches{0};
  std::vector<std::thread> threads;
  for (ReaderId id = 0; id < 2; ++id) {
    threads.emplace_back(reader, std::ref(index), id, std::cref(writers_done), kWriters,
                         std::ref(matches));
  }
  for (int w = 0; w < 2; ++w) {
    threads.emplace_back(writer, std::ref(index), 1234u + w, std::ref(writers_done));
  }
  threads.emplace_back(distinct_writer, std::ref(index), std::ref(writers_done));
  for (std::thread& t : threads) t.join();
  EXPECT_GT(matches.load(), 0);
  RecordProperty("matches", std::to_string(matches.load()));

  // Quiet now: the permanent subscriptions are intact, the churned ones can all be removed.
  for (int i = 0; i < 4000; ++i) {
    ASSERT_TRUE(index.unsubscribe(distinct_filter(i), {i % kShards, 10u + i % 20}).ok());
  }
  for (const char* filter : kChurnFilters) {
    for (SessionHandle s = 10; s < 30; ++s) {
      for (ShardId shard = 0; shard < kShards; ++shard) {
        ASSERT_TRUE(index.unsubscribe(filter, {shard, s}).ok());
      }
    }
  }
  const IndexStats s = index.stats();
  EXPECT_EQ(s.subscriptions, 3u);
  EXPECT_EQ(s.exact_filters, 1u);
  EXPECT_EQ(s.wildcard_filters, 2u);
  index.compact();
  EXPECT_EQ(index.stats().retired_pending, 0u) << "both readers are offline";
}

// A session hops between shards and handles by resubscribe() while readers match: every match
// sees exactly one copy of the moving subscription (direct and shared), never none, never two.
TEST(Concurrent, ResubscribeIsSeenExactlyOnce) {
  TopicIndex index({.shards = kShards, .readers = 2});
  const char* const filters[] = {"move/exact", "move/+", "$share/g/move/#"};
  SessionKey at{0, 100};
  for (const char* f : filters) ASSERT_TRUE(index.subscribe(f, sub(at.shard, at.session)).ok());
  std::atomic<bool> stop{false};
  std::vector<std::thread> readers;
  for (ReaderId id = 0; id < 2; ++id) {
    readers.emplace_back([&index, &stop, id] {
      MatchResult result;
      while (!stop.load()) {
        index.quiescent(id);
        index.match("move/exact", result);
        int direct = 0, shared = 0;
        for (ShardId shard : result.shards()) {
          for (const MatchedSubscriber& m : result.for_shard(shard)) {
            ++(m.kind == MatchKind::kDirect ? direct : shared);
          }
        }
        ASSERT_EQ(direct, 2) << "move/exact and move/+, one copy each";
        ASSERT_EQ(shared, 1);
      }
      index.offline(id);
    });
  }
  for (int hop = 0; hop < 5000; ++hop) {
    const SessionKey next{static_cast<ShardId>((at.shard + 1) % kShards), at.session + 1};
    for (const char* f : filters) {
      ASSERT_EQ(*index.resubscribe(f, at, sub(next.shard, next.session)),
                SubscribeOutcome::kReplaced);
    }
    at = next;
  }
  stop.store(true);
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(index.stats().subscriptions, 3u);
}

TEST(Concurrent, RetainedStoreFromSeveralThreads) {
  RetainedStore store({.max_messages = 50, .max_bytes = 1 << 20});
  const std::uint8_t payload[] = {1, 2, 3};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&store, &payload, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string topic = "r/" + std::to_string((i * 7 + t) % 80);
        RetainedFields fields;
        fields.topic = topic;
        if (i % 5 != 0) fields.payload = payload;  // every fifth one deletes
        store.set(RetainedMessage::create(fields));
      }
    });
  }
  threads.emplace_back([&store, &stop] {
    std::vector<RetainedPtr> found;
    while (!stop.load()) {
      found.clear();
      ASSERT_TRUE(store.lookup("r/#", MonoTime{}, found).ok());
      ASSERT_LE(found.size(), 50u);
      for (const RetainedPtr& m : found) ASSERT_EQ(m->payload().size(), 3u);
    }
  });
  threads[0].join();
  threads[1].join();
  stop.store(true);
  threads[2].join();
  const RetainedStats s = store.stats();
  EXPECT_LE(s.messages, 50u);
  std::vector<RetainedPtr> all;
  ASSERT_TRUE(store.lookup("#", MonoTime{}, all).ok());
  EXPECT_EQ(all.size(), s.messages);
  std::size_t bytes = 0;
  for (const RetainedPtr& m : all) bytes += m->size_bytes();
  EXPECT_EQ(s.bytes, bytes);
}

}  // namespace
}  // namespace rmq::router
