#include "bench/loadgen/report.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace rmq::loadgen {
namespace {

using nlohmann::json;

double us(std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; }
double round3(double v) { return std::round(v * 1000.0) / 1000.0; }
double mb(double bytes) { return bytes / 1e6; }

json worst_json(const Worst& w) { return json{{"publisher", w.publisher}, {"count", w.count}}; }

json config_json(const Options& o) {
  return json{{"scenario", to_string(o.scenario)},
              {"load", o.scenario == Scenario::kComposite ? to_string(o.load) : ""},
              {"mqtt", o.mqtt_version == 5 ? "5" : "3.1.1"},
              {"qos", o.qos},
              {"payload_bytes", o.payload},
              {"rate_per_publisher", o.rate},
              {"window", o.window},
              {"inflight", o.inflight},
              {"publishers", o.publishers},
              {"subscribers", o.subscribers},
              {"connections", o.connections},
              {"idle", o.idle},
              {"duration_s", o.duration_s},
              {"warmup_s", o.warmup_s},
              {"drain_s", o.drain_s},
              {"threads", o.threads},
              {"nodelay", o.nodelay},
              {"clean", o.clean},
              {"session_expiry_s", o.session_expiry_s},
              {"keepalive_s", o.keepalive_s},
              {"topic", o.topic},
              {"host", o.host},
              {"port", o.port},
              {"tls", o.tls},
              {"tls_resume", o.tls_resume},
              {"source_addresses", o.source_addresses.size()}};
}

json latency_json(const LatencyHistogram& h) {
  return json{{"count", h.count()},
              {"min", round3(us(h.min()))},
              {"mean", round3(h.mean() / 1000.0)},
              {"p50", round3(us(h.percentile(50)))},
              {"p90", round3(us(h.percentile(90)))},
              {"p99", round3(us(h.percentile(99)))},
              {"p999", round3(us(h.percentile(99.9)))},
              {"max", round3(us(h.max()))}};
}

json broker_json(const Report& r, int pid) {
  if (!r.has_broker) return nullptr;
  json samples = json::array();
  for (const ProcSample& s : r.broker_samples) {
    samples.push_back(json{{"t_s", round3(double(s.at_ns - r.samples_origin_ns) * 1e-9)},
                           {"cpu_s", round3(s.cpu_s)},
                           {"rss_kb", s.rss_kb}});
  }
  return json{{"pid", pid},
              {"cpu_percent", round3(r.broker_cpu_percent)},
              {"rss_before_kb", r.broker_rss_before_kb},
              {"rss_after_kb", r.broker_rss_after_kb},
              {"rss_peak_kb", r.broker_rss_peak_kb},
              {"rss_per_connection_bytes", round3(r.broker_rss_per_connection_b)},
              {"samples", samples}};
}

// reconnect: reconnections per second (TLS handshakes with --tls), the share that resumed a
// session, and their setup time; null for other scenarios.
json reconnect_json(const Options& o, const Report& r) {
  if (o.scenario != Scenario::kReconnect) return nullptr;
  const double resumed =
      r.reconnects != 0 ? double(r.reconnects_resumed) / double(r.reconnects) : 0.0;
  return json{{"count", r.reconnects},           {"rate_per_s", round3(r.rate(r.reconnects))},
              {"resumed", r.reconnects_resumed}, {"resumed_fraction", round3(resumed)},
              {"failed", r.reconnect_failed},    {"latency_us", latency_json(r.connect_latency)}};
}

std::string latency_text(std::uint64_t ns) {
  char buf[32];
  if (ns >= 10'000'000) {
    std::snprintf(buf, sizeof(buf), "%.1f ms", double(ns) / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f us", double(ns) / 1e3);
  }
  return buf;
}

std::string worst_text(const Worst& w) {
  if (w.publisher < 0) return "-";
  return std::to_string(w.count) + " (publisher " + std::to_string(w.publisher) + ")";
}

}  // namespace

std::string to_json(const Options& o, const Report& r) {
  json j;
  j["tool"] = "ringmq-bench";
  j["format"] = 1;
  j["result"] = {{"completed", r.completed}, {"exit_code", r.exit_code}, {"error", r.error}};
  j["config"] = config_json(o);
  j["connect"] = {{"connections", r.connections},
                  {"connected", r.connected},
                  {"failed", r.connect_failed},
                  {"subscribe_failed", r.subscribe_failed},
                  {"lost", r.connections_lost},
                  {"time_s", round3(r.connect_time_s)},
                  {"rate_per_s", round3(r.connect_rate)},
                  {"loadgen_cpu_percent", round3(r.connect_loadgen_cpu_percent)},
                  {"broker_cpu_percent",
                   r.has_broker ? json(round3(r.connect_broker_cpu_percent)) : json(nullptr)}};
  j["measured_s"] = round3(r.measured_s);
  j["publish"] = {{"count", r.published},
                  {"rate", round3(r.rate(r.published))},
                  {"mbytes_per_s", round3(mb(r.rate(r.published_bytes)))},
                  {"total", r.total_published},
                  {"qos_published", r.qos_published},
                  {"acked", r.acked},
                  {"acked_count", r.acked_in_interval},
                  {"acked_rate", round3(r.rate(r.acked_in_interval))},
                  {"unacked", r.unacked()}};
  j["delivery"] = {{"count", r.delivered},
                   {"rate", round3(r.rate(r.delivered))},
                   {"mbytes_per_s", round3(mb(r.rate(r.delivered_bytes)))},
                   {"expected", r.expected},
                   {"received", r.received},
                   {"unique", r.unique},
                   {"lost", r.lost},
                   {"duplicated", r.duplicated},
                   {"out_of_order", r.out_of_order},
                   {"stale", r.stale},
                   {"unexpected", r.unexpected},
                   {"worst_lost", worst_json(r.worst_lost)},
                   {"worst_duplicated", worst_json(r.worst_duplicated)},
                   {"worst_out_of_order", worst_json(r.worst_out_of_order)},
                   {"window_stalls", r.window_stalls},
                   {"max_outstanding", r.max_outstanding},
                   {"drain_s", round3(r.drain_s)}};
  j["latency_us"] = latency_json(r.latency);
  j["reconnect"] = reconnect_json(o, r);
  j["loadgen"] = {{"cpu_percent", round3(r.loadgen_cpu_percent)},
                  {"user_s", round3(r.loadgen_user_s)},
                  {"sys_s", round3(r.loadgen_sys_s)},
                  {"protocol_errors", r.protocol_errors},
                  {"allocations_while_measuring", r.loadgen_allocations}};
  j["broker"] = broker_json(r, o.broker_pid);
  return j.dump(2) + "\n";
}

namespace {

void print_header(std::FILE* out, const Options& o) {
  if (o.scenario == Scenario::kReconnect) {
    std::fprintf(out, "ringmq-bench reconnect: %u clients reconnecting, MQTT %s, %s", o.connections,
                 o.mqtt_version == 5 ? "5" : "3.1.1", o.tls_resume ? "session resumption, " : "");
  } else if (o.scenario == Scenario::kConn) {
    std::fprintf(out, "ringmq-bench conn: %u connections at %s/s, MQTT %s, ", o.connections,
                 o.connect_rate > 0 ? std::to_string(std::lround(o.connect_rate)).c_str() : "max",
                 o.mqtt_version == 5 ? "5" : "3.1.1");
  } else {
    std::fprintf(out, "ringmq-bench %s%s%s: %u pub -> %u sub (+%u idle), MQTT %s, QoS %d, %u B, ",
                 to_string(o.scenario), o.scenario == Scenario::kComposite ? "/" : "",
                 o.scenario == Scenario::kComposite ? to_string(o.load) : "", o.publishers,
                 o.subscribers, o.idle, o.mqtt_version == 5 ? "5" : "3.1.1", o.qos, o.payload);
    std::fprintf(out, "rate %s, window %u, ",
                 o.rate > 0 ? std::to_string(static_cast<long long>(o.rate)).c_str() : "max",
                 o.window);
  }
  std::fprintf(out, "%sTCP_NODELAY %s, %u thread(s)\n", o.tls ? "TLS, " : "",
               o.nodelay ? "on" : "off", o.threads);
}

void print_messages(std::FILE* out, const Options& o, const Report& r) {
  std::fprintf(out, "  publish   %.0f msg/s, %.2f MB/s (%lu in %.2f s)\n", r.rate(r.published),
               mb(r.rate(r.published_bytes)), r.published, r.measured_s);
  std::fprintf(out, "  deliver   %.0f msg/s, %.2f MB/s (%lu)\n", r.rate(r.delivered),
               mb(r.rate(r.delivered_bytes)), r.delivered);
  std::fprintf(out,
               "  check     expected %lu, received %lu, lost %lu, duplicated %lu, "
               "out-of-order %lu, stale %lu, unexpected %lu\n",
               r.expected, r.received, r.lost, r.duplicated, r.out_of_order, r.stale, r.unexpected);
  std::fprintf(out, "  worst     lost %s, duplicated %s, out-of-order %s\n",
               worst_text(r.worst_lost).c_str(), worst_text(r.worst_duplicated).c_str(),
               worst_text(r.worst_out_of_order).c_str());
  if (o.qos > 0) {
    std::fprintf(out, "  acks      %lu of %lu acknowledged, %lu unacknowledged\n", r.acked,
                 r.qos_published, r.unacked());
  }
  const LatencyHistogram& h = r.latency;
  std::fprintf(out, "  latency   p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
               latency_text(h.percentile(50)).c_str(), latency_text(h.percentile(90)).c_str(),
               latency_text(h.percentile(99)).c_str(), latency_text(h.percentile(99.9)).c_str(),
               latency_text(h.max()).c_str());
  if (r.window_stalls != 0) std::fprintf(out, "  window    %lu stalls\n", r.window_stalls);
}

void print_reconnects(std::FILE* out, const Report& r) {
  const LatencyHistogram& h = r.connect_latency;
  std::fprintf(out, "  reconnect %.0f/s (%lu in %.2f s), %lu resumed (%.1f %%), %lu failed\n",
               r.rate(r.reconnects), r.reconnects, r.measured_s, r.reconnects_resumed,
               r.reconnects != 0 ? 100.0 * double(r.reconnects_resumed) / double(r.reconnects) : 0,
               r.reconnect_failed);
  std::fprintf(out, "  setup     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n",
               latency_text(h.percentile(50)).c_str(), latency_text(h.percentile(90)).c_str(),
               latency_text(h.percentile(99)).c_str(), latency_text(h.percentile(99.9)).c_str(),
               latency_text(h.max()).c_str());
}

}  // namespace

void print_summary(std::FILE* out, const Options& o, const Report& r) {
  print_header(out, o);
  if (!r.completed && r.connected == 0) {
    std::fprintf(out, "  FAILED    %s\n", r.error.c_str());
    return;
  }
  std::fprintf(out, "  connect   %lu/%lu in %.3f s (%.0f/s), %lu failed, %lu subscribe failed",
               r.connected, r.connections, r.connect_time_s, r.connect_rate, r.connect_failed,
               r.subscribe_failed);
  std::fprintf(out, "; cpu: load generator %.0f%%", r.connect_loadgen_cpu_percent);
  if (r.has_broker) std::fprintf(out, ", broker %.0f%%", r.connect_broker_cpu_percent);
  std::fprintf(out, "\n");
  if (o.scenario == Scenario::kReconnect) {
    print_reconnects(out, r);
  } else if (o.scenario != Scenario::kConn) {
    print_messages(out, o, r);
  }
  std::fprintf(out, "  cpu       load generator %.0f%% of a core", r.loadgen_cpu_percent);
  if (r.has_broker) {
    std::fprintf(out, ", broker %.0f%%; broker RSS %.1f MB (peak %.1f MB)", r.broker_cpu_percent,
                 double(r.broker_rss_after_kb) / 1024.0, double(r.broker_rss_peak_kb) / 1024.0);
    if (o.scenario == Scenario::kConn) {
      std::fprintf(out, ", %.0f B per connection", r.broker_rss_per_connection_b);
    }
  }
  std::fprintf(out, "\n");
  if (!r.completed) std::fprintf(out, "  FAILED    %s\n", r.error.c_str());
}

}  // namespace rmq::loadgen
