#include "bench/loadgen/options.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <map>

#include "bench/loadgen/payload.h"

namespace rmq::loadgen {
namespace {

constexpr const char* kDescription =
    "ringmq-bench: MQTT load generator for any broker.\n"
    "Scenarios: conn, reconnect, fanin, fanout, pairs, shared, composite (see "
    "bench/loadgen/README.md).";

const std::map<std::string, Scenario>& scenario_names() {
  static const std::map<std::string, Scenario> kNames = {
      {"conn", Scenario::kConn},           {"fanin", Scenario::kFanin},
      {"fanout", Scenario::kFanout},       {"pairs", Scenario::kPairs},
      {"p2p", Scenario::kPairs},           {"shared", Scenario::kShared},
      {"composite", Scenario::kComposite}, {"reconnect", Scenario::kReconnect}};
  return kNames;
}

// Values CLI11 reads as text or with ranges; checked and applied to Options afterwards.
struct Raw {
  std::string scenario;
  std::string load = "pairs";
  std::string mqtt = "3.1.1";
  std::string source_addresses;
  std::uint32_t pairs = 0;
};

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

void add_workload_flags(CLI::App& app, Raw& raw, Options& o) {
  std::vector<std::string> names;
  for (const auto& [name, _] : scenario_names()) names.push_back(name);
  app.add_option("scenario", raw.scenario, "conn|reconnect|fanin|fanout|pairs|shared|composite")
      ->required()
      ->check(CLI::IsMember(names));
  app.add_option("--load", raw.load, "composite: the active scenario beside the idle connections")
      ->check(CLI::IsMember({"fanin", "fanout", "pairs", "p2p", "shared"}))
      ->capture_default_str();
  app.add_option("--mqtt", raw.mqtt, "Protocol version: 3.1.1 or 5")
      ->check(CLI::IsMember({"3.1.1", "5", "5.0"}))
      ->capture_default_str();
  app.add_option("--qos", o.qos, "QoS of publishes and subscriptions")
      ->check(CLI::Range(0, 2))
      ->capture_default_str();
  app.add_option("--payload", o.payload, "Payload bytes (>= 16: sequence number and timestamp)")
      ->check(CLI::Range(static_cast<std::uint32_t>(kStampSize), 256u * 1024 * 1024))
      ->capture_default_str();
  app.add_option("--rate", o.rate, "Messages per second per publisher; 0 = as fast as possible")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  app.add_option("--window", o.window,
                 "Most messages per publisher published but not yet received by every "
                 "subscriber that should get them; 0 = unbounded")
      ->check(CLI::Range(0u, 10'000'000u))
      ->capture_default_str();
  app.add_option("--inflight", o.inflight,
                 "Unacknowledged QoS 1/2 publishes per publisher; 0 = the broker's Receive "
                 "Maximum (5.0) or 65535 (3.1.1)")
      ->check(CLI::Range(0u, 65535u))
      ->capture_default_str();
  app.add_option("--publishers", o.publishers, "Publishers (fanin, shared; default 50 and 10)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--subscribers", o.subscribers,
                 "Subscribers (fanin, fanout; shared group members; default 1, 50, 5)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--pairs", raw.pairs, "Publisher/subscriber pairs (pairs; default 50)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--connections", o.connections,
                 "Connections (conn, default 1000; reconnect: clients reconnecting, default 50)")
      ->check(CLI::Range(1u, 10'000'000u));
  app.add_option("--idle", o.idle, "Idle connections beside the load")
      ->check(CLI::Range(0u, 10'000'000u))
      ->capture_default_str();
  app.add_option("--topic", o.topic, "Topic prefix; publisher p publishes on <topic>/<p>")
      ->capture_default_str();
  app.add_option("--group", o.group, "Shared subscription group (shared)")->capture_default_str();
}

void add_timing_flags(CLI::App& app, Options& o) {
  app.add_option("--duration", o.duration_s, "Measured seconds")
      ->check(CLI::Range(0.001, 1e7))
      ->capture_default_str();
  app.add_option("--warmup", o.warmup_s, "Seconds of load before measuring (not counted)")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--drain", o.drain_s,
                 "Seconds to wait for deliveries after publishing stops; later ones are lost")
      ->check(CLI::Range(0.0, 1e7))
      ->capture_default_str();
  app.add_option("--connect-rate", o.connect_rate, "New connections per second; 0 = unlimited")
      ->check(CLI::Range(0.0, 1e9))
      ->capture_default_str();
  app.add_option("--connect-concurrency", o.connect_concurrency, "Connections being set up at once")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  app.add_option("--connect-timeout", o.connect_timeout_s, "Seconds to set up all connections")
      ->check(CLI::Range(0.001, 1e7))
      ->capture_default_str();
  app.add_option("--max-connect-failures", o.max_connect_failures,
                 "Connections that may fail before the run is abandoned (exit 1)")
      ->capture_default_str();
}

void add_connection_flags(CLI::App& app, Raw& raw, Options& o) {
  app.add_option("--host", o.host, "Broker address")->capture_default_str();
  app.add_option("--port", o.port, "Broker port")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  app.add_option("--source-addresses", raw.source_addresses,
                 "Bind outgoing connections round robin over A.B.C.D-A.B.C.E (or one address)");
  app.add_option("--threads", o.threads, "Load generator threads")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_flag("--nodelay,!--no-nodelay", o.nodelay,
               "TCP_NODELAY on every connection (--nodelay=false to turn off)")
      ->capture_default_str();
  app.add_option("--keepalive", o.keepalive_s, "MQTT keep alive, seconds")->capture_default_str();
  app.add_flag("--clean,!--persistent", o.clean,
               "Clean sessions (default) or persistent ones (--persistent)");
  app.add_option("--session-expiry", o.session_expiry_s,
                 "5.0 Session Expiry Interval, seconds, for --persistent")
      ->capture_default_str();
  app.add_option("--client-prefix", o.client_prefix, "Client identifier prefix")
      ->default_str("rmqb-<pid>-");
  app.add_flag("--tls", o.tls, "Connect over TLS");
  app.add_option("--cafile", o.cafile, "TLS: CA certificates to verify the broker");
  app.add_option("--cert", o.cert, "TLS: client certificate");
  app.add_option("--key", o.key, "TLS: client private key");
  app.add_flag("--insecure", o.insecure, "TLS: do not verify the broker's certificate");
  app.add_flag("--tls-resume", o.tls_resume,
               "TLS: offer each client's latest session when it reconnects (resumption)");
}

void add_report_flags(CLI::App& app, Options& o) {
  app.add_option("--broker-pid", o.broker_pid, "Sample this process's CPU and RSS")
      ->check(CLI::Range(1, 1 << 30));
  app.add_option("--json", o.json_path, "Write every figure as JSON to FILE, or - for stdout")
      ->type_name("FILE|-");
  app.add_flag("--quiet", o.quiet, "No progress lines and no human summary");
}

// Parses "A.B.C.D" or "A.B.C.D-A.B.C.E" into the addresses it spans.
bool parse_source_addresses(const std::string& text, std::vector<in_addr>* out) {
  const auto dash = text.find('-');
  const std::string first = text.substr(0, dash);
  const std::string last = dash == std::string::npos ? first : text.substr(dash + 1);
  in_addr a{}, b{};
  if (inet_pton(AF_INET, first.c_str(), &a) != 1 || inet_pton(AF_INET, last.c_str(), &b) != 1) {
    return false;
  }
  const std::uint32_t lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
  if (hi < lo || hi - lo >= 65536) return false;
  for (std::uint64_t v = lo; v <= hi; ++v) {
    in_addr addr{};
    addr.s_addr = htonl(static_cast<std::uint32_t>(v));
    out->push_back(addr);
  }
  return true;
}

// Cross-flag checks; "" when all is well, else the one-line error.
std::string check_combination(const Raw& raw, Options& o) {
  o.scenario = scenario_names().at(raw.scenario);
  o.load = scenario_names().at(raw.load);
  o.mqtt_version = raw.mqtt == "3.1.1" ? 4 : 5;
  if (!raw.source_addresses.empty() &&
      !parse_source_addresses(raw.source_addresses, &o.source_addresses)) {
    return "--source-addresses: expected A.B.C.D or A.B.C.D-A.B.C.E (at most 65536), got '" +
           raw.source_addresses + "'";
  }
  const Scenario active = o.scenario == Scenario::kComposite ? o.load : o.scenario;
  if (raw.pairs != 0) {
    if (active != Scenario::kPairs) return "--pairs: only for the pairs scenario";
    o.publishers = o.subscribers = raw.pairs;
  }
  if (active == Scenario::kFanout && o.publishers > 1) {
    return "--publishers: fanout has exactly one publisher";
  }
  if (active == Scenario::kPairs && o.publishers != 0 && o.subscribers != 0 &&
      o.publishers != o.subscribers) {
    return "--publishers: pairs needs as many publishers as subscribers (use --pairs N)";
  }
  if (o.topic.empty() || o.topic.find_first_of("+#") != std::string::npos) {
    return "--topic: must be a non-empty topic name without wildcards";
  }
  if (o.group.empty() || o.group.find_first_of("/+#") != std::string::npos) {
    return "--group: must be non-empty, without '/', '+' or '#'";
  }
  if (o.session_expiry_s != 0 && o.clean) return "--session-expiry: needs --persistent";
  if (!o.tls && (!o.cafile.empty() || !o.cert.empty() || !o.key.empty() || o.insecure)) {
    return "--cafile/--cert/--key/--insecure: need --tls";
  }
  if (o.cert.empty() != o.key.empty()) return "--cert: --cert and --key go together";
  if (o.tls_resume && !o.tls) return "--tls-resume: needs --tls";
  if (o.json_path == "-" && !o.quiet) o.quiet = true;  // stdout carries the JSON only
  if (o.client_prefix.empty()) o.client_prefix = "rmqb-" + std::to_string(getpid()) + "-";
  return "";
}

}  // namespace

const char* to_string(Scenario s) {
  switch (s) {
    case Scenario::kConn: return "conn";
    case Scenario::kFanin: return "fanin";
    case Scenario::kFanout: return "fanout";
    case Scenario::kPairs: return "pairs";
    case Scenario::kShared: return "shared";
    case Scenario::kComposite: return "composite";
    case Scenario::kReconnect: return "reconnect";
  }
  return "?";
}

void apply_scenario_defaults(Options& o) {
  const Scenario active = o.scenario == Scenario::kComposite ? o.load : o.scenario;
  switch (active) {
    case Scenario::kConn:
    case Scenario::kReconnect:
      o.publishers = o.subscribers = 0;
      if (o.connections == 0) o.connections = active == Scenario::kConn ? 1000 : 50;
      return;
    case Scenario::kFanin:
      if (o.publishers == 0) o.publishers = 50;
      if (o.subscribers == 0) o.subscribers = 1;
      return;
    case Scenario::kFanout:
      o.publishers = 1;
      if (o.subscribers == 0) o.subscribers = 50;
      return;
    case Scenario::kPairs:
      if (o.publishers == 0) o.publishers = o.subscribers != 0 ? o.subscribers : 50;
      o.subscribers = o.publishers;
      return;
    case Scenario::kShared:
      if (o.publishers == 0) o.publishers = 10;
      if (o.subscribers == 0) o.subscribers = 5;
      return;
    case Scenario::kComposite: return;
  }
}

ParseOutcome parse_options(const std::vector<std::string>& args) {
  ParseOutcome out;
  CLI::App app(kDescription, "ringmq-bench");
  app.option_defaults()->always_capture_default();
  Raw raw;
  add_workload_flags(app, raw, out.options);
  add_timing_flags(app, out.options);
  add_connection_flags(app, raw, out.options);
  add_report_flags(app, out.options);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out.message = app.help();
    return out;
  } catch (const CLI::ParseError& e) {
    out.exit_code = 2;
    out.message = "ringmq-bench: " + one_line(e.what());
    return out;
  }
  const std::string error = check_combination(raw, out.options);
  if (!error.empty()) {
    out.exit_code = 2;
    out.message = "ringmq-bench: " + error;
    return out;
  }
  apply_scenario_defaults(out.options);
  out.run = true;
  return out;
}

}  // namespace rmq::loadgen
