#include "bench/loadgen/runner.h"

#include <netdb.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstring>
#include <memory>
#include <optional>
#include <thread>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/plan.h"
#include "bench/loadgen/worker.h"

namespace rmq::loadgen {
namespace {

constexpr std::uint64_t kSecond = 1'000'000'000;
constexpr auto kPoll = std::chrono::milliseconds(10);

std::uint64_t seconds_ns(double s) { return static_cast<std::uint64_t>(s * 1e9); }

// Set by SIGINT / SIGTERM: the run stops where it is and reports what it measured.
std::atomic<bool> g_interrupted{false};

void on_interrupt(int) { g_interrupted.store(true, std::memory_order_relaxed); }

void install_interrupt_handler() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

// Sum of every worker's counters at one moment.
struct Totals {
  std::uint64_t connected = 0, connect_failed = 0, active_failed = 0, subscribed = 0,
                subscribe_failed = 0, lost = 0, last_connected_ns = 0;
  std::uint64_t published = 0, published_bytes = 0, expected = 0, qos_published = 0, acked = 0;
  std::uint64_t received = 0, received_bytes = 0, unique = 0, duplicated = 0, out_of_order = 0,
                stale = 0, unexpected = 0, window_stalls = 0, protocol_errors = 0,
                measured_allocations = 0;
  std::uint64_t reconnects = 0, reconnects_resumed = 0, reconnect_failed = 0;
};

bool resolve(const Options& o, BrokerAddress* out, std::string* error) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(o.port);
  const int rc = getaddrinfo(o.host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0 || found == nullptr) {
    *error = "cannot resolve --host " + o.host + ": " + gai_strerror(rc);
    return false;
  }
  std::memcpy(&out->addr, found->ai_addr, found->ai_addrlen);
  out->len = found->ai_addrlen;
  freeaddrinfo(found);
  return true;
}

// Raises RLIMIT_NOFILE (the hard limit too, where permitted) to fit `connections` sockets.
bool ensure_fd_limit(std::uint64_t connections, std::string* error) {
  const rlim_t needed = connections + 64;  // epoll, eventfds, /proc files, stdio
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return true;
  rlimit raised{needed, std::max(limit.rlim_max, needed)};
  if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return true;
  raised.rlim_max = limit.rlim_max;
  raised.rlim_cur = std::min(needed, limit.rlim_max);
  if (raised.rlim_cur >= needed && setrlimit(RLIMIT_NOFILE, &raised) == 0) return true;
  *error = std::to_string(connections) + " connections need " + std::to_string(needed) +
           " file descriptors; RLIMIT_NOFILE allows " + std::to_string(limit.rlim_max) +
           " (raise it with ulimit -n)";
  return false;
}

class Run {
 public:
  Run(const Options& o, Report* report) : o_(o), r_(*report) {}
  int execute();

 private:
  bool setup();
  bool connect_phase();
  bool load_phases();
  void stop();
  void finish_report();
  bool fail(std::string error);
  template <typename Done>
  bool wait(Done done, std::uint64_t until_ns, const char* phase);
  bool healthy(const Totals& t);
  void tick(std::uint64_t now, const char* phase);
  void set_phase(Phase p);
  Totals totals() const;
  LatencyHistogram latency() const;
  LatencyHistogram connect_latency() const;

  // Everything read at one end of the measured interval.
  struct Reading {
    Totals totals;
    LatencyHistogram latency;
    LatencyHistogram connect_latency;
    OwnCpu cpu;
    std::optional<ProcSample> broker;
  };
  Reading read_now() const;
  void record_interval(const Reading& start, const Reading& end);

  const Options& o_;
  Report& r_;
  TlsClientContext tls_;  // outlives the workers (declared before them)
  std::unique_ptr<RunState> state_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::uint64_t connect_start_ns_ = 0;
  std::uint64_t next_tick_ns_ = 0;
  std::uint64_t last_tick_ns_ = 0;
  Totals last_tick_;
  LatencyHistogram last_tick_latency_;
  OwnCpu last_tick_cpu_;
  std::optional<ProcSample> broker_last_;
  bool broker_gone_ = false;  // --broker-pid could not be read at the latest tick
};

Totals Run::totals() const {
  Totals t;
  for (const auto& w : workers_) {
    WorkerStats& s = w->stats();
    t.connected += s.connected.value();
    t.connect_failed += s.connect_failed.value();
    t.active_failed += s.active_failed.value();
    t.subscribed += s.subscribed.value();
    t.subscribe_failed += s.subscribe_failed.value();
    t.lost += s.connections_lost.value();
    t.last_connected_ns = std::max(t.last_connected_ns, s.last_connected_ns.load());
    t.published += s.published.value();
    t.published_bytes += s.published_bytes.value();
    t.expected += s.expected.value();
    t.qos_published += s.qos_published.value();
    t.acked += s.acked.value();
    t.received += s.received.value();
    t.received_bytes += s.received_bytes.value();
    t.unique += s.unique.value();
    t.duplicated += s.duplicated.value();
    t.out_of_order += s.out_of_order.value();
    t.stale += s.stale.value();
    t.unexpected += s.unexpected.value();
    t.window_stalls += s.window_stalls.value();
    t.protocol_errors += s.protocol_errors.value();
    t.measured_allocations += s.measured_allocations.value();
    t.reconnects += s.reconnects.value();
    t.reconnects_resumed += s.reconnects_resumed.value();
    t.reconnect_failed += s.reconnect_failed.value();
  }
  return t;
}

LatencyHistogram Run::latency() const {
  LatencyHistogram merged;
  for (const auto& w : workers_) merged.merge(w->stats().latency);
  return merged;
}

LatencyHistogram Run::connect_latency() const {
  LatencyHistogram merged;
  for (const auto& w : workers_) merged.merge(w->stats().connect_latency);
  return merged;
}

bool Run::fail(std::string error) {
  if (!r_.error.empty()) return false;
  r_.error = std::move(error);
  for (const auto& w : workers_) {
    if (const char* why = w->stats().first_failure.load(std::memory_order_relaxed)) {
      r_.error += std::string(" (first failure: ") + why + ")";
      break;
    }
  }
  return false;
}

void Run::set_phase(Phase p) {
  state_->phase.store(p, std::memory_order_release);
  for (const auto& w : workers_) w->wake();
}

bool Run::healthy(const Totals& t) {
  if (t.lost != 0) {
    return fail(std::to_string(t.lost) + " connection(s) closed by the broker or by an error");
  }
  if (t.reconnect_failed > o_.max_connect_failures) {
    return fail(std::to_string(t.reconnect_failed) +
                " reconnection(s) failed (--max-connect-failures " +
                std::to_string(o_.max_connect_failures) + ")");
  }
  if (broker_gone_) {
    return fail("broker process " + std::to_string(o_.broker_pid) + " is gone");
  }
  return true;
}

void Run::tick(std::uint64_t now, const char* phase) {
  if (now < next_tick_ns_) return;
  next_tick_ns_ = now + kSecond;
  const Totals t = totals();
  LatencyHistogram lat = latency();
  const OwnCpu cpu = sample_own_cpu();
  std::optional<ProcSample> broker;
  if (o_.broker_pid != 0) broker = sample_process(o_.broker_pid);
  if (o_.broker_pid != 0 && !broker) broker_gone_ = true;
  if (broker) {
    r_.broker_samples.push_back(*broker);
    r_.broker_rss_peak_kb = std::max(r_.broker_rss_peak_kb, broker->rss_kb);
  }
  if (!o_.quiet && last_tick_ns_ != 0) {
    const double dt = double(now - last_tick_ns_) * 1e-9;
    LatencyHistogram interval = lat;
    interval.subtract(last_tick_latency_);
    const double lg_cpu = cpu_percent(last_tick_cpu_.user_s + last_tick_cpu_.sys_s,
                                      cpu.user_s + cpu.sys_s, last_tick_cpu_.at_ns, cpu.at_ns);
    std::fprintf(stderr,
                 "[%6.1fs] %-8s conn %lu/%lu  pub %.0f/s  recv %.0f/s  p99 %.1f us  "
                 "inflight %lu  unacked %lu  lg cpu %.0f%%",
                 double(now - connect_start_ns_) * 1e-9, phase, t.connected, r_.connections,
                 double(t.published - last_tick_.published) / dt,
                 double(t.received - last_tick_.received) / dt,
                 double(interval.percentile(99)) / 1e3,
                 t.expected > t.unique ? t.expected - t.unique : 0,
                 t.qos_published > t.acked ? t.qos_published - t.acked : 0, lg_cpu);
    if (o_.scenario == Scenario::kReconnect) {
      const std::uint64_t n = t.reconnects - last_tick_.reconnects;
      std::fprintf(
          stderr, "  reconnect %.0f/s resumed %.0f%%", double(n) / dt,
          n ? 100.0 * double(t.reconnects_resumed - last_tick_.reconnects_resumed) / double(n)
            : 0.0);
    }
    if (broker && broker_last_) {
      std::fprintf(
          stderr, "  broker cpu %.0f%% rss %.1f MB",
          cpu_percent(broker_last_->cpu_s, broker->cpu_s, broker_last_->at_ns, broker->at_ns),
          double(broker->rss_kb) / 1024.0);
    }
    std::fprintf(stderr, "\n");
  }
  last_tick_ns_ = now;
  last_tick_ = t;
  last_tick_latency_ = std::move(lat);
  last_tick_cpu_ = cpu;
  if (broker) broker_last_ = broker;
}

// Polls until done() or until_ns, ticking every second; false if the run cannot go on.
template <typename Done>
bool Run::wait(Done done, std::uint64_t until_ns, const char* phase) {
  for (;;) {
    const std::uint64_t now = monotonic_ns();
    tick(now, phase);
    const Totals t = totals();
    // Read publishers before subscribers, so a sample can only underestimate.
    if (t.expected > t.unique)
      r_.max_outstanding = std::max(r_.max_outstanding, t.expected - t.unique);
    if (!healthy(t)) return false;
    if (g_interrupted.load(std::memory_order_relaxed)) return fail("interrupted by a signal");
    if (done(t) || now >= until_ns) return true;
    std::this_thread::sleep_for(kPoll);
  }
}

bool Run::setup() {
  BrokerAddress broker;
  if (!resolve(o_, &broker, &r_.error)) return false;
  state_ = std::make_unique<RunState>(o_, shape_of(o_));
  if (o_.tls) {
    if (!tls_.init(o_, &r_.error)) return false;
    state_->tls = &tls_;
  }
  std::vector<std::vector<Client>> per_worker;
  if (!build_clients(o_, state_->table, &per_worker, &r_.error)) return false;
  std::uint64_t clients = 0;
  for (const auto& list : per_worker) clients += list.size();
  if (!ensure_fd_limit(clients, &r_.error)) return false;
  for (std::uint32_t i = 0; i < o_.threads; ++i) {
    r_.connections += per_worker[i].size();
    workers_.push_back(std::make_unique<Worker>(*state_, i, std::move(per_worker[i]), broker));
    const Status s = workers_.back()->init();
    if (!s.ok()) return fail(std::string("worker setup: ") + s.message());
  }
  std::vector<Worker*> peers;
  for (const auto& w : workers_) peers.push_back(w.get());
  for (const auto& w : workers_) w->set_peers(peers);
  if (o_.broker_pid != 0) {
    const std::optional<ProcSample> before = sample_process(o_.broker_pid);
    if (!before) return fail("broker process " + std::to_string(o_.broker_pid) + " not found");
    r_.has_broker = true;
    r_.broker_rss_before_kb = r_.broker_rss_peak_kb = before->rss_kb;
    r_.samples_origin_ns = before->at_ns;
  }
  return true;
}

bool Run::connect_phase() {
  const OwnCpu cpu_before = sample_own_cpu();
  const std::optional<ProcSample> broker_before =
      o_.broker_pid != 0 ? sample_process(o_.broker_pid) : std::nullopt;
  state_->run_start_ns = connect_start_ns_ = monotonic_ns();
  for (const auto& w : workers_) w->start();
  const std::uint64_t total = r_.connections;
  const double spread = o_.connect_rate > 0 ? double(total) / o_.connect_rate : 0;
  const std::uint64_t deadline =
      connect_start_ns_ + seconds_ns(spread + o_.connect_timeout_s) + 5 * kSecond;
  // Settled: every connection connected or failed, every subscription answered, or a
  // publisher/subscriber failed (which ends the run).
  const auto all_settled = [&](const Totals& t) {
    return (t.connected + t.connect_failed >= total &&
            t.subscribed + t.subscribe_failed >= o_.subscribers) ||
           t.active_failed != 0;
  };
  const bool ok = wait(all_settled, deadline, "connect");
  const Totals t = totals();
  r_.connected = t.connected;
  r_.connect_failed = t.connect_failed;
  r_.subscribe_failed = t.subscribe_failed;
  if (t.last_connected_ns > connect_start_ns_) {
    r_.connect_time_s = double(t.last_connected_ns - connect_start_ns_) * 1e-9;
    r_.connect_rate = r_.connect_time_s > 0 ? double(t.connected) / r_.connect_time_s : 0;
  }
  const OwnCpu cpu_after = sample_own_cpu();
  r_.connect_loadgen_cpu_percent =
      cpu_percent(cpu_before.user_s + cpu_before.sys_s, cpu_after.user_s + cpu_after.sys_s,
                  cpu_before.at_ns, cpu_after.at_ns);
  if (broker_before) {
    if (const std::optional<ProcSample> broker_after = sample_process(o_.broker_pid)) {
      r_.connect_broker_cpu_percent = cpu_percent(broker_before->cpu_s, broker_after->cpu_s,
                                                  broker_before->at_ns, broker_after->at_ns);
    }
  }
  if (!ok) return false;
  if (!all_settled(t)) return fail("connections still pending at the connect deadline");
  if (t.active_failed != 0) {
    return fail(std::to_string(t.active_failed) + " publisher/subscriber connection(s) failed");
  }
  if (t.connect_failed > o_.max_connect_failures) {
    return fail(std::to_string(t.connect_failed) +
                " connection(s) failed (--max-connect-failures " +
                std::to_string(o_.max_connect_failures) + ")");
  }
  return true;
}

bool Run::load_phases() {
  const auto never = [](const Totals&) { return false; };
  const bool conn = o_.scenario == Scenario::kConn;
  const bool churn = o_.scenario == Scenario::kReconnect;  // warm-up and measure, no drain
  if (!conn) {
    state_->publish_start_ns.store(monotonic_ns(), std::memory_order_relaxed);
    set_phase(Phase::kWarmup);
    if (!wait(never, monotonic_ns() + seconds_ns(o_.warmup_s), "warmup")) return false;
    set_phase(Phase::kMeasure);
  }
  const Reading start = read_now();
  const bool ok =
      wait(never, start.cpu.at_ns + seconds_ns(o_.duration_s), conn ? "hold" : "measure");
  if (!conn) set_phase(Phase::kDrain);
  record_interval(start, read_now());
  if (!ok || conn || churn) return ok;
  const std::uint64_t drain_start = monotonic_ns();
  const auto delivered_all = [](const Totals& t) {
    return t.unique >= t.expected && t.acked >= t.qos_published;
  };
  const bool drained = wait(delivered_all, drain_start + seconds_ns(o_.drain_s), "drain");
  r_.drain_s = double(monotonic_ns() - drain_start) * 1e-9;
  return drained;
}

Run::Reading Run::read_now() const {
  Reading r{totals(), latency(), connect_latency(), sample_own_cpu(), std::nullopt};
  if (o_.broker_pid != 0) r.broker = sample_process(o_.broker_pid);
  return r;
}

// The measured interval's figures: differences between the readings at its two ends.
void Run::record_interval(const Reading& a, const Reading& b) {
  r_.latency = b.latency;
  r_.latency.subtract(a.latency);
  r_.connect_latency = b.connect_latency;
  r_.connect_latency.subtract(a.connect_latency);
  r_.reconnects = b.totals.reconnects - a.totals.reconnects;
  r_.reconnects_resumed = b.totals.reconnects_resumed - a.totals.reconnects_resumed;
  r_.measured_s = double(b.cpu.at_ns - a.cpu.at_ns) * 1e-9;
  r_.published = b.totals.published - a.totals.published;
  r_.published_bytes = b.totals.published_bytes - a.totals.published_bytes;
  r_.acked_in_interval = b.totals.acked - a.totals.acked;
  r_.delivered = b.totals.received - a.totals.received;
  r_.delivered_bytes = b.totals.received_bytes - a.totals.received_bytes;
  r_.loadgen_user_s = b.cpu.user_s - a.cpu.user_s;
  r_.loadgen_sys_s = b.cpu.sys_s - a.cpu.sys_s;
  r_.loadgen_cpu_percent =
      cpu_percent(a.cpu.user_s + a.cpu.sys_s, b.cpu.user_s + b.cpu.sys_s, a.cpu.at_ns, b.cpu.at_ns);
  if (!a.broker || !b.broker) return;
  r_.broker_cpu_percent =
      cpu_percent(a.broker->cpu_s, b.broker->cpu_s, a.broker->at_ns, b.broker->at_ns);
  r_.broker_rss_after_kb = b.broker->rss_kb;
  r_.broker_rss_peak_kb = std::max(r_.broker_rss_peak_kb, b.broker->rss_kb);
  const bool conn = o_.scenario == Scenario::kConn;
  if (conn && r_.connected != 0) {  // may be negative: a broker may return memory meanwhile
    r_.broker_rss_per_connection_b = (double(b.broker->rss_kb) - double(r_.broker_rss_before_kb)) *
                                     1024.0 / double(r_.connected);
  }
}

void Run::stop() {
  if (!state_) return;
  set_phase(Phase::kStop);
  for (const auto& w : workers_) w->join();
}

// Whole-run correctness figures, read after the workers have stopped.
void Run::finish_report() {
  const Totals t = totals();
  r_.connections_lost = t.lost;
  r_.total_published = t.published;
  r_.expected = t.expected;
  r_.received = t.received;
  r_.unique = t.unique;
  r_.duplicated = t.duplicated;
  r_.out_of_order = t.out_of_order;
  r_.stale = t.stale;
  r_.unexpected = t.unexpected;
  r_.qos_published = t.qos_published;
  r_.acked = t.acked;
  r_.window_stalls = t.window_stalls;
  r_.protocol_errors = t.protocol_errors;
  r_.loadgen_allocations = t.measured_allocations;
  r_.reconnect_failed = t.reconnect_failed;
  const DeliveryTable& table = state_->table;
  std::vector<std::uint64_t> lost(table.publishers()), dup(table.publishers()),
      ooo(table.publishers());
  table.for_each([&](std::uint32_t, std::uint32_t p, const DeliveryTable::Entry& e) {
    lost[p] += e.tracker.lost(table.published_count(p));
    dup[p] += e.tracker.duplicated();
    ooo[p] += e.tracker.out_of_order();
  });
  const auto worst = [](const std::vector<std::uint64_t>& v, Worst* w) {
    for (std::size_t p = 0; p < v.size(); ++p) {
      if (v[p] > w->count) *w = Worst{static_cast<std::int64_t>(p), v[p]};
    }
  };
  r_.lost = 0;
  for (const std::uint64_t l : lost) r_.lost += l;
  worst(lost, &r_.worst_lost);
  worst(dup, &r_.worst_duplicated);
  worst(ooo, &r_.worst_out_of_order);
}

int Run::execute() {
  bool ok = setup() && connect_phase() && load_phases();
  stop();
  if (state_) finish_report();
  r_.completed = ok;
  r_.exit_code = ok ? 0 : 1;
  return r_.exit_code;
}

}  // namespace

int run_benchmark(const Options& o, Report* report) {
  install_interrupt_handler();
  return Run(o, report).execute();
}

}  // namespace rmq::loadgen
