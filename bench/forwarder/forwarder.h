// ringmq-forwarder: the latency floor for bench/compare. One thread, epoll, non-blocking sockets;
// it answers CONNECT / SUBSCRIBE / UNSUBSCRIBE / PINGREQ and copies each PUBLISH, bytes unchanged,
// to every subscriber whose filter holds a wildcard or equals the topic. No sessions, no queues
// beyond each connection's output buffer, no topic matching. See README.md for what it is not.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "bench/forwarder/frames.h"

namespace rmq::forwarder {

class Forwarder {
 public:
  Forwarder();
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Binds `ipv4_host`:`port` (0: a free port) and listens.
  Status listen(const std::string& ipv4_host, std::uint16_t port);
  // The bound address as "HOST:PORT", once listen() succeeded.
  std::string address() const;
  // Serves until SIGINT or SIGTERM (blocked on the calling thread and read through a signalfd;
  // call it from the only thread of the process).
  Status run();

 private:
  struct Connection;
  struct TopicHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using ExactMap =
      std::unordered_map<std::string, std::vector<Connection*>, TopicHash, std::equal_to<>>;

  void accept_all();
  void on_readable(Connection* c);
  // Each handler returns nullptr to keep the connection, kQuietClose or a reason to close it.
  const char* handle(Connection* c, const Frame& frame, Bytes packet);
  const char* on_connect(Connection* c, const Frame& frame);
  const char* on_publish(Connection* c, const Frame& frame, Bytes packet);
  const char* on_filters(Connection* c, const Frame& frame);
  void forward(const Connection& from, Bytes packet, const Frame& frame, const PublishView& view);
  void add_subscription(Connection* c, std::string_view filter);
  void remove_subscription(Connection* c, std::string_view filter);
  void mark_dirty(Connection* c);
  void flush_dirty();
  void flush(Connection* c);
  void set_want_write(Connection* c, bool want);
  // Removes `c` from routing and closes its socket; the object lives until the end of the turn.
  void close(Connection* c, const char* why);

  int epoll_fd_ = -1;
  int listen_fd_ = -1;
  int signal_fd_ = -1;
  std::string address_;
  std::vector<std::unique_ptr<Connection>> by_fd_;
  std::vector<std::unique_ptr<Connection>> closed_this_turn_;
  std::vector<Connection*> dirty_;     // connections with output queued this turn
  ExactMap exact_;                     // topic -> subscribers with that exact filter
  std::vector<Connection*> wildcard_;  // subscribers with at least one wildcard filter
  std::vector<Filter> filters_;        // scratch for SUBSCRIBE / UNSUBSCRIBE
  std::vector<std::uint8_t> codes_;
};

}  // namespace rmq::forwarder
