// The match path allocates nothing in steady state: once a MatchResult (and a DeliveryList) has
// grown, matching the same workload again makes no heap allocation on the matching thread.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "bench/common/alloc_counter.h"
#include "bench/router/workload.h"
#include "router/delivery.h"
#include "router/match_result.h"
#include "router/topic_index.h"

namespace rmq::router::bench {
namespace {

using rmq::bench::AllocScope;

class MatchAllocations : public ::testing::Test {
 protected:
  void SetUp() override {
    workload_ = make_workload(20'000, 4'096, 7);
    subscribe_all(index_, workload_);
    index_.quiescent(0);
  }
  void TearDown() override { index_.offline(0); }

  // Matches every topic once; returns the subscribers matched.
  std::size_t pass(SkipMember skip = {}) {
    std::size_t matched = 0;
    for (const std::string& t : workload_.topics) {
      index_.match(t, result_, skip);
      matched += result_.size();
      for (ShardId shard : result_.shards())
        merge_by_session(result_.for_shard(shard), deliveries_);
      deliveries_.clear();
      index_.quiescent(0);
    }
    return matched;
  }

  Workload workload_;
  TopicIndex index_{{.shards = kShards, .readers = 2}};
  MatchResult result_;
  DeliveryList deliveries_;
};

TEST_F(MatchAllocations, NoneOnceWarm) {
  const std::size_t warm = pass();
  ASSERT_GT(warm, workload_.topics.size()) << "the workload matches something";
  const AllocScope scope;
  EXPECT_EQ(pass(), warm);
  EXPECT_EQ(scope.counts().allocations, 0u);
}

TEST_F(MatchAllocations, NoneWithASkipPredicate) {
  auto skip_odd = [](const SubscriberRef& m) { return m.session % 2 == 1; };
  pass(skip_odd);
  const AllocScope scope;
  pass(skip_odd);
  EXPECT_EQ(scope.counts().allocations, 0u);
}

TEST_F(MatchAllocations, NoneWhileAnotherThreadChurns) {
  pass();
  std::atomic<bool> stop{false};
  std::thread writer([this, &stop] {
    SubscriberRef s;
    for (int i = 0; !stop.load(); ++i) {
      const std::string f = "site/" + std::to_string(i % workload_.sites) + "/device/" +
                            std::to_string(i % 1000) + (i % 2 ? "/x" : "/+");
      s.session = static_cast<SessionHandle>(i);
      static_cast<void>(index_.subscribe(f, s));
      static_cast<void>(index_.unsubscribe(f, s.key()));
    }
  });
  std::uint64_t allocations = 0;
  for (int round = 0; round < 5; ++round) {
    const AllocScope scope;
    pass();
    allocations += scope.counts().allocations;
  }
  stop.store(true);
  writer.join();
  RecordProperty("reader_allocations", std::to_string(allocations));
  // Writers initialise table buckets before readers can reach them (slot_table.h).
  EXPECT_EQ(allocations, 0u) << "over " << 5 * workload_.topics.size() << " matches";
}

}  // namespace
}  // namespace rmq::router::bench
