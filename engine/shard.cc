#include "engine/shard.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "base/log.h"
#include "engine/ring.h"

namespace rmq::engine {
namespace {

// Mailbox messages taken from each source per turn: about what one reap of receive completions
// brings in from local clients, so remote publishers are served as often as local ones.
constexpr std::size_t kMailboxBudgetPerSource = 1024;
constexpr std::size_t kCachedSendQueues = 1024;
constexpr std::size_t kCachedRecvTails = 256;
// Iovecs lent to the sends of one submission batch: eight full-size sendmsgs (128 KiB).
constexpr std::size_t kIovecArenaEntries = 8 * SendQueue::kMaxIov;

void pin_to_cpu(ShardId id) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) return;
  const int count = CPU_COUNT(&allowed);
  if (count <= 0) return;
  int wanted = static_cast<int>(id % static_cast<std::uint32_t>(count));
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &allowed)) continue;
    if (wanted-- == 0) {
      cpu_set_t one;
      CPU_ZERO(&one);
      CPU_SET(cpu, &one);
      if (pthread_setaffinity_np(pthread_self(), sizeof(one), &one) != 0) {
        RMQ_LOG_WARN("shard %u: cannot pin to CPU %d", id, cpu);
      }
      return;
    }
  }
}

}  // namespace

Shard::Shard(EngineShared& shared, ShardId id, std::vector<int> listen_fds)
    : shared_(shared),
      config_(shared.config),
      id_(id),
      slab_(std::min(shared.config.max_connections, kMaxSlotsPerShard)),
      wheel_(shared.config.timer_tick, shared.config.timer_slots, shared.clock->now()),
      send_queues_(kCachedSendQueues),
      recv_tails_(kCachedRecvTails),
      iovecs_(kIovecArenaEntries),
      listen_fds_(std::move(listen_fds)),
      accept_armed_(listen_fds_.size(), false),
      outbox_listed_(shared.shard_count, false) {}

Shard::~Shard() {
  handler_.reset();  // may release RingBuf leases into the still-registered ring
  for (int fd : listen_fds_) {
    if (fd >= 0) ::close(fd);
  }
  if (ring_ready_) io_uring_queue_exit(&ring_);
  logs_.clear();  // after the ring: a write still in flight reads their queued bytes
  buffers_.reset();
}

Result<int> Shard::init() {
  char name[16];
  std::snprintf(name, sizeof(name), "rmq-shard-%u", id_);
  pthread_setname_np(pthread_self(), name);
  if (config_.pin_threads) pin_to_cpu(id_);
  Result<RingSetupMode> mode = setup_ring(&ring_, config_.sq_entries, config_.ring_setup);
  if (!mode.ok()) return mode.status();
  ring_ready_ = true;
  ring_mode_ = *mode;
  if ((ring_.features & IORING_FEAT_SUBMIT_STABLE) == 0) {
    return Status(StatusCode::kUnavailable,
                  "kernel lacks IORING_FEAT_SUBMIT_STABLE (needs Linux 5.5+)");
  }
  if (ring_mode_ != config_.ring_setup) {
    RMQ_LOG_WARN("shard %u: io_uring set up %s (kernel refused %s)", id_, to_string(ring_mode_),
                 to_string(config_.ring_setup));
  } else {
    RMQ_LOG_DEBUG("shard %u: io_uring set up %s", id_, to_string(ring_mode_));
  }
  auto buffers =
      ProvidedBufferRing::create(&ring_, 0, config_.recv_buffer_count, config_.recv_buffer_size);
  if (!buffers.ok()) return buffers.status();
  buffers_ = std::move(*buffers);
  RMQ_RETURN_IF_ERROR(inbox_.open());
  return ring_.ring_fd;
}

void Shard::run() {
  for (std::uint32_t i = 0; i < listen_fds_.size(); ++i) arm_accept(i);
  if (id_ == 0 && shared_.signal_fd >= 0) arm_signal_read();
  arm_inbox_read();
  turn_time_ = now();
  handler_->on_start();
  while (!exit_) {
    stats_.loop_turns.add();
    turn_time_ = now();
    bool did_work = false;
    did_work |= reap_completions();
    did_work |= drain_mailboxes();
    did_work |= run_timers();
    did_work |= advance_lifecycle();
    did_work |= rearm_operations();
    handler_->on_turn_end();  // after every step that calls the handler, before the flush
    did_work |= flush_logs();
    did_work |= flush_dirty_connections();
    did_work |= publish_mailboxes();
    submit_and_wait(did_work);
  }
  // Every shard has closed its connections; deliver what is still in the mailboxes.
  drain_mailboxes();
  inbox_.close();
  drain_inbox();
  handler_->on_turn_end();
  publish_mailboxes();
  finish_logs();
  io_uring_submit(&ring_);
}

bool Shard::drain_mailboxes() {
  MailboxHub& hub = shared_.hub;
  std::atomic<bool>& wake_pending = hub.wake_pending(id_);
  if (wake_pending.load(std::memory_order_seq_cst)) {
    wake_pending.store(false, std::memory_order_seq_cst);
  }
  std::size_t received = 0;
  for (ShardId from = 0; from < shared_.shard_count; ++from) {
    received += hub.queue(from, id_).pop_batch(
        kMailboxBudgetPerSource,
        [this](const MailboxMessage& message) { handler_->on_mailbox(message); });
  }
  stats_.mailbox_received.add(received);
  return received > 0;
}

bool Shard::publish_mailboxes() {
  if (outbox_.empty()) return false;
  bool posted_to_self = false;
  for (ShardId to : outbox_) {
    outbox_listed_[to] = false;
    shared_.hub.queue(id_, to).publish();
    if (to == id_) {
      posted_to_self = true;
    } else if (!shared_.hub.wake_pending(to).exchange(true, std::memory_order_seq_cst)) {
      send_msg_ring(to, OpTag::kMailboxWake);
    }
  }
  outbox_.clear();
  return posted_to_self;
}

Status Shard::post(ShardId to, const MailboxMessage& message) {
  RMQ_ASSERT(to < shared_.shard_count);
  MailboxMessage copy = message;
  copy.source = static_cast<std::uint16_t>(id_);
  if (!shared_.hub.queue(id_, to).try_push(copy)) {
    stats_.mailbox_full.add();
    return Status(StatusCode::kResourceExhausted, "mailbox full");
  }
  stats_.mailbox_posted.add();
  if (!outbox_listed_[to]) {
    outbox_listed_[to] = true;
    outbox_.push_back(to);
  }
  return OkStatus();
}

bool Shard::run_timers() {
  const std::size_t fired =
      wheel_.advance(now(), [this](Timer& timer) { handler_->on_timer(timer); });
  stats_.timers_fired.add(fired);
  return fired > 0;
}

bool Shard::advance_lifecycle() {
  bool did_work = false;
  if (!stopping_ && shared_.stop_requested.load(std::memory_order_acquire)) {
    begin_stop();
    did_work = true;
  }
  did_work |= advance_closing();
  if (!handshakes_.empty()) did_work |= expire_handshakes();
  if (stopping_) did_work |= advance_stop();
  return did_work;
}

bool Shard::rearm_operations() {
  bool did_work = false;
  if (accept_backoff_until_ != MonoTime{} && now() >= accept_backoff_until_) {
    accept_backoff_until_ = MonoTime{};
  }
  if (!stopping_ && accept_backoff_until_ == MonoTime{}) {
    for (std::uint32_t i = 0; i < listen_fds_.size(); ++i) {
      if (!accept_armed_[i] && listen_fds_[i] >= 0) {
        arm_accept(i);
        did_work = true;
      }
    }
  }
  std::size_t armed = 0;
  while (!starved_.empty() && armed < buffers_->available()) {
    const std::uint32_t slot = starved_.back();
    starved_.pop_back();
    Connection& conn = slab_.at(slot);
    conn.starved = false;
    if (!wants_recv(conn)) continue;
    arm_recv(slot, conn);
    stats_.recv_rearms.add();
    ++armed;
  }
  return did_work || armed > 0;
}

bool Shard::flush_dirty_connections() {
  if (dirty_.empty()) return false;
  flushing_.swap(dirty_);
  for (std::uint32_t slot : flushing_) {
    Connection& conn = slab_.at(slot);
    conn.dirty = false;
    if (conn.tls && conn.state == ConnState::kOpen) encrypt_pending(slot, conn);
    const bool sendable = conn.state == ConnState::kOpen || conn.state == ConnState::kDraining;
    if (sendable && !conn.send_in_flight && conn.sendq != nullptr && !conn.sendq->empty()) {
      submit_send(slot, conn);
    }
  }
  flushing_.clear();
  return true;
}

bool Shard::need_tick() const {
  const bool log_retry = std::any_of(logs_.begin(), logs_.end(), [](const auto& log) {
    return log != nullptr && log->backing_off();
  });
  return !wheel_.empty() || !closing_.empty() || stopping_ || !starved_.empty() ||
         !handshakes_.empty() || accept_backoff_until_ > MonoTime{} || log_retry;
}

void Shard::submit_and_wait(bool did_work) {
  submit_and_wait_for_events(did_work);
  // Submitted SQEs no longer need the iovecs they point at.
  if (io_uring_sq_ready(&ring_) == 0) iovecs_.recycle();
}

void Shard::submit_and_wait_for_events(bool did_work) {
  if (did_work) {
    io_uring_submit_and_get_events(&ring_);
    return;
  }
  stats_.waits.add();
  io_uring_cqe* cqe = nullptr;
  if (!need_tick()) {
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
    return;
  }
  Duration wait = wheel_.next_tick_time() - now();
  wait = std::clamp(wait, Duration::zero(), Duration(config_.timer_tick));
  __kernel_timespec ts{};
  ts.tv_sec = static_cast<long long>(wait.count() / 1000000000);
  ts.tv_nsec = static_cast<long long>(wait.count() % 1000000000);
  io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
}

void Shard::request_stop() {
  if (!shared_.stop_requested.exchange(true, std::memory_order_acq_rel)) wake_other_shards();
}

void Shard::wake_other_shards() {
  for (ShardId to = 0; to < shared_.shard_count; ++to) {
    if (to != id_) send_msg_ring(to, OpTag::kStopWake);
  }
}

}  // namespace rmq::engine
