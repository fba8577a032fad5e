#include "bench/forwarder/forwarder.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace rmq::forwarder {
namespace {

constexpr std::size_t kMaxPacket = 16u << 20;
constexpr std::size_t kReadChunk = 64u << 10;
// A subscriber with more than this unsent is closed: a floor reference does not queue forever.
constexpr std::size_t kMaxPendingOutput = 256u << 20;
constexpr int kMaxEvents = 256;
const char* const kQuietClose = "";

bool has_wildcard(std::string_view filter) {
  return filter.find_first_of("+#") != std::string_view::npos;
}

template <typename T>
void erase_value(std::vector<T>* v, const T& value) {
  v->erase(std::remove(v->begin(), v->end(), value), v->end());
}

}  // namespace

// One client. `in` holds received bytes [0, in_len); `out` holds queued bytes [out_sent, size).
struct Forwarder::Connection {
  int fd = -1;
  int level = 0;  // protocol level from CONNECT; 0 until then
  bool closed = false;
  bool dirty = false;       // in dirty_ this turn
  bool want_write = false;  // EPOLLOUT armed
  std::vector<std::uint8_t> in;
  std::size_t in_len = 0;
  OutBuf out;
  std::size_t out_sent = 0;
  std::vector<std::string> filters;  // every filter it holds, once each
  int wildcards = 0;                 // how many of them hold a wildcard
  bool v5() const { return level == 5; }
};

Forwarder::Forwarder() = default;

Forwarder::~Forwarder() {
  for (auto& c : by_fd_) {
    if (c) ::close(c->fd);
  }
  for (int fd : {listen_fd_, signal_fd_, epoll_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

Status Forwarder::listen(const std::string& ipv4_host, std::uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (inet_pton(AF_INET, ipv4_host.c_str(), &addr.sin_addr) != 1) {
    return Status(StatusCode::kInvalidArgument, "--listen: HOST must be an IPv4 address");
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listen_fd_, SOMAXCONN) != 0) {
    return Status::Errno(StatusCode::kIoError, "cannot listen", errno);
  }
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  char host[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &addr.sin_addr, host, sizeof(host));
  address_ = std::string(host) + ":" + std::to_string(ntohs(addr.sin_port));
  return OkStatus();
}

std::string Forwarder::address() const { return address_; }

Status Forwarder::run() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  signal_fd_ = signalfd(-1, &stop_signals, SFD_NONBLOCK | SFD_CLOEXEC);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (signal_fd_ < 0 || epoll_fd_ < 0) {
    return Status::Errno(StatusCode::kIoError, "cannot create signalfd/epoll", errno);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &listen_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.ptr = &signal_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd_, &ev);
  epoll_event events[kMaxEvents];
  for (bool stop = false; !stop;) {
    const int n = epoll_wait(epoll_fd_, events, kMaxEvents, -1);
    if (n < 0 && errno != EINTR) return Status::Errno(StatusCode::kIoError, "epoll_wait", errno);
    for (int i = 0; i < n; ++i) {
      void* const tag = events[i].data.ptr;
      if (tag == &listen_fd_) {
        accept_all();
      } else if (tag == &signal_fd_) {
        stop = true;
      } else {
        auto* c = static_cast<Connection*>(tag);
        if (!c->closed && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) on_readable(c);
        if (!c->closed && (events[i].events & EPOLLOUT)) mark_dirty(c);
      }
    }
    flush_dirty();
    closed_this_turn_.clear();
  }
  return OkStatus();
}

void Forwarder::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
        std::fprintf(stderr, "ringmq-forwarder: accept: %s\n", std::strerror(errno));
      }
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (by_fd_.size() <= static_cast<std::size_t>(fd)) by_fd_.resize(fd + 1);
    by_fd_[fd] = std::make_unique<Connection>();
    Connection* c = by_fd_[fd].get();
    c->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
}

void Forwarder::on_readable(Connection* c) {
  if (c->in.size() - c->in_len < kReadChunk) c->in.resize(c->in_len + kReadChunk);
  const ssize_t n = recv(c->fd, c->in.data() + c->in_len, c->in.size() - c->in_len, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    return close(c, n == 0 ? kQuietClose : "recv failed");
  }
  c->in_len += static_cast<std::size_t>(n);
  std::size_t at = 0;
  for (;;) {
    const Bytes rest(c->in.data() + at, c->in_len - at);
    Frame frame;
    const FrameStatus status = read_frame(rest, kMaxPacket, &frame);
    if (status == FrameStatus::kNeedMore) break;
    if (status != FrameStatus::kComplete) {
      return close(
          c, status == FrameStatus::kTooLarge ? "packet too large" : "malformed remaining length");
    }
    if (const char* why = handle(c, frame, rest.first(frame.size))) return close(c, why);
    at += frame.size;
  }
  std::memmove(c->in.data(), c->in.data() + at, c->in_len - at);
  c->in_len -= at;
}

const char* Forwarder::handle(Connection* c, const Frame& frame, Bytes packet) {
  if (c->level == 0) {
    return frame.type() == kConnect ? on_connect(c, frame) : "first packet is not CONNECT";
  }
  const auto packet_id = [&frame] {
    return static_cast<std::uint16_t>(frame.body[0] << 8 | frame.body[1]);
  };
  switch (frame.type()) {
    case kPublish: return on_publish(c, frame, packet);
    case kPubAck:
    case kPubComp: return nullptr;  // a subscriber's ack: nothing is waiting for it
    case kPubRec:                   // a QoS 2 subscriber: complete its flow
    case kPubRel:                   // a QoS 2 publisher: complete its flow
      if (frame.body.size() < 2) return "malformed acknowledgement";
      append_ack(&c->out, frame.type() == kPubRec ? kPubRel : kPubComp, packet_id());
      mark_dirty(c);
      return nullptr;
    case kSubscribe:
    case kUnsubscribe: return on_filters(c, frame);
    case kPingReq:
      append_pingresp(&c->out);
      mark_dirty(c);
      return nullptr;
    case kDisconnect: return kQuietClose;
    default: return "unexpected packet type";
  }
}

const char* Forwarder::on_connect(Connection* c, const Frame& frame) {
  c->level = connect_level(frame.body);
  if (c->level == 0) return "CONNECT with an unknown protocol name or level";
  append_connack(&c->out, c->v5(), 0);
  mark_dirty(c);
  return nullptr;
}

const char* Forwarder::on_publish(Connection* c, const Frame& frame, Bytes packet) {
  PublishView view;
  if (!parse_publish(frame, c->v5(), &view)) return "malformed PUBLISH";
  forward(*c, packet, frame, view);
  if (view.qos > 0) {
    append_ack(&c->out, view.qos == 1 ? kPubAck : kPubRec, view.packet_id);
    mark_dirty(c);
  }
  return nullptr;
}

// Hot path: a hash lookup by string_view and appends to output buffers; nothing else allocates.
void Forwarder::forward(const Connection& from, Bytes packet, const Frame& frame,
                        const PublishView& view) {
  if (const auto it = exact_.find(view.topic); it != exact_.end()) {
    for (Connection* sub : it->second) {
      if (sub->wildcards > 0) continue;  // gets it once, below
      append_publish(&sub->out, packet, frame, view, from.v5(), sub->v5());
      mark_dirty(sub);
    }
  }
  for (Connection* sub : wildcard_) {
    append_publish(&sub->out, packet, frame, view, from.v5(), sub->v5());
    mark_dirty(sub);
  }
}

const char* Forwarder::on_filters(Connection* c, const Frame& frame) {
  std::uint16_t packet_id = 0;
  if (!parse_filters(frame, c->v5(), &packet_id, &filters_)) {
    return "malformed SUBSCRIBE or UNSUBSCRIBE";
  }
  codes_.clear();
  const bool subscribe = frame.type() == kSubscribe;
  for (const Filter& filter : filters_) {
    if (!subscribe) {
      remove_subscription(c, filter.topic);
      codes_.push_back(0);
    } else if (filter.qos > 2) {
      codes_.push_back(0x80);  // failure (3.1.1) / unspecified error (5.0)
    } else {
      add_subscription(c, filter.topic);
      codes_.push_back(filter.qos);  // granted QoS, which is also the 5.0 reason code
    }
  }
  append_sub_reply(&c->out, static_cast<std::uint8_t>(frame.type() + 1), c->v5(), packet_id,
                   codes_);
  mark_dirty(c);
  return nullptr;
}

void Forwarder::add_subscription(Connection* c, std::string_view filter) {
  if (std::find(c->filters.begin(), c->filters.end(), filter) != c->filters.end()) return;
  c->filters.emplace_back(filter);
  if (has_wildcard(filter)) {
    if (c->wildcards++ == 0) wildcard_.push_back(c);
    return;
  }
  auto it = exact_.find(filter);
  if (it == exact_.end())
    it = exact_.emplace(std::string(filter), std::vector<Connection*>{}).first;
  it->second.push_back(c);
}

void Forwarder::remove_subscription(Connection* c, std::string_view filter) {
  const auto held = std::find(c->filters.begin(), c->filters.end(), filter);
  if (held == c->filters.end()) return;
  if (has_wildcard(filter)) {
    if (--c->wildcards == 0) erase_value(&wildcard_, c);
  } else if (const auto it = exact_.find(filter); it != exact_.end()) {
    erase_value(&it->second, c);
    if (it->second.empty()) exact_.erase(it);
  }
  c->filters.erase(held);  // last: `filter` may view this very string
}

void Forwarder::mark_dirty(Connection* c) {
  if (c->dirty) return;
  c->dirty = true;
  dirty_.push_back(c);
}

void Forwarder::flush_dirty() {
  for (Connection* c : dirty_) {
    c->dirty = false;
    if (!c->closed) flush(c);
  }
  dirty_.clear();
}

// Sends what `c` has queued; the rest waits for EPOLLOUT.
void Forwarder::flush(Connection* c) {
  while (c->out_sent < c->out.size()) {
    const ssize_t n = send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c->out_sent += static_cast<std::size_t>(n);
    } else if (n == 0 || errno == EAGAIN) {
      break;
    } else if (errno != EINTR) {
      return close(c, kQuietClose);  // the peer is gone; its read side reports it too
    }
  }
  if (c->out_sent == c->out.size()) {
    c->out.clear();
    c->out_sent = 0;
    return set_want_write(c, false);
  }
  if (c->out.size() - c->out_sent > kMaxPendingOutput) return close(c, "subscriber too slow");
  c->out.erase(c->out.begin(), c->out.begin() + static_cast<std::ptrdiff_t>(c->out_sent));
  c->out_sent = 0;
  set_want_write(c, true);
}

void Forwarder::set_want_write(Connection* c, bool want) {
  if (c->want_write == want) return;
  c->want_write = want;
  epoll_event ev{};
  ev.events = want ? (EPOLLIN | EPOLLOUT) : EPOLLIN;
  ev.data.ptr = c;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c->fd, &ev);
}

void Forwarder::close(Connection* c, const char* why) {
  if (*why != '\0') std::fprintf(stderr, "ringmq-forwarder: closing fd %d: %s\n", c->fd, why);
  if (c->out_sent < c->out.size()) {  // best effort, e.g. a CONNACK before the close
    (void)send(c->fd, c->out.data() + c->out_sent, c->out.size() - c->out_sent,
               MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  while (!c->filters.empty()) remove_subscription(c, c->filters.back());
  c->closed = true;
  ::close(c->fd);
  closed_this_turn_.push_back(std::move(by_fd_[c->fd]));
}

}  // namespace rmq::forwarder
