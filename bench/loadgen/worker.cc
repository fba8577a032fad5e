// Worker: the event loop, sockets and connection setup. MQTT handling is in worker_mqtt.cc.
#include "bench/loadgen/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "bench/common/alloc_counter.h"
#include "bench/loadgen/payload.h"
#include "codec/decode.h"

namespace rmq::loadgen {
namespace {

constexpr std::uint32_t kWakeToken = UINT32_MAX;
constexpr int kMaxEvents = 512;
constexpr std::uint64_t kMaxWaitNs = 10'000'000;        // loop turns at least every 10 ms
constexpr std::uint64_t kHousekeepingNs = 100'000'000;  // connect timeouts, keepalive
constexpr int kServiceRounds = 8;  // reads per connection per readiness before yielding

bool is_connecting(ClientState s) {
  return s == ClientState::kTcpConnecting || s == ClientState::kTlsHandshake ||
         s == ClientState::kMqttConnecting;
}

// Closes the socket and frees the TLS session of `c`.
void release(Client& c) {
  tls_free(c.ssl);
  c.ssl = nullptr;
  ::close(c.fd);
  c.fd = -1;
}

}  // namespace

Worker::Worker(RunState& run, std::uint32_t id, std::vector<Client> clients, BrokerAddress broker)
    : run_(run),
      o_(run.options),
      id_(id),
      window_refill_(std::max<std::uint64_t>(1, o_.window / 16)),
      clients_(std::move(clients)),
      broker_(broker),
      version_(o_.mqtt_version == 5 ? codec::ProtocolVersion::kV5 : codec::ProtocolVersion::kV311) {
  for (std::uint32_t i = 0; i < clients_.size(); ++i) {
    if (clients_[i].role == Role::kPublisher) publishers_.push_back(i);
  }
  backlog_.reserve(clients_.size());
  backlog_next_.reserve(clients_.size());
}

Worker::~Worker() {
  join();
  for (Client& c : clients_) {
    if (c.fd >= 0) release(c);
  }
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Status Worker::init() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return Status::Errno(StatusCode::kIoError, "epoll_create1", errno);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Status::Errno(StatusCode::kIoError, "eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u32 = kWakeToken;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    return Status::Errno(StatusCode::kIoError, "epoll_ctl", errno);
  }
  return OkStatus();
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(wake_fd_, &one, sizeof(one));
}

// Heap allocations made by this thread while measuring: the message path must make none.
void Worker::on_phase_change(Phase phase) {
  const std::uint64_t allocations = bench::thread_alloc_counts().allocations;
  if (phase == Phase::kMeasure) measure_allocations_start_ = allocations;
  if (phase_seen_ == Phase::kMeasure) {
    stats_.measured_allocations.add(allocations - measure_allocations_start_);
  }
  phase_seen_ = phase;
  if (phase == Phase::kWarmup && o_.scenario == Scenario::kReconnect) {
    for (Client& c : clients_) {
      if (c.state == ClientState::kReady) reconnect(c);
    }
  }
}

void Worker::run() {
  connect_start_ns_ = monotonic_ns();
  source_rr_ = id_;
  while (run_.phase.load(std::memory_order_acquire) != Phase::kStop) {
    const std::uint64_t timeout = turn(monotonic_ns());
    wait_for_events(timeout);
    if (arrivals_) {
      arrivals_ = false;
      notify_peers();
    }
  }
  disconnect_all();
}

std::uint64_t Worker::turn(std::uint64_t now) {
  now_ = now;
  window_waiting_.store(false, std::memory_order_relaxed);
  if (next_pending_ < clients_.size()) start_connects(now);
  backlog_.swap(backlog_next_);
  for (const std::uint32_t i : backlog_next_) {
    clients_[i].in_backlog = false;
    service(clients_[i]);
  }
  backlog_next_.clear();
  std::uint64_t timeout = backlog_.empty() ? kMaxWaitNs : 0;
  const Phase phase = run_.phase.load(std::memory_order_acquire);
  if (phase != phase_seen_) on_phase_change(phase);
  if (phase == Phase::kWarmup || phase == Phase::kMeasure) {
    timeout = std::min(timeout, run_publishers(now, /*recheck=*/false));
  }
  if (now >= next_housekeeping_ns_) housekeeping(now);
  return timeout;
}

// Lets every publisher write; returns how long the loop may wait. When a publisher waits for the
// window, the flag asking subscriber threads for a wake-up is raised and the window re-checked,
// so a delivery recorded in between is not missed.
std::uint64_t Worker::run_publishers(std::uint64_t now, bool recheck) {
  std::uint64_t timeout = kMaxWaitNs;
  bool window_blocked = false;
  for (const std::uint32_t i : publishers_) {
    std::uint64_t next_due = 0;
    switch (fill_publisher(clients_[i], &next_due)) {
      case FillResult::kMore: timeout = 0; break;
      case FillResult::kRate:
        timeout = std::min(timeout, next_due > now ? next_due - now : 0);
        break;
      case FillResult::kWindow: window_blocked = true; break;
      default: break;
    }
  }
  if (window_blocked && timeout != 0 && !recheck) {
    window_waiting_.store(true, std::memory_order_seq_cst);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    timeout = std::min(timeout, run_publishers(now, /*recheck=*/true));
  }
  return timeout;
}

void Worker::wait_for_events(std::uint64_t timeout_ns) {
  epoll_event events[kMaxEvents];
  timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
              static_cast<long>(timeout_ns % 1'000'000'000)};
  const int n = epoll_pwait2(epoll_fd_, events, kMaxEvents, &ts, nullptr);
  for (int k = 0; k < n; ++k) {
    if (events[k].data.u32 == kWakeToken) {
      std::uint64_t value;
      [[maybe_unused]] const ssize_t r = ::read(wake_fd_, &value, sizeof(value));
      continue;
    }
    on_event(clients_[events[k].data.u32], events[k].events);
  }
}

void Worker::start_connects(std::uint64_t now) {
  const double threads = static_cast<double>(o_.threads);
  const double rate = o_.connect_rate / threads;
  const auto concurrency =
      std::max<std::uint32_t>(1, static_cast<std::uint32_t>(o_.connect_concurrency / threads));
  while (next_pending_ < clients_.size() && connecting_ < concurrency) {
    if (rate > 0) {
      const auto allowed =
          static_cast<std::uint64_t>(static_cast<double>(now - connect_start_ns_) * 1e-9 * rate) +
          1;
      if (next_pending_ >= allowed) break;
    }
    Client& c = clients_[next_pending_++];
    c.started_ns = now;
    c.last_send_ns = now;
    if (!open_socket(c)) {
      const char* none = nullptr;
      stats_.first_failure.compare_exchange_strong(none, "socket, bind or connect() failed",
                                                   std::memory_order_relaxed);
      stats_.connect_failed.add();
      if (c.role != Role::kIdle) stats_.active_failed.add();
      c.state = ClientState::kClosed;
      continue;
    }
    ++connecting_;
  }
}

bool Worker::open_socket(Client& c) {
  const int family = broker_.addr.ss_family;
  const int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const int one = 1;
  if (o_.nodelay) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (!o_.source_addresses.empty() && family == AF_INET) {
    // Port chosen at connect() from the full 4-tuple, so each source address has its own range.
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr = o_.source_addresses[source_rr_ % o_.source_addresses.size()];
    source_rr_ += o_.threads;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
      ::close(fd);
      return false;
    }
  }
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&broker_.addr), broker_.len) != 0 &&
      errno != EINPROGRESS) {
    ::close(fd);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.u32 = static_cast<std::uint32_t>(&c - clients_.data());
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    return false;
  }
  c.fd = fd;
  c.state = ClientState::kTcpConnecting;
  c.keepalive_s = o_.keepalive_s;
  ConnectSettings s;
  s.version = version_;
  s.client_id = c.client_id;
  s.keepalive_s = o_.keepalive_s;
  s.clean = o_.clean;
  s.session_expiry_s = o_.session_expiry_s;
  return append_connect(c.out, s);
}

void Worker::on_event(Client& c, std::uint32_t events) {
  if (c.fd < 0) return;
  if (c.state == ClientState::kTcpConnecting) {
    on_tcp_connected(c);
    if (c.fd < 0) return;
  }
  if (c.state == ClientState::kTlsHandshake) {
    continue_handshake(c);  // sets both readiness flags once done
    if (c.state == ClientState::kTlsHandshake || c.fd < 0) return;
  }
  if (events & EPOLLOUT) c.writable = true;
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) c.readable = true;
  service(c);
}

void Worker::continue_handshake(Client& c) {
  switch (tls_handshake(c.ssl)) {
    case TlsIo::kDone:
      c.state = ClientState::kMqttConnecting;
      c.readable = c.writable = true;
      return;
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite: return;  // the next edge resumes it
    case TlsIo::kClosed:
      close_client(c, "TLS handshake failed (not a TLS listener, or an untrusted certificate)");
      return;
  }
}

void Worker::on_tcp_connected(Client& c) {
  int error = 0;
  socklen_t len = sizeof(error);
  if (getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0) {
    close_client(c, "TCP connect failed");
    return;
  }
  if (run_.tls == nullptr) {
    c.state = ClientState::kMqttConnecting;
    return;
  }
  c.ssl = run_.tls->new_session(c.fd, o_.tls_resume ? &c.tls_session : nullptr);
  if (c.ssl == nullptr) {
    close_client(c, "TLS session setup failed");
    return;
  }
  c.state = ClientState::kTlsHandshake;
}

void Worker::service(Client& c) {
  for (int round = 0; round < kServiceRounds; ++round) {
    if (c.readable && !read_some(c)) return;  // closed
    const bool drained = process_input(c);
    if (c.fd < 0 || !flush(c)) return;
    if (c.reconnect_due) return reconnect(c);
    if (!drained && !c.writable) return;  // output full: EPOLLOUT resumes it
    if (drained && !c.readable) return;
  }
  if (!c.in_backlog) {
    c.in_backlog = true;
    backlog_.push_back(static_cast<std::uint32_t>(&c - clients_.data()));
  }
}

bool Worker::flush(Client& c) {
  if (c.ssl != nullptr) return flush_tls(c);
  while (!c.out.empty() && c.writable) {
    const auto bytes = c.out.readable();
    const ssize_t n = ::send(c.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      c.out.consume(static_cast<std::uint32_t>(n));
      c.last_send_ns = now_;
      if (static_cast<std::size_t>(n) < bytes.size()) c.writable = false;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      c.writable = false;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      close_client(c, "send failed");
      return false;
    }
  }
  return true;
}

bool Worker::flush_tls(Client& c) {
  while (!c.out.empty() && c.writable) {
    std::size_t n = 0;
    switch (tls_write(c.ssl, c.out.readable(), &n)) {
      case TlsIo::kDone:
        c.out.consume(static_cast<std::uint32_t>(n));
        c.last_send_ns = now_;
        break;
      case TlsIo::kWantRead:
      case TlsIo::kWantWrite: c.writable = false; break;
      case TlsIo::kClosed: close_client(c, "TLS write failed"); return false;
    }
  }
  return true;
}

// TLS: one record per SSL_read, so readiness stays set until OpenSSL asks for more bytes (the
// socket is edge-triggered and may hold several records).
bool Worker::read_tls(Client& c) {
  std::size_t n = 0;
  switch (tls_read(c.ssl, c.in.writable(), &n)) {
    case TlsIo::kDone:
      read_ns_ = monotonic_ns();
      c.in.commit(static_cast<std::uint32_t>(n));
      return true;
    case TlsIo::kWantRead:
    case TlsIo::kWantWrite: c.readable = false; return true;
    case TlsIo::kClosed: close_client(c, "TLS read failed or closed"); return false;
  }
  return true;
}

bool Worker::read_some(Client& c) {
  if (c.in.space() < c.in.capacity() / 4) c.in.compact();
  if (c.in.space() == 0) return true;  // full of unprocessed packets: processing makes room
  if (c.ssl != nullptr) return read_tls(c);
  const auto room = c.in.writable();
  const ssize_t n = ::recv(c.fd, room.data(), room.size(), 0);
  if (n > 0) {
    read_ns_ = monotonic_ns();
    c.in.commit(static_cast<std::uint32_t>(n));
    if (static_cast<std::size_t>(n) < room.size()) c.readable = false;
    return true;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    c.readable = false;
    return true;
  }
  if (n < 0 && errno == EINTR) return true;
  close_client(c, n == 0 ? "connection closed by the broker" : "recv failed");
  return false;
}

bool Worker::process_input(Client& c) {
  codec::DecodeOptions options;
  options.version = version_;
  // Room for the largest reply one incoming packet causes (an ack, or SUBSCRIBE after CONNACK).
  const std::uint32_t reply_room = c.state == ClientState::kReady
                                       ? kMaxAckSize
                                       : static_cast<std::uint32_t>(c.filter.size() + 32);
  while (!c.in.empty()) {
    if (!c.out.reserve(reply_room)) {
      if (!flush(c) || !c.out.reserve(reply_room)) return false;
    }
    const codec::DecodeResult r = codec::decode(c.in.readable(), options);
    if (r.status == codec::DecodeStatus::kNeedMore) {
      if (r.needed > c.in.capacity()) {
        stats_.protocol_errors.add();
        close_client(c, "packet larger than the input buffer");
      }
      return true;
    }
    if (r.status == codec::DecodeStatus::kMalformed) {
      stats_.protocol_errors.add();
      close_client(c, "malformed packet from the broker");
      return true;
    }
    on_packet(c, r.packet, read_ns_);
    c.in.consume(static_cast<std::uint32_t>(r.consumed));
    if (c.fd < 0 || c.reconnect_due) return true;
  }
  return true;
}

void Worker::close_client(Client& c, const char* why) {
  if (c.fd < 0) return;
  release(c);
  c.readable = c.writable = false;
  if (run_.phase.load(std::memory_order_relaxed) != Phase::kStop) {
    const char* none = nullptr;
    stats_.first_failure.compare_exchange_strong(none, why, std::memory_order_relaxed);
  }
  const bool setting_up = is_connecting(c.state) || c.state == ClientState::kSubscribing;
  if (setting_up && c.role != Role::kIdle) stats_.active_failed.add();
  if (is_connecting(c.state)) {
    --connecting_;
    (c.reconnecting ? stats_.reconnect_failed : stats_.connect_failed).add();
  } else if (c.state == ClientState::kSubscribing) {
    --connecting_;
    stats_.subscribe_failed.add();
  } else if (c.state == ClientState::kReady &&
             run_.phase.load(std::memory_order_relaxed) != Phase::kStop) {
    stats_.connections_lost.add();
  }
  c.state = ClientState::kClosed;
}

void Worker::housekeeping(std::uint64_t now) {
  next_housekeeping_ns_ = now + kHousekeepingNs;
  const bool keepalive_due = now >= next_keepalive_scan_ns_;
  if (connecting_ == 0 && !keepalive_due) return;
  // Half the keep alive without sending: PINGREQ. (A 5.0 Server Keep Alive may only lower it
  // in practice; the scan period follows --keepalive.)
  const std::uint64_t ping_after = std::uint64_t{o_.keepalive_s} * 1'000'000'000 / 2;
  // Scan often enough that a PINGREQ goes out well before the broker's 1.5 x keep alive.
  if (keepalive_due) {
    next_keepalive_scan_ns_ =
        now + std::clamp<std::uint64_t>(ping_after / 2, kHousekeepingNs, 1'000'000'000);
  }
  const auto timeout = static_cast<std::uint64_t>(o_.connect_timeout_s * 1e9);
  for (std::uint32_t i = 0; i < next_pending_; ++i) {
    Client& c = clients_[i];
    if (c.fd < 0) continue;
    if (is_connecting(c.state) || c.state == ClientState::kSubscribing) {
      if (now - c.started_ns > timeout) close_client(c, "timed out setting up the connection");
    } else if (keepalive_due && c.keepalive_s != 0 &&
               now - c.last_send_ns >= std::uint64_t{c.keepalive_s} * 1'000'000'000 / 2) {
      if (append_pingreq(c.out)) flush(c);
    }
  }
}

void Worker::disconnect_all() {
  now_ = monotonic_ns();
  for (Client& c : clients_) {
    if (c.fd < 0) continue;
    if (c.state == ClientState::kReady || c.state == ClientState::kSubscribing) {
      c.out.clear();
      if (append_disconnect(c.out, version_)) {
        c.writable = true;
        flush(c);
      }
      if (c.fd >= 0) tls_close_notify(c.ssl);
    }
    if (c.fd >= 0) release(c);
  }
}

void Worker::notify_peers() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  for (Worker* peer : peers_) {
    if (peer == this || !peer->window_waiting_.load(std::memory_order_relaxed)) continue;
    if (peer->window_waiting_.exchange(false)) peer->wake();
  }
}

}  // namespace rmq::loadgen
