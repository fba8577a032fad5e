// Test fixtures over real sockets: an echo service built on the engine, client-side socket helpers
// and a many-client epoll driver that checks every byte.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "sanitized.h"

namespace rmq::engine::testing {

// Sanitized builds run the same tests with less data.
inline constexpr bool kSanitized =
#ifdef RMQ_TEST_SANITIZED
    true;
#else
    false;
#endif

// Counters the echo handlers of all shards update (any thread may read).
struct EchoCounters {
  std::atomic<std::uint64_t> opened{0};
  std::atomic<std::uint64_t> closed{0};
  std::atomic<std::uint64_t> closed_reset{0};
  std::atomic<std::uint64_t> closed_flush_timeout{0};
  std::atomic<std::uint64_t> shutdown_goodbyes{0};
  std::atomic<std::uint64_t> stop_calls{0};
  std::atomic<std::uint64_t> max_queued_bytes{0};       // largest per-shard queue seen
  std::atomic<std::uint64_t> max_conn_queued_bytes{0};  // largest per-connection queue seen
  std::atomic<std::uint64_t> closed_local{0};
  std::atomic<std::uint64_t> closed_shutdown{0};
  std::atomic<std::uint64_t> user_data_mismatches{0};
};

struct EchoOptions {
  std::string goodbye;               // sent from on_shutdown when non-empty
  bool echo = true;                  // false: swallow what arrives
  std::size_t reply_multiplier = 1;  // send each received chunk this many times
  // A received chunk ending in 'Q' closes the connection after the echo (CloseMode::kFlush); one
  // ending in 'A' aborts it (CloseMode::kAbort).
  bool close_on_command = false;
};

// Echoes every received byte back (copied into SharedBytes), consuming all of it.
class EchoHandler : public ShardHandler {
 public:
  EchoHandler(Shard& shard, EchoCounters& counters, const EchoOptions& options)
      : shard_(shard), counters_(counters), options_(options) {}

  void on_open(ConnId id, const PeerAddress& peer) override;
  RecvResult on_data(ConnId id, const RecvView& data) override;
  void on_close(ConnId id, CloseReason reason) override;
  void on_stop() override { counters_.stop_calls.fetch_add(1); }
  void on_shutdown(ConnId id) override;

 private:
  Shard& shard_;
  EchoCounters& counters_;
  EchoOptions options_;
};

// A running engine with echo handlers listening on 127.0.0.1 (or `host`) port 0.
class EchoServer {
 public:
  explicit EchoServer(EngineConfig config, EchoOptions options = {});
  ~EchoServer();

  bool ok() const { return engine_ != nullptr; }
  const Status& status() const { return status_; }
  Engine& engine() { return *engine_; }
  std::uint16_t port() const { return engine_->port(0); }
  EchoCounters& counters() { return counters_; }
  // request_stop + wait; returns how long that took.
  Duration stop();

  static EngineConfig default_config(std::uint32_t shards = 2, std::string host = "127.0.0.1");

 private:
  EchoCounters counters_;
  EchoOptions options_;
  Status status_;
  std::unique_ptr<Engine> engine_;
};

// Polls `condition` every 2 ms until it holds or `timeout` passes; returns its last value.
template <typename Condition>
bool eventually(Condition condition, Duration timeout = std::chrono::seconds(10)) {
  const auto deadline = MonoClock::now() + timeout;
  while (MonoClock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

// Client helpers (blocking sockets unless stated). All return -1 / false on failure.
int connect_to(const std::string& host, std::uint16_t port);
bool send_all(int fd, const void* data, std::size_t size);
bool recv_exact(int fd, void* data, std::size_t size, int timeout_ms = 10000);
// Reads until EOF; returns what was read (stops after timeout_ms).
std::string recv_until_eof(int fd, int timeout_ms = 10000);
void set_nonblocking(int fd);
void set_linger_zero(int fd);
bool has_ipv6_loopback();

// Drives `clients` connections from `threads` epoll threads: each sends `bytes_per_client`
// pseudo-random bytes in random-sized chunks (1..max_chunk) and checks that exactly those bytes
// come back. Returns the number of clients whose echo was complete and correct.
std::size_t run_echo_clients(std::uint16_t port, std::size_t clients, std::size_t bytes_per_client,
                             std::size_t max_chunk, std::size_t threads, int timeout_ms);

// A deterministic byte stream per seed (xorshift), for generating and checking payloads.
class ByteStream {
 public:
  explicit ByteStream(std::uint64_t seed) : state_(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint8_t next() {
    if (left_ == 0) {
      state_ ^= state_ << 13;
      state_ ^= state_ >> 7;
      state_ ^= state_ << 17;
      word_ = state_;
      left_ = 8;
    }
    const auto byte = static_cast<std::uint8_t>(word_);
    word_ >>= 8;
    --left_;
    return byte;
  }

 private:
  std::uint64_t state_;
  std::uint64_t word_ = 0;
  int left_ = 0;
};

}  // namespace rmq::engine::testing
