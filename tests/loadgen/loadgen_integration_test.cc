// ringmq-bench against the real ringmq binary (and Mosquitto when installed): every scenario
// completes, QoS 1 and 2 lose and duplicate nothing, and the figures are sane. No assertion on
// absolute speed: the machine is shared.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "broker_process.h"

namespace rmq::itest {
namespace {

using nlohmann::json;

constexpr const char* kBench = RINGMQ_BENCH_BINARY;

struct BenchRun {
  int exit_code = -1;
  std::string output;
  json report;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs ringmq-bench `args` against 127.0.0.1:`port` with short phases, JSON into a file.
BenchRun bench(std::uint16_t port, std::vector<std::string> args, int broker_pid = 0) {
  char path[] = "/tmp/ringmq-bench-json-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) ::close(fd);
  std::vector<std::string> argv = {kBench};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* a : {"--port", "", "--json", "", "--quiet"}) argv.emplace_back(a);
  argv[argv.size() - 4] = std::to_string(port);
  argv[argv.size() - 2] = path;
  const auto has = [&](const std::string& flag) {
    return std::find(args.begin(), args.end(), flag) != args.end();
  };
  if (!has("--duration")) argv.insert(argv.end(), {"--duration", "1.5"});
  if (!has("--warmup")) argv.insert(argv.end(), {"--warmup", "0.3"});
  if (!has("--drain")) argv.insert(argv.end(), {"--drain", "10"});
  if (broker_pid != 0) argv.insert(argv.end(), {"--broker-pid", std::to_string(broker_pid)});
  BenchRun r;
  std::tie(r.exit_code, r.output) = run(argv, 90s);
  const std::string text = read_all(path);
  ::unlink(path);
  if (!text.empty()) r.report = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return r;
}

pid_t pid_listening_on(std::uint16_t port);

// A completed run with sane figures; QoS 1/2 (and `lossless`) runs must lose nothing.
void expect_sound(const BenchRun& r, bool lossless) {
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  const json& j = r.report;
  EXPECT_TRUE(j["result"]["completed"].get<bool>()) << j.dump(2);
  EXPECT_EQ(j["connect"]["failed"], 0);
  EXPECT_EQ(j["connect"]["connected"], j["connect"]["connections"]);
  EXPECT_GT(j["connect"]["rate_per_s"].get<double>(), 0);
  const json& d = j["delivery"];
  EXPECT_GT(j["publish"]["rate"].get<double>(), 0) << j.dump(2);
  EXPECT_GT(d["rate"].get<double>(), 0) << j.dump(2);
  EXPECT_GT(d["expected"].get<std::uint64_t>(), 0u);
  EXPECT_EQ(d["unique"].get<std::uint64_t>() + d["lost"].get<std::uint64_t>(),
            d["expected"].get<std::uint64_t>())
      << j.dump(2);
  EXPECT_EQ(d["stale"], 0);
  EXPECT_EQ(d["unexpected"], 0);
  EXPECT_EQ(j["loadgen"]["protocol_errors"], 0);
  EXPECT_EQ(j["loadgen"]["allocations_while_measuring"], 0) << "the message path allocated";
  const int qos = j["config"]["qos"];
  if (qos > 0 || lossless) {
    EXPECT_EQ(d["lost"], 0) << j.dump(2);
    EXPECT_EQ(d["duplicated"], 0) << j.dump(2);
    EXPECT_EQ(d["received"], d["expected"]);
  }
  if (qos > 0) {
    EXPECT_EQ(j["publish"]["unacked"], 0) << j.dump(2);
    EXPECT_EQ(j["publish"]["acked"], j["publish"]["qos_published"]);
  }
  const json& l = j["latency_us"];
  EXPECT_GT(l["count"].get<std::uint64_t>(), 0u);
  EXPECT_LE(l["min"].get<double>(), l["p50"].get<double>());
  EXPECT_LE(l["p50"].get<double>(), l["p90"].get<double>());
  EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["p999"].get<double>());
  EXPECT_LE(l["p999"].get<double>(), l["max"].get<double>());
  EXPECT_GE(j["loadgen"]["cpu_percent"].get<double>(), 0);
}

// ringmq with unbounded session queues, as Mosquitto is configured below: the harness measures
// delivery, not a queue limit.
BrokerProcess start_ringmq() { return BrokerProcess({"--max-queued-messages", "0"}, 1); }

struct Case {
  std::string name;
  std::vector<std::string> args;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class RingmqScenario : public ::testing::TestWithParam<Case> {};

TEST_P(RingmqScenario, CompletesSoundly) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  const BenchRun r = bench(broker.port(), GetParam().args);
  expect_sound(r, false);
}

INSTANTIATE_TEST_SUITE_P(
    Scenarios, RingmqScenario,
    ::testing::Values(
        Case{"fanin_qos0", {"fanin", "--publishers", "10"}},
        Case{"fanout_qos0", {"fanout", "--subscribers", "10"}},
        Case{"pairs_qos0", {"pairs", "--pairs", "10"}},
        Case{"shared_qos0", {"shared", "--publishers", "4", "--subscribers", "3"}},
        Case{"composite_qos0", {"composite", "--load", "pairs", "--pairs", "5", "--idle", "200"}},
        Case{"fanin_qos1", {"fanin", "--publishers", "10", "--qos", "1"}},
        Case{"fanin_qos2", {"fanin", "--publishers", "10", "--qos", "2"}},
        Case{"fanout_qos1_v5", {"fanout", "--subscribers", "10", "--qos", "1", "--mqtt", "5"}},
        Case{"fanout_qos2", {"fanout", "--subscribers", "5", "--qos", "2"}},
        Case{"pairs_qos1_v5", {"pairs", "--pairs", "10", "--qos", "1", "--mqtt", "5"}},
        Case{"pairs_qos2_v5", {"pairs", "--pairs", "10", "--qos", "2", "--mqtt", "5"}},
        Case{"shared_qos1", {"shared", "--publishers", "4", "--subscribers", "3", "--qos", "1"}},
        Case{"shared_qos2_v5",
             {"shared", "--publishers", "4", "--subscribers", "3", "--qos", "2", "--mqtt", "5"}},
        Case{"fanin_qos1_two_threads",
             {"fanin", "--publishers", "10", "--qos", "1", "--threads", "2"}},
        Case{"pairs_qos2_persistent_v5",
             {"pairs", "--pairs", "5", "--qos", "2", "--mqtt", "5", "--persistent",
              "--session-expiry", "5"}},
        Case{"fanin_qos1_1k_nagle",
             {"fanin", "--publishers", "5", "--qos", "1", "--payload", "1024", "--nodelay=false"}}),
    [](const auto& param_info) { return param_info.param.name; });

TEST(RingmqConn, ConnectsAllAndReportsMemoryPerConnection) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  const pid_t pid = pid_listening_on(broker.port());
  ASSERT_GT(pid, 0) << "no process found listening on port " << broker.port();
  const BenchRun r = bench(broker.port(),
                           {"conn", "--connections", "500", "--connect-rate", "2000", "--duration",
                            "0.5", "--keepalive", "5"},
                           pid);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json& j = r.report;
  EXPECT_EQ(j["connect"]["connected"], 500);
  EXPECT_EQ(j["connect"]["failed"], 0);
  EXPECT_GT(j["connect"]["time_s"].get<double>(), 0);
  // 500 at 2000/s take about a quarter of a second: the rate is honoured, not exceeded.
  EXPECT_LE(j["connect"]["rate_per_s"].get<double>(), 2000 * 1.2);
  ASSERT_TRUE(j["broker"].is_object()) << j.dump(2);
  EXPECT_EQ(j["broker"]["pid"], pid);
  EXPECT_GT(j["broker"]["rss_after_kb"].get<std::uint64_t>(), 0u);
  EXPECT_GE(j["broker"]["rss_per_connection_bytes"].get<double>(), 0);
  EXPECT_GE(j["broker"]["samples"].size(), 1u);
}

// A reconnect run's figures: reconnections made, none failed, `resumed` of them resumed (-1: at
// least half), and ordered setup-time percentiles.
void expect_reconnects(const BenchRun& r, int resumed) {
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const json& j = r.report;
  ASSERT_TRUE(j["reconnect"].is_object()) << j.dump(2);
  const json& rc = j["reconnect"];
  EXPECT_GT(rc["count"].get<std::uint64_t>(), 0u) << rc.dump(2);
  EXPECT_GT(rc["rate_per_s"].get<double>(), 0);
  EXPECT_EQ(rc["failed"], 0);
  EXPECT_EQ(j["connect"]["connected"], j["connect"]["connections"]);
  if (resumed >= 0) {
    EXPECT_EQ(rc["resumed"], resumed) << rc.dump(2);
  } else {
    EXPECT_GE(rc["resumed_fraction"].get<double>(), 0.5) << rc.dump(2);
  }
  const json& l = rc["latency_us"];
  // Counters and histogram are read a moment apart at each end of the measured interval.
  const auto count = rc["count"].get<double>();
  EXPECT_NEAR(l["count"].get<double>(), count, count / 100 + 10);
  EXPECT_GT(l["p50"].get<double>(), 0);
  EXPECT_LE(l["p50"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
}

TEST(RingmqReconnect, ReconnectsOverAndOver) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  expect_reconnects(bench(broker.port(), {"reconnect", "--connections", "5", "--duration", "1"}),
                    0);
  const BenchRun other = bench(broker.port(), {"fanin", "--publishers", "2"});
  ASSERT_EQ(other.exit_code, 0) << other.output;
  EXPECT_TRUE(other.report["reconnect"].is_null());
}

TEST(RingmqBench, RateIsHonoured) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  const BenchRun r = bench(broker.port(), {"pairs", "--pairs", "5", "--qos", "1", "--rate", "500"});
  expect_sound(r, false);
  // 5 publishers x 500/s: never above the schedule (one message of slack per publisher).
  const double rate = r.report["publish"]["rate"].get<double>();
  const double measured = r.report["measured_s"].get<double>();
  EXPECT_LE(rate, 2500 + 5 / measured + 1) << r.report.dump(2);
  EXPECT_GE(rate, 2500 * 0.5) << r.report.dump(2);
}

TEST(RingmqBench, WindowBoundsWhatIsOutstanding) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  // 4 publishers -> 2 subscribers, window 25: at most 4 x 25 messages x 2 deliveries outstanding.
  const BenchRun r = bench(broker.port(), {"fanin", "--publishers", "4", "--subscribers", "2",
                                           "--window", "25", "--qos", "1"});
  expect_sound(r, false);
  EXPECT_GT(r.report["delivery"]["max_outstanding"].get<std::uint64_t>(), 0u);
  EXPECT_LE(r.report["delivery"]["max_outstanding"].get<std::uint64_t>(), 4u * 25 * 2);
}

TEST(RingmqBench, KeepAlivePingsHoldIdleConnections) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  // The broker closes a connection silent for 1.5 x keep alive; the hold lasts well beyond it.
  const BenchRun r =
      bench(broker.port(), {"conn", "--connections", "20", "--keepalive", "1", "--duration", "4"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_EQ(r.report["connect"]["lost"], 0);
  EXPECT_EQ(r.report["connect"]["connected"], 20);
}

TEST(RingmqBench, SourceAddressesAreUsedRoundRobin) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  const BenchRun r = bench(broker.port(), {"conn", "--connections", "30", "--source-addresses",
                                           "127.0.0.2-127.0.0.4", "--duration", "0.2"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(broker.count_in_log("] connect client=rmqb"), 30u);
  for (const char* source : {"addr=127.0.0.2:", "addr=127.0.0.3:", "addr=127.0.0.4:"}) {
    EXPECT_EQ(broker.count_in_log(source), 20u) << source;  // 10 connect and 10 disconnect lines
  }
  EXPECT_EQ(broker.count_in_log("addr=127.0.0.1:"), 0u);
}

TEST(RingmqBench, BrokerGoneExitsOne) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  std::thread killer([&] {
    std::this_thread::sleep_for(1500ms);
    broker.stop(9);
  });
  const BenchRun r = bench(broker.port(), {"pairs", "--pairs", "2", "--duration", "20"});
  killer.join();
  EXPECT_EQ(r.exit_code, 1) << r.output;
  ASSERT_TRUE(r.report.is_object()) << r.output;
  EXPECT_FALSE(r.report["result"]["completed"].get<bool>());
  EXPECT_FALSE(r.report["result"]["error"].get<std::string>().empty());
}

// Starts `argv` with its output discarded; returns its pid (the caller waits for it).
pid_t spawn_quiet(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) pid = -1;
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

TEST(RingmqBench, InterruptReportsWhatWasMeasured) {
  BrokerProcess broker = start_ringmq();
  ASSERT_TRUE(broker.running());
  char path[] = "/tmp/ringmq-bench-json-XXXXXX";
  const int fd = mkstemp(path);
  if (fd >= 0) ::close(fd);
  const pid_t pid = spawn_quiet({kBench, "pairs", "--pairs", "2", "--port", broker.port_text(),
                                 "--duration", "30", "--warmup", "0", "--json", path, "--quiet"});
  ASSERT_GT(pid, 0);
  std::this_thread::sleep_for(1500ms);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const json report = json::parse(read_all(path), nullptr, false);
  ::unlink(path);
  ASSERT_TRUE(report.is_object());
  EXPECT_FALSE(report["result"]["completed"].get<bool>());
  EXPECT_NE(report["result"]["error"].get<std::string>().find("interrupted"), std::string::npos);
  EXPECT_GT(report["publish"]["count"].get<std::uint64_t>(), 0u);
  EXPECT_GT(report["measured_s"].get<double>(), 0.5);
}

TEST(RingmqBench, NothingListeningExitsOne) {
  const BenchRun r = bench(pick_free_port(), {"pairs", "--pairs", "1", "--connect-timeout", "2"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
}

TEST(RingmqBench, BadFlagExitsTwoWithOneLine) {
  const auto [code, output] = run({kBench, "fanin", "--qos", "7"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(output.find("--qos"), std::string::npos) << output;
  EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
}

// The pid of the process listening on `port` (BrokerProcess does not expose it), found through
// the socket inode in /proc/net/tcp and the processes' fds. 0 if not found.
pid_t pid_listening_on(std::uint16_t port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::string inode;
  char port_hex[8];
  std::snprintf(port_hex, sizeof(port_hex), ":%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, queues, timer, retr, uid, timeout, ino;
    f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> ino;
    if (state == "0A" && local.size() > 5 && local.substr(local.size() - 5) == port_hex) {
      inode = ino;
    }
  }
  if (inode.empty()) return 0;
  const std::string target = "socket:[" + inode + "]";
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = proc.path().filename();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    for (const auto& fd : std::filesystem::directory_iterator(proc.path() / "fd", ec)) {
      std::error_code link_ec;
      if (std::filesystem::read_symlink(fd.path(), link_ec).string() == target) {
        return static_cast<pid_t>(std::stoi(name));
      }
    }
  }
  return 0;
}

// Mosquitto, when installed: the harness works against a broker we did not write.
class MosquittoBroker {
 public:
  // `tls_files`: "" for plain TCP, else a directory holding server.crt and server.key.
  explicit MosquittoBroker(const std::string& tls_files = "") : port_(pick_free_port()) {
    char path[] = "/tmp/ringmq-bench-mosquitto-XXXXXX";
    const int fd = mkstemp(path);
    if (fd >= 0) ::close(fd);
    config_ = path;
    std::ofstream config(config_);
    config << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
           << "max_queued_messages 1000000\nmax_inflight_messages 0\n"
           << "set_tcp_nodelay true\npersistence false\n";
    if (!tls_files.empty()) {
      config << "certfile " << tls_files << "/server.crt\nkeyfile " << tls_files << "/server.key\n";
    }
    config.close();
    process_ = std::make_unique<Command>(std::vector<std::string>{kMosquitto, "-c", config_});
  }
  ~MosquittoBroker() {
    process_.reset();
    ::unlink(config_.c_str());
  }
  static bool installed() { return access(kMosquitto, X_OK) == 0; }
  bool wait_ready() const {
    for (int i = 0; i < 200; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port_);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
      ::close(fd);
      if (ok) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }
  std::uint16_t port() const { return port_; }

 private:
  static constexpr const char* kMosquitto = "/usr/sbin/mosquitto";
  std::uint16_t port_;
  std::string config_;
  std::unique_ptr<Command> process_;
};

TEST(Mosquitto, FaninQos1AndFanoutQos0) {
  if (!MosquittoBroker::installed()) GTEST_SKIP() << "mosquitto is not installed";
  MosquittoBroker broker;
  ASSERT_TRUE(broker.wait_ready());
  expect_sound(bench(broker.port(), {"fanin", "--publishers", "10", "--qos", "1"}), false);
  expect_sound(bench(broker.port(), {"fanout", "--subscribers", "10", "--mqtt", "5"}), false);
}

// A self-signed certificate for 127.0.0.1 in a fresh directory, readable by the mosquitto user.
std::string make_server_certificate() {
  char dir[] = "/tmp/ringmq-bench-tls-XXXXXX";
  if (mkdtemp(dir) == nullptr) return "";
  const std::string d = dir;
  const auto [code, output] =
      run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
           "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout",
           d + "/server.key", "-out", d + "/server.crt"},
          60s);
  if (code != 0) return "";
  std::filesystem::permissions(d, std::filesystem::perms(0755));
  std::filesystem::permissions(d + "/server.key", std::filesystem::perms(0644));
  return d;
}

TEST(MosquittoTls, VerifiedAndInsecureRuns) {
  if (!MosquittoBroker::installed()) GTEST_SKIP() << "mosquitto is not installed";
  const std::string files = make_server_certificate();
  if (files.empty()) GTEST_SKIP() << "openssl could not make a certificate";
  {
    MosquittoBroker broker(files);
    ASSERT_TRUE(broker.wait_ready());
    expect_sound(bench(broker.port(), {"pairs", "--pairs", "5", "--qos", "1", "--tls", "--cafile",
                                       files + "/server.crt"}),
                 false);
    expect_sound(bench(broker.port(), {"fanin", "--publishers", "5", "--qos", "2", "--mqtt", "5",
                                       "--tls", "--insecure", "--threads", "2"}),
                 false);
    const std::vector<std::string> reconnect = {
        "reconnect", "--connections", "4",        "--duration",
        "1",         "--tls",         "--cafile", files + "/server.crt"};
    expect_reconnects(bench(broker.port(), reconnect), 0);  // every handshake a full one
    std::vector<std::string> resume = reconnect;
    resume.push_back("--tls-resume");
    expect_reconnects(bench(broker.port(), resume), -1);
    // Without the CA the broker's certificate cannot be verified: the run cannot complete.
    const BenchRun unverified = bench(broker.port(), {"pairs", "--pairs", "1", "--tls"});
    EXPECT_EQ(unverified.exit_code, 1) << unverified.output;
  }
  std::filesystem::remove_all(files);
}

}  // namespace
}  // namespace rmq::itest
