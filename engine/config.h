// EngineConfig: everything the engine can be told. Defaults suit a production broker; tests
// shrink them.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "tls/tls.h"

namespace rmq::engine {

using namespace std::chrono_literals;

struct ListenAddress {
  std::string host = "0.0.0.0";  // an IPv4 or IPv6 literal ("::" or "::1" for IPv6)
  std::uint16_t port = 0;        // 0: an ephemeral port, shared by every shard's listener
  // Set: a TLS listener; its connections reach the handler (on_open) once their handshake
  // completed, and the handler sends and receives plaintext.
  std::shared_ptr<tls::TlsContext> tls;
};

// The io_uring setup flags to try first; setup falls back down this list on kernels that refuse.
enum class RingSetupMode : std::uint8_t {
  kSingleIssuerDeferTaskrun,  // IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (6.1+)
  kCoopTaskrun,               // IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG (5.19+)
  kPlain,                     // no setup flags
};

const char* to_string(RingSetupMode mode);

// The automatic mailbox capacity: kMailboxEntriesPerDestination messages (40 B each) spread over
// the queues into one shard, each a power of two within [kMinMailboxCapacity, kMaxMailboxCapacity].
// So what a shard may have waiting for it is about the same whatever the shard count, and the
// hub's memory (touched only as queues fill) grows linearly with shards, not quadratically.
inline constexpr std::uint32_t kMailboxEntriesPerDestination = 64 * 1024;
inline constexpr std::uint32_t kMinMailboxCapacity = 1024;
inline constexpr std::uint32_t kMaxMailboxCapacity = 32 * 1024;
std::uint32_t mailbox_capacity_for(std::uint32_t shards);

struct EngineConfig {
  // Shards (threads, one io_uring each). 0: one per online CPU.
  std::uint32_t shards = 0;
  bool pin_threads = true;  // pin shard i to the i-th CPU of the process's affinity mask
  RingSetupMode ring_setup = RingSetupMode::kSingleIssuerDeferTaskrun;
  std::uint32_t sq_entries = 1024;  // the CQ gets 8x this

  std::vector<ListenAddress> listen;
  int listen_backlog = 4096;
  bool tcp_nodelay = true;
  // Open connections across the whole process; over it, new connections are accepted and closed
  // at once (counted in ShardStats::rejected_over_limit).
  std::uint32_t max_connections = 100000;

  // Receive: each shard's provided-buffer ring.
  std::uint32_t recv_buffer_size = 16 * 1024;
  std::uint32_t recv_buffer_count = 512;  // power of two, <= 32768
  // Unconsumed received bytes a connection may accumulate (a large packet being reassembled);
  // over it the connection closes with CloseReason::kRecvOverflow.
  std::uint32_t max_pending_recv_bytes = 16 * 1024 * 1024;

  // Send: bytes one connection may have queued (0: no limit); over it Shard::send() fails with
  // kResourceExhausted.
  std::uint64_t max_queued_bytes_per_conn = 0;

  // Cross-shard mailboxes: capacity of each (source, destination) queue; a power of two, or 0 for
  // mailbox_capacity_for(shards): a shard that falls behind (one subscriber receiving what every
  // other shard's publishers send) must be able to hold a burst the size of the clients' windows.
  std::uint32_t mailbox_capacity = 0;

  // Timers.
  Duration timer_tick = 10ms;
  std::uint32_t timer_slots = 4096;  // power of two
  const Clock* clock = nullptr;      // nullptr: the monotonic clock

  // Lifecycle.
  Duration close_flush_timeout = 5s;  // a flushing close that takes longer is aborted
  // Lingering close: once a flushing close has sent everything, the engine sends FIN
  // (shutdown(SHUT_WR)) and reads and discards whatever the peer still sends until it closes too
  // (EOF), fails, or this long has passed; only then is the socket closed. Closing a socket with
  // unread data makes the kernel answer with RST, which can destroy the last bytes sent (an MQTT
  // DISCONNECT with its reason code) before the peer reads them. 0 closes at once.
  Duration linger_timeout = 2s;
  Duration shutdown_timeout = 5s;  // connections still open this long after stop are aborted
  // Block SIGINT/SIGTERM in the thread calling Engine::start (before shard threads inherit the
  // mask) and stop the engine when one arrives (read by shard 0 through a signalfd).
  bool handle_signals = false;
  // A TLS connection whose handshake has not completed this long after accept is closed.
  Duration tls_handshake_timeout = 10s;
  // With handle_signals: SIGHUP calls this on shard 0's thread (reload certificates, password and
  // ACL files). It may take a little while (file reads) but must not block on other shards.
  std::function<void()> on_reload;

  Status validate() const;
};

}  // namespace rmq::engine
