// Encode-once fan-out micro-benchmarks: one published QoS 0 message delivered to N subscribers'
// connections on one shard, the steps Broker::deliver_batch takes (broker/delivery.cc): build the
// Message, encode it with encode_publish() once per wire layout (3.1.1 / 5.0 here), and queue a
// SharedBytes share of those bytes on every subscriber's engine::SendQueue.
//
// The real Broker is not driven: it needs a running engine, sessions and sockets. What is timed is
// its delivery path for plain QoS 0 copies without the per-session lookups, presence checks and
// statistics around it. Sending is not timed: every kDrainEvery (8) messages the timer is paused
// and each queue is drained as a completed sendmsg would drain it (releasing the shares), so at
// most 8 messages' bytes are queued, as after a loop turn or two of a busy shard.
//
// BM_FanoutEncodeOnce   one encoding per layout, shared by every subscriber with that layout.
// BM_FanoutEncodeEach   the reference: one encoding per subscriber (what encode-once saves).
//
// Arguments: `subs` subscribers, `payload` bytes, `v5pct` percent of subscribers on MQTT 5.0.
// Time is per published message; items_per_second = deliveries/s; `allocs_per_msg` = operator
// new calls per published message over the timed loop. SharedBytes blocks come from the thread's
// block pool, so encode-once makes none in steady state; encode-each holds 1k encodings per
// message, more than the pool caches per size class (engine/block_pool.h), and goes to the heap.
#include <benchmark/benchmark.h>
#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "broker/message.h"
#include "broker/outgoing.h"
#include "engine/send_queue.h"

namespace rmq::broker {
namespace {

constexpr int kDrainEvery = 8;

struct Subscriber {
  bool v5 = false;
  std::unique_ptr<engine::SendQueue> queue = std::make_unique<engine::SendQueue>();
};

std::vector<Subscriber> make_subscribers(std::int64_t count, std::int64_t v5_percent) {
  std::vector<Subscriber> subs(static_cast<std::size_t>(count));
  for (std::size_t i = 0; i < subs.size(); ++i)
    subs[i].v5 = static_cast<std::int64_t>(i % 100) < v5_percent;
  return subs;
}

// Drains every queue as completed sends would.
void drain(std::vector<Subscriber>& subs) {
  std::array<iovec, engine::SendQueue::kMaxIov> iov{};
  for (Subscriber& s : subs) {
    while (!s.queue->empty()) s.queue->complete_send(s.queue->prepare_send(iov));
  }
}

Message make_message(std::string_view topic, std::string_view payload) {
  MessageFields fields;
  fields.topic = topic;
  fields.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  fields.received_at = MonoClock::now();
  return Message::create(fields);
}

PublishLayout layout_for(bool v5) {
  PublishLayout layout;
  layout.version = v5 ? codec::ProtocolVersion::kV5 : codec::ProtocolVersion::kV311;
  return layout;
}

// Delivers one message to every subscriber: encode once per layout, share to each queue.
bool deliver_encode_once(const Message& message, std::vector<Subscriber>& subs, MonoTime now) {
  SharedBytes plain[2];
  for (Subscriber& s : subs) {
    SharedBytes& bytes = plain[s.v5 ? 1 : 0];
    if (bytes.empty()) {
      bytes = encode_publish(message, layout_for(s.v5), now, 0);
      if (bytes.empty()) return false;
    }
    s.queue->push(bytes.share());
  }
  return true;
}

// The reference: one encode_publish per subscriber.
bool deliver_encode_each(const Message& message, std::vector<Subscriber>& subs, MonoTime now) {
  for (Subscriber& s : subs) {
    SharedBytes bytes = encode_publish(message, layout_for(s.v5), now, 0);
    if (bytes.empty()) return false;
    s.queue->push(std::move(bytes));
  }
  return true;
}

template <typename Deliver>
void fanout_loop(benchmark::State& state, Deliver deliver) {
  const std::int64_t subscriber_count = state.range(0);
  const std::string payload(static_cast<std::size_t>(state.range(1)), 'x');
  std::vector<Subscriber> subs = make_subscribers(subscriber_count, state.range(2));
  const std::string topic = "sensors/plant-7/line-3/t1";
  const MonoTime now = MonoClock::now();
  // Warm-up outside the timer: queues grown to kDrainEvery slices, block pool filled.
  for (int i = 0; i < 2 * kDrainEvery; ++i) {
    if (!deliver(make_message(topic, payload), subs, now)) {
      state.SkipWithError("encode_publish failed");
      return;
    }
    if ((i + 1) % kDrainEvery == 0) drain(subs);
  }
  std::int64_t delivered_messages = 0;
  const bench::AllocScope scope;
  for (auto _ : state) {
    const Message message = make_message(topic, payload);
    benchmark::DoNotOptimize(deliver(message, subs, now));
    if (++delivered_messages % kDrainEvery == 0) {
      state.PauseTiming();
      drain(subs);
      state.ResumeTiming();
    }
  }
  const bench::AllocCounts allocs = scope.counts();
  drain(subs);
  state.SetItemsProcessed(state.iterations() * subscriber_count);
  state.counters["allocs_per_msg"] = benchmark::Counter(static_cast<double>(allocs.allocations),
                                                        benchmark::Counter::kAvgIterations);
  state.counters["ns_per_delivery"] = benchmark::Counter(
      static_cast<double>(subscriber_count),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

void BM_FanoutEncodeOnce(benchmark::State& state) { fanout_loop(state, deliver_encode_once); }
void BM_FanoutEncodeEach(benchmark::State& state) { fanout_loop(state, deliver_encode_each); }

#define RMQ_FANOUT_ARGS \
  ArgNames({"subs", "payload", "v5pct"})->ArgsProduct({{1000}, {16, 1024}, {0, 50}})
BENCHMARK(BM_FanoutEncodeOnce)->RMQ_FANOUT_ARGS;
BENCHMARK(BM_FanoutEncodeEach)->RMQ_FANOUT_ARGS;

}  // namespace
}  // namespace rmq::broker

BENCHMARK_MAIN();
