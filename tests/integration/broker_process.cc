#include "broker_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace rmq::itest {
namespace {

using Clock = std::chrono::steady_clock;

std::string temp_path(const char* prefix) {
  std::string templ = std::string("/tmp/") + prefix + "-XXXXXX";
  std::vector<char> name(templ.begin(), templ.end());
  name.push_back('\0');
  const int fd = mkstemp(name.data());
  if (fd >= 0) ::close(fd);
  return std::string(name.data());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// fork + exec with stdout and stderr going to `out_path`; stdin from /dev/null.
pid_t spawn(const std::vector<std::string>& argv, const std::string& out_path) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  const int in = ::open("/dev/null", O_RDONLY);
  dup2(in, 0);
  dup2(out, 1);
  dup2(out, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

// Waits up to `timeout` for `pid`; returns the exit code, 128 + signal, or -1 if still running.
int wait_pid(pid_t pid, Millis timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
      return -1;
    }
    if (r < 0 || Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(5ms);
  }
}

bool accepts(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

const char* broker_binary() { return RINGMQ_BINARY; }

std::uint16_t pick_free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

BrokerProcess::BrokerProcess(std::vector<std::string> extra_args, int threads)
    : BrokerProcess([&] {
        ListeningProgram ringmq{
            "ringmq",
            {broker_binary(), "--listen", "127.0.0.1:0", "--threads", std::to_string(threads)}};
        ringmq.argv.insert(ringmq.argv.end(), extra_args.begin(), extra_args.end());
        return ringmq;
      }()) {}

BrokerProcess::BrokerProcess(ListeningProgram program) : program_(std::move(program)) {
  log_path_ = temp_path("ringmq-itest-log");
  for (int attempt = 0; attempt < 3 && !start(); ++attempt) {
  }
}

// The program picks its own port (port 0) and logs it: no other process can hold it, where a
// port chosen here and passed in could be taken in between (and shared, with SO_REUSEPORT).
bool BrokerProcess::start() {
  pid_ = spawn(program_.argv, log_path_);
  const std::string needle = program_.name + " listening on 127.0.0.1:";
  const auto deadline = Clock::now() + 10s;
  while (Clock::now() < deadline) {
    const std::string text = log();
    if (const auto at = text.find(needle); at != std::string::npos) {
      port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + at + needle.size()));
      if (port_ != 0 && accepts(port_)) return true;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited
    std::this_thread::sleep_for(5ms);
  }
  kill(pid_, SIGKILL);
  wait_pid(pid_, 2s);
  pid_ = -1;
  return false;
}

// Every test ends with an orderly shutdown: a broker that crashed, hung or (under the sanitizers)
// leaked fails the test that ran it.
BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) {
    const int code = stop(SIGTERM);
    if (code != 0) {
      ADD_FAILURE() << program_.name << " exited with " << code << "; its log:\n" << log();
    }
  }
  std::remove(log_path_.c_str());
}

int BrokerProcess::stop(int signal, Millis timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, signal);
  const int code = wait_pid(pid_, timeout);
  if (code == -1) {
    kill(pid_, SIGKILL);
    wait_pid(pid_, 2s);
  }
  pid_ = -1;
  return code;
}

std::string BrokerProcess::log() const { return read_file(log_path_); }

bool BrokerProcess::wait_for_log(const std::string& needle, Millis timeout) const {
  const auto deadline = Clock::now() + timeout;
  do {
    if (log().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(5ms);
  } while (Clock::now() < deadline);
  return false;
}

std::size_t BrokerProcess::count_in_log(const std::string& needle) const {
  const std::string text = log();
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

std::optional<int> BrokerProcess::shard_of(const std::string& client_id, Millis timeout) const {
  const std::string needle = "connect client=" + client_id + " ";
  if (!wait_for_log(needle, timeout)) return std::nullopt;
  const std::string text = log();
  const auto line = text.rfind(needle);
  const auto shard = text.find(" shard=", line);
  if (shard == std::string::npos) return std::nullopt;
  return std::atoi(text.c_str() + shard + 7);
}

Command::Command(std::vector<std::string> argv) {
  out_path_ = temp_path("ringmq-itest-cmd");
  pid_ = spawn(argv, out_path_);
}

Command::~Command() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    wait_pid(pid_, 2s);
  }
  std::remove(out_path_.c_str());
}

int Command::wait(Millis timeout) {
  if (pid_ <= 0) return -1;
  int code = wait_pid(pid_, timeout);
  if (code == -1) {
    kill(pid_, SIGKILL);
    wait_pid(pid_, 2s);
  }
  pid_ = -1;
  return code;
}

std::string Command::output() const { return read_file(out_path_); }

bool Command::wait_for_output(const std::string& needle, Millis timeout) const {
  const auto deadline = Clock::now() + timeout;
  do {
    if (output().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(5ms);
  } while (Clock::now() < deadline);
  return false;
}

std::pair<int, std::string> run(std::vector<std::string> argv, Millis timeout) {
  Command command(std::move(argv));
  const int code = command.wait(timeout);
  return {code, command.output()};
}

}  // namespace rmq::itest
