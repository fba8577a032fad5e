// State shared by the coordinating thread and the worker threads of one run.
//
// Threads: `phase` is written by the coordinator only and read by workers every loop turn.
// WorkerStats are single-writer counters (the worker) that the coordinator reads at any time;
// totals are consistent only once the workers have stopped, and figures over an interval are
// differences of two readings.
#pragma once

#include <atomic>
#include <cstdint>

#include "base/counter.h"
#include "bench/loadgen/delivery_table.h"
#include "bench/loadgen/histogram.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/tls_client.h"

namespace rmq::loadgen {

enum class Phase : std::uint8_t {
  kConnect,  // connecting and subscribing; nothing published
  kWarmup,   // publishing, not measured
  kMeasure,  // publishing, measured
  kDrain,    // publishing stopped; waiting for deliveries and acks
  kStop,     // disconnect everything and exit
};

struct WorkerStats {
  Counter connected;
  Counter connect_failed;
  Counter active_failed;  // publishers and subscribers that failed to connect or subscribe
  Counter subscribed;
  Counter subscribe_failed;
  Counter connections_lost;  // closed by the broker or by an error after being set up
  std::atomic<std::uint64_t> last_connected_ns{0};
  Counter published;        // PUBLISH packets handed to the kernel
  Counter published_bytes;  // their payload bytes
  Counter expected;         // deliveries those publishes should cause
  Counter qos_published;    // QoS 1/2 publishes needing an acknowledgement
  Counter acked;            // PUBACK / PUBCOMP received
  Counter received;         // PUBLISH packets received by subscribers, duplicates included
  Counter received_bytes;   // their payload bytes
  Counter unique;           // received minus duplicates
  Counter duplicated;
  Counter out_of_order;
  Counter stale;          // stamped before this run started (left over from an earlier run)
  Counter unexpected;     // a topic or publisher this subscriber should not get
  Counter window_stalls;  // windows written off after no progress for kWindowStallNs
  Counter protocol_errors;
  Counter measured_allocations;  // heap allocations by the worker thread while measuring
  Counter reconnects;            // reconnect: reconnections set up (CONNACK received)
  Counter reconnects_resumed;    // ... whose TLS handshake resumed a session
  Counter reconnect_failed;      // ... that failed (TCP, TLS, CONNACK or timeout)
  std::atomic<const char*> first_failure{nullptr};  // why the first connection failed or closed
  LatencyHistogram latency;                         // end-to-end, nanoseconds
  LatencyHistogram connect_latency;                 // reconnect: connect() to CONNACK, nanoseconds
};

class Worker;

struct RunState {
  RunState(const Options& o, DeliveryShape shape)
      : options(o), table(shape, o.publishers, o.subscribers) {}
  const Options& options;
  DeliveryTable table;
  std::atomic<Phase> phase{Phase::kConnect};
  std::uint64_t run_start_ns = 0;                  // set before the workers start
  std::atomic<std::uint64_t> publish_start_ns{0};  // set when warm-up begins
  const TlsClientContext* tls = nullptr;           // --tls; set before the workers start
};

// After this long without any progress a full window is written off (the messages are lost, or
// will count as out-of-window when they come), so QoS 0 loss cannot stall a publisher forever.
inline constexpr std::uint64_t kWindowStallNs = 1'000'000'000;

}  // namespace rmq::loadgen
