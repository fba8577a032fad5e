// Engine: starts the shards, hands each its listeners and handler, and stops them.
//
//   auto engine = Engine::start(config, [](Shard& shard) { return
//   std::make_unique<MyHandler>(shard); }); if (!engine.ok()) { print engine.status().message();
//   exit(1); }
//   (*engine)->wait();  // returns after SIGINT/SIGTERM (handle_signals) or request_stop()
//
// Shutdown sequence: every shard stops accepting, calls ShardHandler::on_stop and then
// on_shutdown for each open connection, flushes and closes them (connections still open after
// EngineConfig::shutdown_timeout are aborted), waits until every shard has closed all of its
// connections, delivers the mailboxes one last time and ends its thread.
#pragma once

#include <liburing.h>
#include <signal.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/status.h"
#include "engine/config.h"
#include "engine/engine_shared.h"
#include "engine/handler.h"
#include "engine/shard.h"

namespace rmq::engine {

// Called once per shard, on the thread calling Engine::start, before the shard's thread runs.
using HandlerFactory = std::function<std::unique_ptr<ShardHandler>(Shard&)>;

class Engine {
 public:
  // Opens the listeners, starts every shard and returns once all of them are running. On failure
  // (bad config, io_uring unavailable, bind failure) nothing is left running and the status says
  // why in one line.
  static Result<std::unique_ptr<Engine>> start(const EngineConfig& config,
                                               HandlerFactory make_handler);
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  // Stops and waits if still running; then destroys handlers, rings and buffers.
  ~Engine();

  // Begins shutdown on every shard and returns at once. Any thread (not a signal handler).
  void request_stop();
  // Blocks until every shard thread has ended. Any thread except a shard's; idempotent.
  void wait();

  std::uint32_t shard_count() const { return shared_->shard_count; }
  // The port bound for config.listen[index] (the chosen one when it asked for port 0).
  std::uint16_t port(std::size_t index = 0) const { return ports_.at(index); }
  // Any thread.
  const ShardStats& stats(ShardId shard) const { return shards_.at(shard)->stats(); }
  std::uint64_t total(const Counter ShardStats::*counter) const;
  std::int64_t total(const Gauge ShardStats::*gauge) const;
  RingSetupMode ring_mode(ShardId shard) const { return shards_.at(shard)->ring_mode(); }
  // Only after wait() returned (the shard's thread has ended).
  const Shard& stopped_shard(ShardId shard) const { return *shards_.at(shard); }

 private:
  struct StartGate;

  explicit Engine(const EngineConfig& config, std::uint32_t shards);
  Status open_listeners_and_signals();
  Status launch(HandlerFactory& make_handler);
  void shard_thread(ShardId id);
  void restore_signals();

  std::unique_ptr<EngineShared> shared_;
  std::unique_ptr<StartGate> gate_;           // outlives the shard threads that wait on it
  std::vector<std::vector<int>> listen_fds_;  // [shard][address]
  std::vector<std::uint16_t> ports_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::vector<std::thread> threads_;

  std::mutex control_mutex_;  // guards the control ring and `joined_`
  io_uring control_{};        // sends MSG_RING wakeups from threads that are not shards
  bool control_ready_ = false;
  bool running_ = false;
  bool joined_ = false;
  std::mutex join_mutex_;
  bool signals_blocked_ = false;
  sigset_t old_mask_{};
};

}  // namespace rmq::engine
