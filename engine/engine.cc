#include "engine/engine.h"

#include <sys/signalfd.h>
#include <unistd.h>

#include <condition_variable>

#include "base/log.h"
#include "engine/listener.h"
#include "engine/ring.h"

namespace rmq::engine {

struct Engine::StartGate {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint32_t reported = 0;
  Status first_error;
  bool decided = false;
  bool go = false;
};

Engine::Engine(const EngineConfig& config, std::uint32_t shards)
    : shared_(std::make_unique<EngineShared>(config, shards)),
      gate_(std::make_unique<StartGate>()),
      listen_fds_(shards) {}

Result<std::unique_ptr<Engine>> Engine::start(const EngineConfig& config,
                                              HandlerFactory make_handler) {
  RMQ_RETURN_IF_ERROR(config.validate());
  RMQ_RETURN_IF_ERROR(check_required_features(kernel_features()));
  std::uint32_t shards = config.shards;
  if (shards == 0) {
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    shards = online > 0 ? static_cast<std::uint32_t>(online) : 1;
    if (shards > kMaxShards) shards = kMaxShards;
  }
  std::unique_ptr<Engine> engine(new Engine(config, shards));
  RMQ_RETURN_IF_ERROR(engine->open_listeners_and_signals());
  const int rc = io_uring_queue_init(8, &engine->control_, 0);
  if (rc < 0) return ring_setup_error(-rc);
  engine->control_ready_ = true;
  RMQ_RETURN_IF_ERROR(engine->launch(make_handler));
  return engine;
}

Status Engine::open_listeners_and_signals() {
  const EngineConfig& config = shared_->config;
  for (const ListenAddress& address : config.listen) {
    Result<ListenerSet> set = open_listeners(address, shared_->shard_count, config.listen_backlog);
    if (!set.ok()) return set.status();
    ports_.push_back(set->port);
    for (std::uint32_t i = 0; i < shared_->shard_count; ++i) listen_fds_[i].push_back(set->fds[i]);
  }
  if (config.handle_signals) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (config.on_reload) sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &old_mask_);
    signals_blocked_ = true;
    shared_->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (shared_->signal_fd < 0) {
      return Status::Errno(StatusCode::kIoError, "signalfd() failed", errno);
    }
  }
  return OkStatus();
}

Status Engine::launch(HandlerFactory& make_handler) {
  for (ShardId i = 0; i < shared_->shard_count; ++i) {
    shards_.push_back(std::make_unique<Shard>(*shared_, i, std::move(listen_fds_[i])));
    shards_.back()->set_handler(make_handler(*shards_.back()));
  }
  StartGate& gate = *gate_;
  running_ = true;
  for (ShardId i = 0; i < shared_->shard_count; ++i) {
    threads_.emplace_back([this, i] { shard_thread(i); });
  }
  std::unique_lock<std::mutex> lock(gate.mutex);
  gate.changed.wait(lock, [&] { return gate.reported == shared_->shard_count; });
  gate.decided = true;
  gate.go = gate.first_error.ok();
  gate.changed.notify_all();
  lock.unlock();
  if (!gate.go) {
    wait();
    return gate.first_error;
  }
  RMQ_LOG_INFO("engine: %u shards running (io_uring %s)", shared_->shard_count,
               to_string(shards_[0]->ring_mode()));
  return OkStatus();
}

void Engine::shard_thread(ShardId id) {
  Shard& shard = *shards_[id];
  StartGate& gate = *gate_;
  Result<int> ring_fd = shard.init();
  bool go = false;
  {
    std::unique_lock<std::mutex> lock(gate.mutex);
    if (ring_fd.ok()) {
      shared_->ring_fds[id] = *ring_fd;
    } else if (gate.first_error.ok()) {
      gate.first_error = ring_fd.status();
    }
    ++gate.reported;
    gate.changed.notify_all();
    gate.changed.wait(lock, [&] { return gate.decided; });
    go = gate.go;
  }
  if (go) shard.run();
}

void Engine::request_stop() {
  shared_->stop_requested.store(true, std::memory_order_release);
  std::lock_guard<std::mutex> lock(control_mutex_);
  if (!control_ready_ || !running_ || joined_) return;
  for (ShardId i = 0; i < shared_->shard_count; ++i) {
    io_uring_sqe* sqe = io_uring_get_sqe(&control_);
    if (sqe == nullptr) {
      io_uring_submit(&control_);
      sqe = io_uring_get_sqe(&control_);
    }
    RMQ_ASSERT(sqe != nullptr);
    io_uring_prep_msg_ring(sqe, shared_->ring_fds[i], 0,
                           encode_user_data(OpTag::kStopWake, kMaxShards), 0);
    io_uring_sqe_set_data64(sqe, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  }
  io_uring_submit(&control_);
  io_uring_cqe* cqe = nullptr;
  while (io_uring_peek_cqe(&control_, &cqe) == 0) io_uring_cqe_seen(&control_, cqe);
}

void Engine::wait() {
  std::lock_guard<std::mutex> join_lock(join_mutex_);
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  {
    std::lock_guard<std::mutex> lock(control_mutex_);
    joined_ = true;
  }
  restore_signals();
}

void Engine::restore_signals() {
  if (shared_->signal_fd >= 0) {
    ::close(shared_->signal_fd);
    shared_->signal_fd = -1;
  }
  if (signals_blocked_) {
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
    signals_blocked_ = false;
  }
}

Engine::~Engine() {
  if (running_) {
    request_stop();
    wait();
  }
  restore_signals();
  shards_.clear();
  for (auto& fds : listen_fds_) {
    for (int fd : fds) ::close(fd);
  }
  if (control_ready_) io_uring_queue_exit(&control_);
}

std::uint64_t Engine::total(const Counter ShardStats::*counter) const {
  std::uint64_t sum = 0;
  for (const auto& shard : shards_) sum += (shard->stats().*counter).value();
  return sum;
}

std::int64_t Engine::total(const Gauge ShardStats::*gauge) const {
  std::int64_t sum = 0;
  for (const auto& shard : shards_) sum += (shard->stats().*gauge).value();
  return sum;
}

}  // namespace rmq::engine
