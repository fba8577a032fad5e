#include "echo_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace rmq::engine::testing {

namespace {

void raise_to(std::atomic<std::uint64_t>& maximum, std::uint64_t value) {
  std::uint64_t seen = maximum.load();
  while (value > seen && !maximum.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

void EchoHandler::on_open(ConnId id, const PeerAddress&) {
  counters_.opened.fetch_add(1);
  shard_.set_user_data(id, this);
}

RecvResult EchoHandler::on_data(ConnId id, const RecvView& data) {
  if (shard_.user_data(id) != this) counters_.user_data_mismatches.fetch_add(1);
  if (options_.echo) {
    for (std::size_t i = 0; i < options_.reply_multiplier; ++i) {
      if (!shard_.send(id, data.copy(0, data.size())).ok()) break;
    }
    raise_to(counters_.max_queued_bytes, shard_.queued_bytes());
    raise_to(counters_.max_conn_queued_bytes, shard_.queued_bytes(id));
  }
  if (options_.close_on_command && data.size() > 0) {
    const auto last = data.bytes()[data.size() - 1];
    if (last == std::byte{'Q'}) shard_.close(id, CloseMode::kFlush);
    if (last == std::byte{'A'}) shard_.close(id, CloseMode::kAbort);
  }
  return RecvResult{data.size(), 0};
}

void EchoHandler::on_close(ConnId, CloseReason reason) {
  counters_.closed.fetch_add(1);
  if (reason == CloseReason::kPeerReset) counters_.closed_reset.fetch_add(1);
  if (reason == CloseReason::kFlushTimeout) counters_.closed_flush_timeout.fetch_add(1);
  if (reason == CloseReason::kLocalClose) counters_.closed_local.fetch_add(1);
  if (reason == CloseReason::kShutdown) counters_.closed_shutdown.fetch_add(1);
}

void EchoHandler::on_shutdown(ConnId id) {
  if (options_.goodbye.empty()) return;
  if (shard_.send(id, SharedBytes::copy_of(options_.goodbye)).ok()) {
    counters_.shutdown_goodbyes.fetch_add(1);
  }
}

EngineConfig EchoServer::default_config(std::uint32_t shards, std::string host) {
  EngineConfig config;
  config.shards = shards;
  config.listen.push_back(ListenAddress{std::move(host), 0, nullptr});
  config.recv_buffer_count = 256;
  config.recv_buffer_size = 16 * 1024;
  config.timer_tick = std::chrono::milliseconds(5);
  config.shutdown_timeout = std::chrono::seconds(5);
  return config;
}

EchoServer::EchoServer(EngineConfig config, EchoOptions options) : options_(std::move(options)) {
  auto started = Engine::start(config, [this](Shard& shard) {
    return std::make_unique<EchoHandler>(shard, counters_, options_);
  });
  if (started.ok()) {
    engine_ = std::move(*started);
  } else {
    status_ = started.status();
  }
}

EchoServer::~EchoServer() { engine_.reset(); }

Duration EchoServer::stop() {
  const auto begin = MonoClock::now();
  engine_->request_stop();
  engine_->wait();
  return MonoClock::now() - begin;
}

int connect_to(const std::string& host, std::uint16_t port) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(*v4);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(*v6);
  } else {
    return -1;
  }
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

bool send_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = send(fd, p, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

bool recv_exact(int fd, void* data, std::size_t size, int timeout_ms) {
  char* p = static_cast<char*>(data);
  const auto deadline = MonoClock::now() + std::chrono::milliseconds(timeout_ms);
  while (size > 0) {
    pollfd pfd{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - MonoClock::now());
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return false;
    const ssize_t n = recv(fd, p, size, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string recv_until_eof(int fd, int timeout_ms) {
  std::string out;
  char buffer[4096];
  const auto deadline = MonoClock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    pollfd pfd{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - MonoClock::now());
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return out;
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void set_linger_zero(int fd) {
  linger option{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
}

bool has_ipv6_loopback() {
  const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

namespace {

struct EchoClient {
  int fd = -1;
  ByteStream sender;
  ByteStream checker;
  std::vector<std::uint8_t> pending;
  std::size_t pending_offset = 0;
  std::size_t generated = 0;
  std::size_t sent = 0;
  std::size_t received = 0;
  bool corrupt = false;
  bool done = false;

  explicit EchoClient(std::uint64_t seed) : sender(seed), checker(seed) {}
};

// Writes what it can; returns false on a socket error.
bool pump_send(EchoClient& c, std::size_t total, std::size_t max_chunk, std::mt19937& rng) {
  while (c.sent < total) {
    if (c.pending_offset == c.pending.size()) {
      std::uniform_int_distribution<std::size_t> size(1, max_chunk);
      const std::size_t n = std::min(size(rng), total - c.generated);
      c.pending.resize(n);
      for (std::size_t i = 0; i < n; ++i) c.pending[i] = c.sender.next();
      c.pending_offset = 0;
      c.generated += n;
    }
    const ssize_t n = send(c.fd, c.pending.data() + c.pending_offset,
                           c.pending.size() - c.pending_offset, MSG_NOSIGNAL);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    c.pending_offset += static_cast<std::size_t>(n);
    c.sent += static_cast<std::size_t>(n);
  }
  return true;
}

bool pump_recv(EchoClient& c, std::uint8_t* buffer, std::size_t buffer_size) {
  for (;;) {
    const ssize_t n = recv(c.fd, buffer, buffer_size, 0);
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) return false;
    for (ssize_t i = 0; i < n; ++i) {
      if (buffer[i] != c.checker.next()) c.corrupt = true;
    }
    c.received += static_cast<std::size_t>(n);
  }
}

std::size_t drive_clients(std::uint16_t port, std::size_t first, std::size_t count,
                          std::size_t total, std::size_t max_chunk, int timeout_ms) {
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<std::unique_ptr<EchoClient>> clients;
  for (std::size_t i = 0; i < count; ++i) {
    auto c = std::make_unique<EchoClient>(first + i + 1);
    c->fd = connect_to("127.0.0.1", port);
    if (c->fd < 0) continue;
    set_nonblocking(c->fd);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT;
    event.data.ptr = c.get();
    epoll_ctl(epoll, EPOLL_CTL_ADD, c->fd, &event);
    clients.push_back(std::move(c));
  }
  std::mt19937 rng(static_cast<unsigned>(first + 7));
  std::vector<std::uint8_t> buffer(64 * 1024);
  std::size_t finished = 0;
  std::size_t correct = 0;
  const auto deadline = MonoClock::now() + std::chrono::milliseconds(timeout_ms);
  epoll_event events[64];
  while (finished < clients.size() && MonoClock::now() < deadline) {
    const int n = epoll_wait(epoll, events, 64, 100);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<EchoClient*>(events[i].data.ptr);
      if (c->done) continue;
      bool alive = true;
      if ((events[i].events & EPOLLOUT) != 0) alive = pump_send(*c, total, max_chunk, rng);
      if (alive && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0) {
        alive = pump_recv(*c, buffer.data(), buffer.size());
      }
      if (alive && c->sent == total) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = c;
        epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &event);
      }
      if (!alive || c->received >= total) {
        c->done = true;
        ++finished;
        if (alive && c->received == total && !c->corrupt) ++correct;
        epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, nullptr);
        close(c->fd);
        c->fd = -1;
      }
    }
  }
  for (auto& c : clients) {
    if (c->fd >= 0) close(c->fd);
  }
  close(epoll);
  return correct;
}

}  // namespace

std::size_t run_echo_clients(std::uint16_t port, std::size_t clients, std::size_t bytes_per_client,
                             std::size_t max_chunk, std::size_t threads, int timeout_ms) {
  std::vector<std::thread> workers;
  std::vector<std::size_t> correct(threads, 0);
  const std::size_t per_thread = (clients + threads - 1) / threads;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t first = t * per_thread;
    const std::size_t count = std::min(per_thread, clients - std::min(clients, first));
    workers.emplace_back([&, t, first, count] {
      correct[t] = drive_clients(port, first, count, bytes_per_client, max_chunk, timeout_ms);
    });
  }
  for (auto& w : workers) w.join();
  std::size_t total = 0;
  for (std::size_t c : correct) total += c;
  return total;
}

}  // namespace rmq::engine::testing
