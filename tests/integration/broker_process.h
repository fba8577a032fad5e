// Test fixtures that run the real `ringmq` binary and other programs.
//
// BrokerProcess starts ringmq on a free loopback port with its log in a temporary file, waits until
// it accepts connections, and stops it with a signal. Command runs a program (mosquitto_pub,
// python3, ...) with its output captured in a file, in the background or to completion.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rmq::itest {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
std::uint16_t pick_free_port();

// A program that takes `--listen 127.0.0.1:0` and logs "<name> listening on 127.0.0.1:PORT".
struct ListeningProgram {
  std::string name;               // "ringmq", "ringmq-forwarder": the log line's first word
  std::vector<std::string> argv;  // binary and arguments, `--listen 127.0.0.1:0` among them
};

class BrokerProcess {
 public:
  // Starts ringmq with `--listen 127.0.0.1:<port> --threads <threads>` and `extra_args`.
  explicit BrokerProcess(std::vector<std::string> extra_args = {}, int threads = 1);
  // Starts another listening program (the trivial forwarder) with the same life cycle.
  explicit BrokerProcess(ListeningProgram program);
  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  std::uint16_t port() const { return port_; }
  std::string port_text() const { return std::to_string(port_); }
  // Sends `signal` and waits; returns the exit code (128 + signal if killed), -1 on timeout.
  int stop(int signal = 15, Millis timeout = 10s);

  std::string log() const;
  // Waits until the log contains `needle`.
  bool wait_for_log(const std::string& needle, Millis timeout = 5s) const;
  // Counts occurrences of `needle` in the log.
  std::size_t count_in_log(const std::string& needle) const;
  // The shard of the latest "connect client=<id> " line, once one is logged.
  std::optional<int> shard_of(const std::string& client_id, Millis timeout = 5s) const;

 private:
  bool start();

  ListeningProgram program_;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
};

// A program run with stdout and stderr captured together.
class Command {
 public:
  explicit Command(std::vector<std::string> argv);
  ~Command();
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  // Waits for the exit; kills it after `timeout`. Returns the exit code (-1 after a kill).
  int wait(Millis timeout = 10s);
  std::string output() const;
  bool wait_for_output(const std::string& needle, Millis timeout = 5s) const;
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string out_path_;
};

// Runs `argv` to completion; returns {exit code, output}.
std::pair<int, std::string> run(std::vector<std::string> argv, Millis timeout = 10s);

// The path of the ringmq binary under test.
const char* broker_binary();

}  // namespace rmq::itest
