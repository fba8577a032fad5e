// Command line of ringmq-bench: `ringmq-bench <scenario> [options]`.
//
// parse_options() never exits the process and never throws: it returns the options, or the exit
// code and the text to print (help on stdout with code 0; one line naming the bad flag on stderr
// with code 2).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

namespace rmq::loadgen {

enum class Scenario : std::uint8_t {
  kConn,
  kFanin,
  kFanout,
  kPairs,
  kShared,
  kComposite,
  kReconnect,  // connect, CONNACK, DISCONNECT, again: connection setups (TLS handshakes) per second
};

const char* to_string(Scenario s);

struct Options {
  Scenario scenario = Scenario::kFanin;
  Scenario load = Scenario::kPairs;  // composite: the active load beside the idle connections
  int mqtt_version = 4;              // protocol level: 4 = 3.1.1, 5 = 5.0
  int qos = 0;
  std::uint32_t payload = 16;   // bytes, >= kStampSize
  double rate = 0;              // msg/s per publisher; 0 = as fast as the window allows
  std::uint32_t window = 1000;  // per publisher, end to end; 0 = unbounded
  std::uint32_t inflight = 0;   // unacknowledged QoS 1/2 PUBLISH per publisher; 0 = auto
  double duration_s = 10;
  double warmup_s = 1;
  double drain_s = 2;
  std::string topic = "bench";
  std::string group = "bench";  // shared subscription group name
  std::string client_prefix;    // default: "rmqb-<pid>-"
  std::uint16_t keepalive_s = 60;
  bool clean = true;
  std::uint32_t session_expiry_s = 0;  // 5.0 Session Expiry Interval with --persistent
  std::string host = "127.0.0.1";
  std::uint16_t port = 1883;
  std::vector<in_addr> source_addresses;  // empty: the kernel picks
  std::uint32_t threads = 1;
  bool nodelay = true;
  std::uint32_t publishers = 0;              // 0: the scenario's default
  std::uint32_t subscribers = 0;             // 0: the scenario's default
  std::uint32_t connections = 0;             // conn (default 1000), reconnect (default 50)
  std::uint32_t idle = 0;                    // idle connections beside the load
  double connect_rate = 0;                   // new connections per second; 0 = unlimited
  std::uint32_t connect_concurrency = 1000;  // connections being set up at once
  double connect_timeout_s = 10;
  std::uint32_t max_connect_failures = 0;  // more and the run fails (exit 1)
  int broker_pid = 0;
  std::string json_path;  // "" none, "-" stdout
  bool quiet = false;
  bool tls = false;
  std::string cafile, cert, key;
  bool insecure = false;
  bool tls_resume = false;  // reconnect: offer each client's latest session again
};

struct ParseOutcome {
  bool run = false;  // true: `options` is valid and the benchmark should run
  int exit_code = 0;
  std::string message;  // help text (exit 0) or one-line error (exit 2)
  Options options;
};

ParseOutcome parse_options(const std::vector<std::string>& args);  // args exclude argv[0]

// Publisher and subscriber counts after scenario defaults: conn has none; fanin defaults to
// 50 -> 1, fanout 1 -> 50, pairs 50 pairs, shared 10 -> 5 members; conn and reconnect have
// idle connections only (--connections, default 1000 and 50).
void apply_scenario_defaults(Options& o);

}  // namespace rmq::loadgen
