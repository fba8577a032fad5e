// Engine throughput over loopback: echo and one-to-many relay, 16 B and 1 KiB messages, 1 and 2
// shards; and bursts of many small queued slices on one connection (how fast a long send queue
// drains). Server and load clients share this machine's CPUs; compare runs on the same machine
// only.
//
//   ringmq-engine-throughput [seconds per scenario (default 2)] [scenario: echo|relay|burst|all]
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/log.h"
#include "bench_handlers.h"
#include "load_client.h"

namespace rmq::bench {
namespace {

using namespace std::chrono_literals;

engine::EngineConfig server_config(std::uint32_t shards) {
  engine::EngineConfig config;
  config.shards = shards;
  config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
  config.recv_buffer_count = 1024;
  config.recv_buffer_size = 16 * 1024;
  return config;
}

void print_row(const char* scenario, std::uint32_t shards, std::size_t size, double messages,
               double bytes, const std::string& note) {
  std::printf("%-8s shards=%u msg=%5zuB  %12.0f msg/s  %9.1f MB/s  %s\n", scenario, shards, size,
              messages, bytes / 1e6, note.c_str());
  std::fflush(stdout);
}

// `window` messages in flight per connection: 1 is a ping-pong (one round trip per message),
// larger windows let receives and sends batch.
void run_echo(std::uint32_t shards, std::size_t size, std::size_t window, Duration measure) {
  auto engine = engine::Engine::start(server_config(shards), [](engine::Shard& shard) {
    return std::make_unique<EchoService>(shard);
  });
  if (!engine.ok()) {
    std::fprintf(stderr, "engine start failed: %s\n", engine.status().message());
    std::exit(1);
  }
  const LoadResult r = run_echo_load((*engine)->port(), 32, 2, size, window, 500ms, measure);
  const double bytes_per_second = static_cast<double>(r.bytes) / r.seconds;
  const std::uint64_t sendmsgs = (*engine)->total(&engine::ShardStats::sendmsg_calls);
  const std::uint64_t recvs = (*engine)->total(&engine::ShardStats::recv_completions);
  print_row(window == 1 ? "pingpong" : "echo", shards, size,
            bytes_per_second / static_cast<double>(size), bytes_per_second,
            "(32 conns x " + std::to_string(window) + " in flight; " + std::to_string(recvs) +
                " recv CQEs, " + std::to_string(sendmsgs) + " sendmsg)");
}

bool relay_ready(void* context) {
  return static_cast<RelayState*>(context)->subscribers.load() >= 16;
}

void run_relay(std::uint32_t shards, std::size_t size, Duration measure) {
  RelayState state;
  state.message_size = size;
  auto engine = engine::Engine::start(server_config(shards), [&](engine::Shard& shard) {
    return std::make_unique<RelayService>(shard, state);
  });
  if (!engine.ok()) {
    std::fprintf(stderr, "engine start failed: %s\n", engine.status().message());
    std::exit(1);
  }
  const RelayResult r =
      run_relay_load((*engine)->port(), 16, size, 500ms, measure, relay_ready, &state);
  const double delivered = static_cast<double>(r.delivered) / r.seconds;
  const double published = static_cast<double>(r.published) / r.seconds;
  print_row("relay", shards, size, delivered / static_cast<double>(size), delivered,
            "delivered to 16 subscribers; published " +
                std::to_string(static_cast<long long>(published / static_cast<double>(size))) +
                " msg/s; dropped batches " + std::to_string(state.dropped_batches.load()) +
                ", mailbox full " + std::to_string(state.mailbox_full.load()) + ", wakeups " +
                std::to_string((*engine)->total(&engine::ShardStats::wakeups_sent)));
}

// 4 connections; each asks for a burst of `messages` x `size` bytes, reads it all, asks again.
void run_burst(std::uint32_t shards, std::size_t size, std::size_t messages, Duration measure) {
  auto engine = engine::Engine::start(server_config(shards), [&](engine::Shard& shard) {
    return std::make_unique<BurstService>(shard, messages, size);
  });
  if (!engine.ok()) {
    std::fprintf(stderr, "engine start failed: %s\n", engine.status().message());
    std::exit(1);
  }
  const BurstResult r = run_burst_load((*engine)->port(), 4, messages * size, 500ms, measure);
  const double bytes_per_second = static_cast<double>(r.load.bytes) / r.load.seconds;
  const auto sendmsgs = static_cast<double>((*engine)->total(&engine::ShardStats::sendmsg_calls));
  const auto sent = static_cast<double>((*engine)->total(&engine::ShardStats::send_bytes));
  const double per_burst = sent > 0 ? sendmsgs * static_cast<double>(messages * size) / sent : 0;
  char note[160];
  std::snprintf(note, sizeof(note), "(4 conns x bursts of %zu; %.1f bursts/s, %.0f sendmsg/burst)",
                messages, static_cast<double>(r.bursts) / r.load.seconds, per_burst);
  print_row("burst", shards, size, bytes_per_second / static_cast<double>(size), bytes_per_second,
            note);
}

}  // namespace
}  // namespace rmq::bench

int main(int argc, char** argv) {
  rmq::set_log_level(rmq::LogLevel::kWarn);
  const double seconds = argc > 1 ? std::atof(argv[1]) : 2.0;
  const auto measure = std::chrono::duration_cast<rmq::Duration>(
      std::chrono::duration<double>(seconds > 0 ? seconds : 2.0));
  const std::string only = argc > 2 ? argv[2] : "all";
  const bool all = only == "all";
  if (all || only == "echo") {
    for (std::uint32_t shards : {1u, 2u}) {
      rmq::bench::run_echo(shards, 16, 1, measure);
      rmq::bench::run_echo(shards, 16, 64, measure);
      rmq::bench::run_echo(shards, 1024, 16, measure);
    }
  }
  if (all || only == "relay") {
    for (std::uint32_t shards : {1u, 2u}) {
      for (std::size_t size : {std::size_t{16}, std::size_t{1024}}) {
        rmq::bench::run_relay(shards, size, measure);
      }
    }
  }
  if (all || only == "burst") {
    for (std::uint32_t shards : {1u, 2u}) {
      rmq::bench::run_burst(shards, 32, 200000, measure);
      rmq::bench::run_burst(shards, 256, 20000, measure);
    }
  }
  return 0;
}
