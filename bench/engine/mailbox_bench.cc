// Mailbox micro-benchmarks: MailboxMessages between two threads through engine/mailbox.h, with
// the shard's protocol (stage, publish once per loop turn, one IORING_OP_MSG_RING per destination
// while its wakeup flag is clear; the receiver clears the flag, then pops).
//
// BM_MailboxOneWay    one producer -> one consumer; each message carries a SharedBytes reference
//                     (as a delivery does) that the consumer releases. `batch` messages per loop
//                     turn. items_per_second = messages/s one way; `full_per_msg` = share of
//                     messages that found the ring (4096 slots) full and had to wait.
// BM_MailboxPingPong  A posts one message to B, B answers with one, A waits for it: Time is the
//                     round trip (two transfers). `wake` 1 = the receiver sleeps in
//                     io_uring_enter and is woken by MSG_RING (the engine's idle case); 0 = it
//                     polls its queue (a busy shard, which sees mail on its next turn) and
//                     ends each turn with io_uring_submit_and_get_events, as a shard does.
//
// Both report `allocs_per_msg`: operator new calls of all threads during the timed loop, per
// message (0 expected: SpscQueue rings and SharedBytes blocks are preallocated / pooled).
// Rings are set up as the engine sets up a shard's (SINGLE_ISSUER | DEFER_TASKRUN when the kernel
// has it), each on the thread that uses it. The two threads are not pinned.
#include <benchmark/benchmark.h>
#include <liburing.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "base/assert.h"
#include "bench/common/alloc_counter.h"
#include "engine/mailbox.h"
#include "engine/ring.h"
#include "engine/shared_bytes.h"

namespace rmq::engine {
namespace {

constexpr std::uint32_t kCapacity = 4096;
constexpr std::uint16_t kStopType = 0xffff;

// One side of the pair: its shard id, its ring, and the hub they share.
class Endpoint {
 public:
  Endpoint(MailboxHub& hub, ShardId self) : hub_(hub), self_(self) {}
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  ~Endpoint() {
    if (ready_) io_uring_queue_exit(&ring_);
  }

  // Call on the thread that will use the ring.
  bool open() {
    ready_ = setup_ring(&ring_, 64, RingSetupMode::kSingleIssuerDeferTaskrun).ok();
    return ready_;
  }
  int ring_fd() const { return ring_.ring_fd; }

  // Stages `m` for `to`; spins while the ring is full (counting the message once). Publishes what
  // it staged first, so a full ring always drains.
  void post(ShardId to, const MailboxMessage& m, int peer_fd) {
    if (hub_.queue(self_, to).try_push(m)) return;
    ++full_;
    do {
      flush(to, peer_fd);
      reap();
    } while (!hub_.queue(self_, to).try_push(m));
  }
  // End of a loop turn: publish, and wake `to` unless a wakeup is already pending.
  void flush(ShardId to, int peer_fd) {
    if (!hub_.queue(self_, to).publish()) return;
    if (hub_.wake_pending(to).exchange(true, std::memory_order_seq_cst)) return;
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    RMQ_ASSERT(sqe != nullptr);
    io_uring_prep_msg_ring(sqe, peer_fd, 0, 1, 0);
    sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
    io_uring_submit(&ring_);
    ++wakeups_;
  }
  // Receiver: clear the flag, then pop every message from `from`. Returns how many.
  template <typename Consume>
  std::size_t drain(ShardId from, Consume&& consume) {
    std::atomic<bool>& pending = hub_.wake_pending(self_);
    if (pending.load(std::memory_order_seq_cst)) pending.store(false, std::memory_order_seq_cst);
    return hub_.queue(from, self_).pop_batch(kCapacity, consume);
  }
  // Sleeps until a completion (a wakeup) arrives, then consumes every completion.
  void wait() {
    io_uring_submit_and_wait(&ring_, 1);
    reap();
  }
  // A busy shard's end of turn: submit and run pending completions without sleeping.
  void end_turn() {
    io_uring_submit_and_get_events(&ring_);
    reap();
  }
  void reap() {
    io_uring_cqe* cqe = nullptr;
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) { ++seen; }
    io_uring_cq_advance(&ring_, seen);
  }

  std::uint64_t full_events() const { return full_; }
  std::uint64_t wakeups() const { return wakeups_; }

 private:
  MailboxHub& hub_;
  ShardId self_;
  io_uring ring_{};
  bool ready_ = false;
  std::uint64_t full_ = 0;
  std::uint64_t wakeups_ = 0;
};

// Runs `body(endpoint)` on a new thread once its ring is open; returns once `peer_fd` is known.
template <typename Body>
std::thread start_peer(MailboxHub& hub, ShardId id, std::atomic<int>& peer_fd, Body body) {
  std::thread t([&hub, id, &peer_fd, body] {
    Endpoint self(hub, id);
    peer_fd.store(self.open() ? self.ring_fd() : -2, std::memory_order_release);
    if (peer_fd.load() >= 0) body(self);
  });
  while (peer_fd.load(std::memory_order_acquire) == -1) std::this_thread::yield();
  return t;
}

void report(benchmark::State& state, const bench::AllocCounts& allocs, std::uint64_t messages) {
  state.counters["allocs_per_msg"] =
      benchmark::Counter(messages == 0 ? 0.0 : static_cast<double>(allocs.allocations) / messages);
}

void BM_MailboxOneWay(benchmark::State& state) {
  const auto batch = static_cast<std::int64_t>(state.range(0));
  MailboxHub hub(2, kCapacity);
  std::atomic<int> consumer_fd{-1};
  std::atomic<std::uint64_t> consumed{0};
  std::thread consumer = start_peer(hub, 1, consumer_fd, [&consumed](Endpoint& self) {
    bool stop = false;
    while (!stop) {
      const std::size_t n = self.drain(0, [&](const MailboxMessage& m) {
        SharedBytes::from_raw(m.bytes).release();
        stop |= m.type == kStopType;
      });
      if (n != 0) {
        consumed.fetch_add(n, std::memory_order_relaxed);
      } else if (!stop) {
        self.wait();
      }
    }
  });
  Endpoint producer(hub, 0);
  if (consumer_fd.load() < 0 || !producer.open()) {
    if (consumer.joinable()) consumer.join();
    state.SkipWithError("io_uring setup failed");
    return;
  }
  const SharedBytes payload = SharedBytes::copy_of("sensors/t1: 16 bytes");
  MailboxMessage m;
  m.type = 1;
  std::uint64_t sent = 0;
  const bench::AllocCounts before = bench::process_alloc_counts();
  for (auto _ : state) {
    for (std::int64_t i = 0; i < batch; ++i) {
      m.u64 = sent++;
      m.bytes = payload.share().into_raw();
      producer.post(1, m, consumer_fd.load(std::memory_order_relaxed));
    }
    producer.flush(1, consumer_fd.load(std::memory_order_relaxed));
    producer.reap();
  }
  MailboxMessage stop;
  stop.type = kStopType;
  producer.post(1, stop, consumer_fd.load());
  producer.flush(1, consumer_fd.load());
  consumer.join();
  report(state, bench::process_alloc_counts() - before, sent);
  state.SetItemsProcessed(static_cast<std::int64_t>(sent));
  state.counters["wakeups_per_msg"] = benchmark::Counter(
      sent == 0 ? 0.0 : static_cast<double>(producer.wakeups()) / static_cast<double>(sent));
  state.counters["full_per_msg"] = benchmark::Counter(
      sent == 0 ? 0.0 : static_cast<double>(producer.full_events()) / static_cast<double>(sent));
  if (consumed.load() != sent + 1) state.SkipWithError("messages lost");
}

// Waits for one message from `from`; sleeps on the ring when `wake`, else polls the queue and,
// like a busy shard's loop turn, collects its ring's completions (wakeups) once it got one.
MailboxMessage receive_one(Endpoint& self, ShardId from, bool wake) {
  MailboxMessage got;
  while (self.drain(from, [&got](const MailboxMessage& m) { got = m; }) == 0) {
    if (wake) self.wait();
  }
  if (!wake) self.end_turn();
  return got;
}

void BM_MailboxPingPong(benchmark::State& state) {
  const bool wake = state.range(0) != 0;
  MailboxHub hub(2, kCapacity);
  std::atomic<int> ponger_fd{-1};
  std::atomic<int> pinger_fd{-1};
  std::thread ponger = start_peer(hub, 1, ponger_fd, [&pinger_fd, wake](Endpoint& self) {
    while (pinger_fd.load(std::memory_order_acquire) < 0) std::this_thread::yield();
    for (;;) {
      const MailboxMessage m = receive_one(self, 0, wake);
      self.post(0, m, pinger_fd.load(std::memory_order_relaxed));
      self.flush(0, pinger_fd.load(std::memory_order_relaxed));
      self.reap();
      if (m.type == kStopType) return;
    }
  });
  Endpoint pinger(hub, 0);
  const bool opened = ponger_fd.load() >= 0 && pinger.open();
  pinger_fd.store(opened ? pinger.ring_fd() : -2, std::memory_order_release);
  if (!opened) {
    if (ponger.joinable()) ponger.join();
    state.SkipWithError("io_uring setup failed");
    return;
  }
  const int peer = ponger_fd.load();
  MailboxMessage m;
  m.type = 1;
  std::uint64_t round_trips = 0;
  const bench::AllocCounts before = bench::process_alloc_counts();
  for (auto _ : state) {
    m.u64 = round_trips++;
    pinger.post(1, m, peer);
    pinger.flush(1, peer);
    pinger.reap();
    const MailboxMessage reply = receive_one(pinger, 1, wake);
    if (reply.u64 != m.u64) state.SkipWithError("reply out of order");
  }
  const bench::AllocCounts allocs = bench::process_alloc_counts() - before;
  m.type = kStopType;
  pinger.post(1, m, peer);
  pinger.flush(1, peer);
  (void)receive_one(pinger, 1, wake);
  ponger.join();
  report(state, allocs, 2 * round_trips);
  state.SetItemsProcessed(static_cast<std::int64_t>(round_trips));
  state.SetLabel(wake ? "MSG_RING wakeup, sleeping receiver" : "polling receiver");
}

BENCHMARK(BM_MailboxOneWay)->ArgName("batch")->Arg(1)->Arg(16)->Arg(256)->UseRealTime();
BENCHMARK(BM_MailboxPingPong)->ArgName("wake")->Arg(1)->Arg(0)->UseRealTime();

}  // namespace
}  // namespace rmq::engine

BENCHMARK_MAIN();
