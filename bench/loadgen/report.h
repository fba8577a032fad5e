// Report: every figure of one run, printed for people (print_summary) and as JSON (to_json, key
// names documented in bench/loadgen/README.md and kept stable).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/loadgen/histogram.h"
#include "bench/loadgen/options.h"
#include "bench/loadgen/proc_stats.h"

namespace rmq::loadgen {

struct Worst {
  std::int64_t publisher = -1;  // -1: no publisher had any
  std::uint64_t count = 0;
};

struct Report {
  // Outcome.
  bool completed = false;
  int exit_code = 1;
  std::string error;

  // Connections (all of them: publishers, subscribers, idle).
  std::uint64_t connections = 0;
  std::uint64_t connected = 0;
  std::uint64_t connect_failed = 0;
  std::uint64_t subscribe_failed = 0;
  std::uint64_t connections_lost = 0;
  double connect_time_s = 0;               // first connect() to last CONNACK
  double connect_rate = 0;                 // connected / connect_time_s
  double connect_loadgen_cpu_percent = 0;  // over the connect phase, % of one core
  double connect_broker_cpu_percent = 0;

  // The measured interval (after warm-up; conn: the hold).
  double measured_s = 0;
  std::uint64_t published = 0;
  std::uint64_t published_bytes = 0;
  std::uint64_t acked_in_interval = 0;  // PUBACK / PUBCOMP received while measuring
  std::uint64_t delivered = 0;
  std::uint64_t delivered_bytes = 0;
  LatencyHistogram latency;  // deliveries recorded in the measured interval, ns

  // reconnect: reconnections set up in the measured interval, and failures over the whole run.
  std::uint64_t reconnects = 0;
  std::uint64_t reconnects_resumed = 0;  // TLS handshake resumed a session
  std::uint64_t reconnect_failed = 0;
  LatencyHistogram connect_latency;  // connect() to CONNACK of those reconnections, ns

  // Whole run (warm-up, measure and drain), for correctness.
  std::uint64_t total_published = 0;
  std::uint64_t expected = 0;
  std::uint64_t received = 0;
  std::uint64_t unique = 0;
  std::uint64_t lost = 0;
  std::uint64_t duplicated = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t stale = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t qos_published = 0;
  std::uint64_t acked = 0;
  std::uint64_t window_stalls = 0;
  std::uint64_t protocol_errors = 0;
  double drain_s = 0;
  std::uint64_t max_outstanding = 0;  // most deliveries expected but not yet made, sampled
  Worst worst_lost, worst_duplicated, worst_out_of_order;

  // CPU and memory over the measured interval.
  double loadgen_cpu_percent = 0;
  double loadgen_user_s = 0;
  double loadgen_sys_s = 0;
  std::uint64_t loadgen_allocations = 0;  // by worker threads while measuring (should be 0)
  bool has_broker = false;
  double broker_cpu_percent = 0;
  std::uint64_t broker_rss_before_kb = 0;  // before the first connection
  std::uint64_t broker_rss_after_kb = 0;   // at the end of the measured interval
  std::uint64_t broker_rss_peak_kb = 0;
  double broker_rss_per_connection_b = 0;  // (after - before) / connected
  std::vector<ProcSample> broker_samples;  // one per second
  std::uint64_t samples_origin_ns = 0;     // broker_samples times are relative to this

  std::uint64_t unacked() const { return qos_published > acked ? qos_published - acked : 0; }
  double rate(std::uint64_t n) const { return measured_s > 0 ? double(n) / measured_s : 0; }
};

// Text for people: a few aligned lines.
void print_summary(std::FILE* out, const Options& o, const Report& r);
// Every figure, as one JSON document (with a trailing newline).
std::string to_json(const Options& o, const Report& r);

}  // namespace rmq::loadgen
