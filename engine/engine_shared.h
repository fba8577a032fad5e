// State shared by every shard of one engine (internal to the engine). Written before the shards
// run (ring_fds, config) or atomics; everything else in a shard is private to its thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "base/clock.h"
#include "engine/config.h"
#include "engine/mailbox.h"

namespace rmq::engine {

struct EngineShared {
  EngineShared(const EngineConfig& engine_config, std::uint32_t shards)
      : config(engine_config),
        clock(engine_config.clock != nullptr ? engine_config.clock : &MonotonicClock::instance()),
        shard_count(shards),
        hub(shards, engine_config.mailbox_capacity),
        ring_fds(shards, -1) {}

  const EngineConfig config;
  const Clock* const clock;
  const std::uint32_t shard_count;
  MailboxHub hub;
  std::vector<int> ring_fds;  // every shard's io_uring fd; set before any shard loop starts
  int signal_fd = -1;         // read by shard 0 when config.handle_signals

  std::atomic<std::int64_t> open_connections{0};  // across all shards (max_connections)
  std::atomic<bool> stop_requested{false};
  std::atomic<std::uint32_t> quiesced{0};  // shards that have closed all their connections
};

}  // namespace rmq::engine
