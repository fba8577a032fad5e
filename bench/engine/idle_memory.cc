// Memory per idle connection: a forked engine process (2 shards) accepts 10,000 and then 19,000
// idle loopback connections; its resident memory growth per connection is reported. The client
// side lives in the parent process so it does not count.
//
//   ringmq-engine-idle-memory [shards (default 2)]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "engine/engine.h"

namespace {

using namespace std::chrono_literals;

class IdleService : public rmq::engine::ShardHandler {
 public:
  explicit IdleService(std::atomic<std::uint64_t>& opened) : opened_(opened) {}
  void on_open(rmq::engine::ConnId, const rmq::engine::PeerAddress&) override {
    opened_.fetch_add(1, std::memory_order_relaxed);
  }
  rmq::engine::RecvResult on_data(rmq::engine::ConnId, const rmq::engine::RecvView& v) override {
    return {v.size(), 0};
  }
  void on_close(rmq::engine::ConnId, rmq::engine::CloseReason) override {}

 private:
  std::atomic<std::uint64_t>& opened_;
};

[[noreturn]] void run_server(std::uint32_t shards, int port_pipe,
                             std::atomic<std::uint64_t>& opened) {
  rmq::engine::EngineConfig config;
  config.shards = shards;
  config.listen.push_back(rmq::engine::ListenAddress{"127.0.0.1", 0, nullptr});
  config.handle_signals = true;
  auto engine = rmq::engine::Engine::start(
      config, [&](rmq::engine::Shard&) { return std::make_unique<IdleService>(opened); });
  if (!engine.ok()) {
    std::fprintf(stderr, "engine start failed: %s\n", engine.status().message());
    std::_Exit(1);
  }
  const std::uint16_t port = (*engine)->port();
  if (write(port_pipe, &port, sizeof(port)) != sizeof(port)) std::_Exit(1);
  (*engine)->wait();
  std::_Exit(0);
}

// VmRSS and RssAnon of `pid`, in KiB.
struct Rss {
  long total_kib = 0;
  long anon_kib = 0;
};

Rss read_rss(pid_t pid) {
  Rss rss;
  const std::string path = "/proc/" + std::to_string(pid) + "/status";
  FILE* file = std::fopen(path.c_str(), "r");
  if (file == nullptr) return rss;
  char line[256];
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    std::sscanf(line, "VmRSS: %ld", &rss.total_kib);
    std::sscanf(line, "RssAnon: %ld", &rss.anon_kib);
  }
  std::fclose(file);
  return rss;
}

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

bool open_until(std::vector<int>& fds, std::size_t target, std::uint16_t port,
                const std::atomic<std::uint64_t>& opened) {
  while (fds.size() < target) {
    const int fd = connect_loopback(port);
    if (fd < 0) {
      std::perror("connect");
      return false;
    }
    fds.push_back(fd);
  }
  for (int i = 0; i < 1000 && opened.load() < target; ++i) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(500ms);  // let the shards settle
  return opened.load() == target;
}

void report(const char* label, std::size_t connections, const Rss& base, const Rss& now) {
  const double per_total = (now.total_kib - base.total_kib) * 1024.0 / connections;
  const double per_anon = (now.anon_kib - base.anon_kib) * 1024.0 / connections;
  std::printf(
      "%-8s %6zu idle connections: RSS %ld KiB (+%ld), anon %ld KiB (+%ld)  ->  "
      "%.0f B/conn RSS, %.0f B/conn anon\n",
      label, connections, now.total_kib, now.total_kib - base.total_kib, now.anon_kib,
      now.anon_kib - base.anon_kib, per_total, per_anon);
}

}  // namespace

int main(int argc, char** argv) {
  rmq::set_log_level(rmq::LogLevel::kWarn);
  const auto shards = static_cast<std::uint32_t>(argc > 1 ? std::atoi(argv[1]) : 2);
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  std::printf("open-file limit %llu\n", static_cast<unsigned long long>(limit.rlim_cur));

  void* shared = mmap(nullptr, sizeof(std::atomic<std::uint64_t>), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* opened = new (shared) std::atomic<std::uint64_t>(0);
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return 1;
  const pid_t child = fork();
  if (child == 0) run_server(shards, pipe_fds[1], *opened);
  std::uint16_t port = 0;
  if (read(pipe_fds[0], &port, sizeof(port)) != sizeof(port)) return 1;
  std::this_thread::sleep_for(300ms);
  const Rss base = read_rss(child);
  std::printf("engine process: %u shards, baseline RSS %ld KiB (anon %ld KiB)\n", shards,
              base.total_kib, base.anon_kib);
  std::vector<int> fds;
  fds.reserve(19000);
  int status = 0;
  for (std::size_t target : {std::size_t{10000}, std::size_t{19000}}) {
    if (!open_until(fds, target, port, *opened)) {
      std::fprintf(stderr, "could not open %zu connections (server saw %llu)\n", target,
                   static_cast<unsigned long long>(opened->load()));
      status = 1;
      break;
    }
    report(target == 10000 ? "10k" : "19k", target, base, read_rss(child));
  }
  for (int fd : fds) close(fd);
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  return status;
}
