// Codec micro-benchmarks: decode and encode of the packets a telemetry broker handles most.
//
// Each benchmark reports the time per packet (Google Benchmark's default time column),
// packets/s (items_per_second), wire bytes/s (bytes_per_second) and `allocs_per_packet`, the heap
// allocations per packet counted by the global operator new hook in bench/common/alloc_counter.h
// over the timed loop. Decode must not allocate: a decode benchmark that does is marked as an
// error.
//
// "encode" is encoded_size() plus encode() into a preallocated buffer, as a sender does it.
// "decode" is decode() of one whole packet; for SUBSCRIBE it also walks the filter list, which
// decode() leaves to be read lazily.
#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "codec/decode.h"
#include "codec/encode.h"
#include "codec/packets.h"

namespace rmq::codec {
namespace {

using bench::AllocScope;

// The benchmark argument named `level`: the protocol level byte (4 = 3.1.1, 5 = 5.0).
ProtocolVersion version_arg(const benchmark::State& state, int index) {
  return static_cast<ProtocolVersion>(state.range(index));
}

const char* version_label(ProtocolVersion v) {
  return v == ProtocolVersion::kV5     ? "MQTT 5.0"
         : v == ProtocolVersion::kV311 ? "MQTT 3.1.1"
                                       : "MQTT 3.1";
}

BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// ---- The packets under test. Their views point into static storage.

PublishView publish_qos0(std::size_t payload_size) {
  static const std::string kPayload(4096, 'x');
  PublishView p;
  p.topic = "sensors/t1";
  p.payload = as_bytes(std::string_view{kPayload}.substr(0, payload_size));
  return p;
}

ConnectView connect_packet(ProtocolVersion v) {
  static const std::array<StringPair, 2> kUserProperties = {StringPair{"fw", "1.4.2"},
                                                            StringPair{"site", "plant-7"}};
  ConnectView c;
  c.version = v;
  c.clean_start = true;
  c.keep_alive = 60;
  c.client_id = "device-000123";
  c.username = "device";
  c.password = as_bytes("s3cret-token");
  if (is_v5(v)) {
    Properties& p = c.properties;
    p.session_expiry_interval = 3600;
    p.mark(PropertyId::kSessionExpiryInterval);
    p.receive_maximum = 100;
    p.mark(PropertyId::kReceiveMaximum);
    p.topic_alias_maximum = 16;
    p.mark(PropertyId::kTopicAliasMaximum);
    p.user_properties = std::span<const StringPair>(kUserProperties);
  }
  return c;
}

SubscribeView subscribe_packet() {
  static const std::array<Subscription, 3> kFilters = {
      Subscription{"sensors/+/temp", {QoS::kAtLeastOnce}},
      Subscription{"alerts/#", {QoS::kAtLeastOnce}},
      Subscription{"cmd/device-000123", {QoS::kExactlyOnce}},
  };
  SubscribeView s;
  s.packet_id = 7;
  s.subscriptions = std::span<const Subscription>(kFilters);
  return s;
}

// ---- Shared measurement loops.

void report(benchmark::State& state, const bench::AllocCounts& allocs, std::size_t wire_size) {
  state.counters["allocs_per_packet"] = benchmark::Counter(static_cast<double>(allocs.allocations),
                                                           benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire_size));
}

std::vector<std::uint8_t> wire_bytes(const PacketView& packet, ProtocolVersion v) {
  std::vector<std::uint8_t> out(encoded_size(packet, v));
  if (encode(packet, v, out) != out.size()) out.clear();
  return out;
}

// Decodes `packet`'s encoding once per iteration; `walk` reads what decode() left lazy.
template <typename Walk>
void decode_loop(benchmark::State& state, const PacketView& packet, ProtocolVersion v, Walk walk) {
  state.SetLabel(version_label(v));
  const std::vector<std::uint8_t> wire = wire_bytes(packet, v);
  const DecodeOptions options{.version = v};
  const DecodeResult check = decode(wire, options);
  if (wire.empty() || check.status != DecodeStatus::kComplete || !(check.packet == packet)) {
    state.SkipWithError("packet does not round-trip");
    return;
  }
  AllocScope scope;
  for (auto _ : state) {
    DecodeResult r = decode(wire, options);
    walk(r.packet);
    benchmark::DoNotOptimize(r);
  }
  const bench::AllocCounts allocs = scope.counts();
  report(state, allocs, wire.size());
  if (allocs.allocations != 0) state.SkipWithError("decode allocated");
}

void no_walk(const PacketView&) {}

// encoded_size() + encode() of `packet` into a buffer allocated once, per iteration.
template <typename View, typename... Version>
void encode_loop(benchmark::State& state, const View& packet, Version... v) {
  const std::size_t size = encoded_size(packet, v...);
  std::vector<std::uint8_t> out(size);
  AllocScope scope;
  for (auto _ : state) {
    const std::size_t n = encode(packet, v..., std::span(out.data(), encoded_size(packet, v...)));
    benchmark::DoNotOptimize(n);
    benchmark::ClobberMemory();
  }
  report(state, scope.counts(), size);
}

// ---- Benchmarks. Arguments: `payload` (bytes) where there is one, then `level`.

void BM_DecodePublishQos0(benchmark::State& state) {
  const PacketView packet{PacketType::kPublish, publish_qos0(state.range(0))};
  decode_loop(state, packet, version_arg(state, 1), no_walk);
}

void BM_EncodePublishQos0(benchmark::State& state) {
  state.SetLabel(version_label(version_arg(state, 1)));
  encode_loop(state, publish_qos0(state.range(0)), version_arg(state, 1));
}

void BM_DecodeConnect(benchmark::State& state) {
  const PacketView packet{PacketType::kConnect, connect_packet(version_arg(state, 0))};
  decode_loop(state, packet, version_arg(state, 0), no_walk);
}

void BM_EncodeConnect(benchmark::State& state) {
  state.SetLabel(version_label(version_arg(state, 0)));
  encode_loop(state, connect_packet(version_arg(state, 0)));
}

void walk_filters(const PacketView& packet) {
  const auto* subscribe = std::get_if<SubscribeView>(&packet.body);
  if (subscribe == nullptr) return;
  for (const Subscription s : subscribe->subscriptions) benchmark::DoNotOptimize(s);
}

void BM_DecodeSubscribe3(benchmark::State& state) {
  const PacketView packet{PacketType::kSubscribe, subscribe_packet()};
  decode_loop(state, packet, version_arg(state, 0), walk_filters);
}

void BM_EncodeSubscribe3(benchmark::State& state) {
  state.SetLabel(version_label(version_arg(state, 0)));
  encode_loop(state, subscribe_packet(), version_arg(state, 0));
}

constexpr int kV311 = static_cast<int>(ProtocolVersion::kV311);
constexpr int kV5 = static_cast<int>(ProtocolVersion::kV5);

#define RMQ_PUBLISH_ARGS ArgNames({"payload", "level"})->ArgsProduct({{16, 1024}, {kV311, kV5}})
#define RMQ_LEVEL_ARGS ArgName("level")->Arg(kV311)->Arg(kV5)
BENCHMARK(BM_DecodePublishQos0)->RMQ_PUBLISH_ARGS;
BENCHMARK(BM_EncodePublishQos0)->RMQ_PUBLISH_ARGS;
BENCHMARK(BM_DecodeConnect)->RMQ_LEVEL_ARGS;
BENCHMARK(BM_EncodeConnect)->RMQ_LEVEL_ARGS;
BENCHMARK(BM_DecodeSubscribe3)->RMQ_LEVEL_ARGS;
BENCHMARK(BM_EncodeSubscribe3)->RMQ_LEVEL_ARGS;

}  // namespace
}  // namespace rmq::codec

BENCHMARK_MAIN();
