// ACL micro-benchmarks (--acl-file, broker/acl_file.h): the cost of the per-publish and
// per-delivery check with 10 and 100 rules, through the session's decision cache (a few hot
// topics: hits) and past it (topics cycled through: misses, each a full rule walk), plus the
// per-CONNECT cost of compiling a session's rules.
//
// Reported per benchmark: time per check, `allocs_per_op` (heap allocations over the timed loop,
// counted by the operator new hook of bench/common; 0 for checks), and `hit_ratio`.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "broker/acl_file.h"

namespace rmq::broker::bench {
namespace {

// `rules` rules for the user "dev" in the shape of a telemetry deployment: a read and a write
// rule per site (one literal, one wildcard), some denials, and two patterns. The topics checked
// match the last site, so every miss walks the whole list.
std::string rules_text(int rules) {
  std::string text = "user dev\n";
  const int sites = (rules - 4) / 2;
  for (int i = 0; i < sites; ++i) {
    const std::string site = "site" + std::to_string(i);
    text += "topic read fleet/" + site + "/+/telemetry\n";
    text += "topic write cmd/" + site + "/status\n";
  }
  text += "topic deny fleet/site0/secret/telemetry\n";
  text += "topic deny fleet/+/quarantine/#\n";
  text += "pattern readwrite devices/%c/#\n";
  text += "pattern read users/%u/inbox\n";
  return text;
}

std::vector<std::string> topics(int rules, int count) {
  const std::string site = "site" + std::to_string((rules - 4) / 2 - 1);
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.push_back("fleet/" + site + "/dev" + std::to_string(i) + "/telemetry");
  }
  return out;
}

void BM_AclTopicCheck(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const bool cached = state.range(1) != 0;
  const AclParse parsed = parse_acl(rules_text(rules), "bench");
  if (parsed.rules == nullptr) {
    state.SkipWithError(parsed.error.c_str());
    return;
  }
  SessionAcl acl(parsed.rules, 1, "dev-42", SharedString("dev"));
  // Cached: 4 hot topics (fit the 8 slots). Uncached: 4096 topics cycled through.
  const std::vector<std::string> list = topics(rules, cached ? 4 : 4096);
  std::size_t i = 0;
  for (const std::string& t : list) benchmark::DoNotOptimize(acl.topic_access(t));  // warm
  const std::uint64_t hits_before = acl.cache_hits();
  const std::uint64_t misses_before = acl.cache_misses();
  const rmq::bench::AllocScope allocs;
  for (auto _ : state) {
    benchmark::DoNotOptimize(acl.topic_access(list[i]));
    if (++i == list.size()) i = 0;
  }
  const double ops = static_cast<double>(state.iterations());
  state.counters["allocs_per_op"] = static_cast<double>(allocs.counts().allocations) / ops;
  const double hits = static_cast<double>(acl.cache_hits() - hits_before);
  const double misses = static_cast<double>(acl.cache_misses() - misses_before);
  state.counters["hit_ratio"] = hits / (hits + misses);
  state.counters["rules"] = static_cast<double>(rules);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AclTopicCheck)
    ->ArgNames({"rules", "cached"})
    ->Args({10, 1})
    ->Args({10, 0})
    ->Args({100, 1})
    ->Args({100, 0});

// SUBSCRIBE: one filter checked against the rules (not cached; once per filter).
void BM_AclSubscribeCheck(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const AclParse parsed = parse_acl(rules_text(rules), "bench");
  SessionAcl acl(parsed.rules, 1, "dev-42", SharedString("dev"));
  const std::string filter = "fleet/site" + std::to_string((rules - 4) / 2 - 1) + "/+/telemetry";
  const rmq::bench::AllocScope allocs;
  for (auto _ : state) benchmark::DoNotOptimize(acl.may_subscribe(filter));
  state.counters["allocs_per_op"] =
      static_cast<double>(allocs.counts().allocations) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AclSubscribeCheck)->ArgNames({"rules"})->Arg(10)->Arg(100);

// CONNECT: a session's ACL compiled (user lookup, patterns substituted).
void BM_AclCompileSession(benchmark::State& state) {
  const int rules = static_cast<int>(state.range(0));
  const AclParse parsed = parse_acl(rules_text(rules), "bench");
  const SharedString user("dev");
  const rmq::bench::AllocScope allocs;
  for (auto _ : state) {
    SessionAcl acl(parsed.rules, 1, "dev-42", user);
    benchmark::DoNotOptimize(&acl);
  }
  state.counters["allocs_per_op"] =
      static_cast<double>(allocs.counts().allocations) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_AclCompileSession)->ArgNames({"rules"})->Arg(10)->Arg(100);

}  // namespace
}  // namespace rmq::broker::bench

BENCHMARK_MAIN();
