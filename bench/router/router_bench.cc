// Router micro-benchmarks: TopicIndex::match() over a telemetry workload (workload.h) of 1k, 100k
// and 1M subscriptions, on 1 and 2 matching threads, alone or while another thread subscribes and
// unsubscribes.
//
// Reported per benchmark: time per match (the time column; real time for the threaded runs),
// `allocs_per_match` (heap allocations of the matching thread over the timed loop, counted by the
// operator new hook of bench/common; 0 in steady state), `subs_per_match` (subscribers returned),
// and for the churn runs `churn_ops_per_s` (subscribe + unsubscribe calls per second of the
// writer). The index build reports `bytes_per_sub` (heap in use, from mallinfo2), `rss_per_sub`
// and `subscribe_ns`.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bench/common/alloc_counter.h"
#include "bench/router/workload.h"
#include "router/match_result.h"
#include "router/topic_index.h"

namespace rmq::router::bench {
namespace {

constexpr std::size_t kTopics = 1 << 14;  // distinct topics published, cycled through
constexpr int kQuiescentEvery = 64;       // matches per quiescent point (a shard's loop turn)
constexpr ReaderId kMaxReaders = 4;

struct Built {
  std::unique_ptr<TopicIndex> index;
  Workload workload;
  double bytes_per_sub = 0;
  double rss_per_sub = 0;
  double subscribe_ns = 0;
};

std::size_t heap_in_use() {
  const struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * 4096;
}

// Indexes are built once per (size, exact_only) and kept for the whole run.
Built& built(std::size_t subscriptions, bool exact_only) {
  static std::mutex mutex;
  static std::map<std::pair<std::size_t, bool>, std::unique_ptr<Built>> cache;
  std::lock_guard lock(mutex);
  std::unique_ptr<Built>& slot = cache[{subscriptions, exact_only}];
  if (slot) return *slot;
  slot = std::make_unique<Built>();
  Workload w = make_workload(subscriptions, kTopics, 42, exact_only);
  malloc_trim(0);
  const std::size_t heap_before = heap_in_use();
  const std::size_t rss_before = rss_bytes();
  const auto start = std::chrono::steady_clock::now();
  slot->index =
      std::make_unique<TopicIndex>(TopicIndexConfig{.shards = kShards, .readers = kMaxReaders});
  subscribe_all(*slot->index, w);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  slot->index->reclaim();
  const double n = static_cast<double>(subscriptions);
  slot->bytes_per_sub = static_cast<double>(heap_in_use() - heap_before) / n;
  slot->rss_per_sub = static_cast<double>(rss_bytes() - rss_before) / n;
  slot->subscribe_ns = std::chrono::duration<double, std::nano>(elapsed).count() / n;
  slot->workload = std::move(w);
  return *slot;
}

// The writer of the churn runs: a window of 1,000 live filters (exact and wildcard) sliding over
// a pool of 20,000, so that every call adds or removes a filter, nodes and table slots.
class Churner {
 public:
  explicit Churner(TopicIndex& index, int sites) : index_(index), sites_(sites) {
    thread_ = std::thread([this] { run(); });
  }
  ~Churner() {
    stop_.store(true);
    thread_.join();
  }
  double ops_per_second() const {
    return static_cast<double>(ops_.load()) /
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string filter(int i) const {
    const std::string site = std::to_string(i % sites_);
    const std::string k = std::to_string(i);
    return i % 2 ? "site/" + site + "/device/" + k + "/churn" : "site/" + site + "/device/+/c" + k;
  }
  void run() {
    constexpr int kPool = 20'000, kWindow = 1'000;
    SubscriberRef s;
    for (int i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
      s.shard = static_cast<ShardId>(i % kShards);
      s.session = static_cast<SessionHandle>(i % kPool);
      static_cast<void>(index_.subscribe(filter(i % kPool), s));
      const int old = (i + kPool - kWindow) % kPool;
      static_cast<void>(index_.unsubscribe(
          filter(old), {static_cast<ShardId>(old % kShards), static_cast<SessionHandle>(old)}));
      ops_.fetch_add(2, std::memory_order_relaxed);
    }
  }

  TopicIndex& index_;
  const int sites_;
  std::atomic<bool> stop_{false};
  std::atomic<long> ops_{0};
  const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

void run_matches(benchmark::State& state, Built& b) {
  TopicIndex& index = *b.index;
  const auto me = static_cast<ReaderId>(state.thread_index());
  const std::vector<std::string>& topics = b.workload.topics;
  MatchResult result;
  index.quiescent(me);
  // Warm-up: grow `result` to its largest size. Shared-group picks rotate over shards, so one
  // pass is not quite enough for every per-shard vector to reach its peak.
  for (int pass = 0; pass < 3; ++pass) {
    for (const std::string& t : topics) index.match(t, result);
    index.quiescent(me);
  }

  std::size_t i = static_cast<std::size_t>(me) * 4099;
  std::size_t matched = 0;
  const rmq::bench::AllocScope allocs;
  for (auto _ : state) {
    index.match(topics[i++ % kTopics], result);
    matched += result.size();
    if (i % kQuiescentEvery == 0) index.quiescent(me);
  }
  const auto counted = allocs.counts();
  index.offline(me);
  const auto iterations = static_cast<double>(state.iterations());
  // Every thread reports; kAvgThreads makes the threaded runs show the per-thread average.
  auto per_thread = [&state](const char* name, double value) {
    state.counters[name] = benchmark::Counter(value, benchmark::Counter::kAvgThreads);
  };
  per_thread("allocs_per_match", static_cast<double>(counted.allocations) / iterations);
  per_thread("subs_per_match", static_cast<double>(matched) / iterations);
  per_thread("bytes_per_sub", b.bytes_per_sub);
  per_thread("rss_per_sub", b.rss_per_sub);
  per_thread("subscribe_ns", b.subscribe_ns);
  state.SetItemsProcessed(state.iterations());
}

void BM_Match(benchmark::State& state) {
  run_matches(state, built(static_cast<std::size_t>(state.range(0)), false));
}

void BM_MatchExactOnly(benchmark::State& state) {
  run_matches(state, built(static_cast<std::size_t>(state.range(0)), true));
}

void BM_MatchUnderChurn(benchmark::State& state) {
  Built& b = built(static_cast<std::size_t>(state.range(0)), false);
  static std::unique_ptr<Churner> churner;
  if (state.thread_index() == 0) churner = std::make_unique<Churner>(*b.index, b.workload.sites);
  run_matches(state, b);
  if (state.thread_index() == 0) {
    state.counters["churn_ops_per_s"] = churner->ops_per_second();
    churner.reset();
  }
}

BENCHMARK(BM_Match)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();
BENCHMARK(BM_MatchExactOnly)->Arg(100'000)->Threads(1);
BENCHMARK(BM_MatchUnderChurn)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

}  // namespace
}  // namespace rmq::router::bench

BENCHMARK_MAIN();
