// Worker: one load generator thread with its own epoll instance and its own connections.
//
// Each turn of the loop: start due connections, serve connections that still have input, let
// every ready publisher write what its rate, window, inflight limit and output buffer allow (one
// send() per connection per turn, many packets each), run timers, then wait in epoll. Sockets are
// edge-triggered; `readable`/`writable` remember readiness not yet consumed.
//
// Threads: the worker's thread alone touches its clients until join(). wake() and the window
// flag may be used from any thread; stats() are single-writer counters any thread may read.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "base/status.h"
#include "bench/loadgen/client.h"
#include "bench/loadgen/run_state.h"
#include "codec/packets.h"

namespace rmq::loadgen {

struct BrokerAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
};

class Worker {
 public:
  Worker(RunState& run, std::uint32_t id, std::vector<Client> clients, BrokerAddress broker);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Status init();  // epoll and wake-up eventfd
  void set_peers(std::vector<Worker*> peers) { peers_ = std::move(peers); }
  void start();
  void join();
  // Interrupts the worker's epoll wait (phase changes, window progress). Any thread.
  void wake();

  WorkerStats& stats() { return stats_; }

 private:
  // What stopped a publisher from writing more this turn.
  enum class FillResult : std::uint8_t {
    kMore,
    kBlockedOnSocket,
    kWindow,
    kRate,
    kInflight,
    kIdle
  };

  void run();
  std::uint64_t turn(std::uint64_t now);  // returns how long to wait for events, ns
  std::uint64_t run_publishers(std::uint64_t now, bool recheck);
  void on_phase_change(Phase phase);
  void wait_for_events(std::uint64_t timeout_ns);
  void start_connects(std::uint64_t now);
  bool open_socket(Client& c);
  void on_event(Client& c, std::uint32_t events);
  void on_tcp_connected(Client& c);
  void continue_handshake(Client& c);
  void service(Client& c);
  bool flush(Client& c);
  bool flush_tls(Client& c);
  bool read_some(Client& c);
  bool read_tls(Client& c);
  bool process_input(Client& c);  // false: stopped for lack of output room
  // Closes `c`, counting it as failed or lost by its state; `why` is kept if it is the first.
  void close_client(Client& c, const char* why);
  // reconnect: DISCONNECT and close `c` (close_notify first over TLS), then connect it again.
  void reconnect(Client& c);
  bool churning() const;  // reconnect scenario, warm-up or measure phase
  void housekeeping(std::uint64_t now);
  void disconnect_all();
  void notify_peers();

  // MQTT (worker_mqtt.cc).
  void on_packet(Client& c, const codec::PacketView& packet, std::uint64_t now);
  void on_connack(Client& c, const codec::ConnackView& ack, std::uint64_t now);
  void on_suback(Client& c, const codec::SubackView& ack);
  void on_publish(Client& c, const codec::PublishView& p, std::uint64_t now);
  void on_publisher_ack(Client& c, codec::PacketType type, const codec::AckView& ack);
  FillResult fill_publisher(Client& c, std::uint64_t* next_due_ns);
  std::uint64_t window_allowance(Client& c, std::uint64_t now);
  std::uint64_t rate_allowance(const Client& c, std::uint64_t now, std::uint64_t* next_due_ns);
  std::uint16_t take_packet_id(PublisherState& pub);

  RunState& run_;
  const Options& o_;
  std::uint32_t id_;
  std::uint64_t window_refill_;  // free window slots before a window-bound publisher writes
  std::vector<Client> clients_;
  BrokerAddress broker_;
  codec::ProtocolVersion version_;
  std::vector<std::uint32_t> publishers_;    // indices into clients_
  std::vector<std::uint32_t> backlog_;       // clients with input left to serve
  std::vector<std::uint32_t> backlog_next_;  // spare, swapped with backlog_ each turn
  std::uint32_t next_pending_ = 0;           // clients_[0, next_pending_) have been started
  std::uint32_t connecting_ = 0;             // started, not yet ready (subscribed) nor failed
  std::uint64_t source_rr_ = 0;              // next --source-addresses slot
  std::uint64_t connect_start_ns_ = 0;
  std::uint64_t next_housekeeping_ns_ = 0;
  std::uint64_t next_keepalive_scan_ns_ = 0;
  std::uint64_t now_ = 0;      // time at the start of this loop turn
  std::uint64_t read_ns_ = 0;  // time of the latest recv(): the arrival time of what it read
  Phase phase_seen_ = Phase::kConnect;
  std::uint64_t measure_allocations_start_ = 0;
  bool arrivals_ = false;  // this turn recorded deliveries: peers may be waiting on the window
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> window_waiting_{false};
  std::vector<Worker*> peers_;
  WorkerStats stats_;
  std::thread thread_;
};

}  // namespace rmq::loadgen
