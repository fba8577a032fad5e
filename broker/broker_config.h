// BrokerConfig: the MQTT-level settings of the broker (the engine has its own EngineConfig).
// Filled in by broker/app from flags and the config file; defaults are what `ringmq --help` shows.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/clock.h"

namespace rmq::broker {

using namespace std::chrono_literals;

// --durability: when a QoS 1/2 PUBLISH that reaches a persistent session is acknowledged.
enum class Durability : std::uint8_t {
  kSync,   // once its log records are durable (one fdatasync per loop turn covers them all)
  kBatch,  // at once; the log is synced every sync_interval_ms
  kNone,   // at once; the log is never synced (the kernel writes it back)
};

// Persistence (durable_log.h, persist/recovery.h); off while data_dir is empty.
struct PersistConfig {
  std::string data_dir;
  Durability durability = Durability::kSync;
  std::uint32_t sync_interval_ms = 10;
  bool recover_skip_corrupt = false;
  std::uint64_t compact_bytes = 64ull * 1024 * 1024;  // segment size that triggers compaction
};

struct BrokerConfig {
  // Largest packet accepted from a client (fixed header included); announced in CONNACK as
  // Maximum Packet Size.
  std::uint32_t max_packet_size = 1024 * 1024;
  // Outgoing QoS 1/2 PUBLISH packets in flight per session (capped further by the client's
  // Receive Maximum), and the Receive Maximum announced to 5.0 clients.
  std::uint16_t max_inflight = 100;
  // Per-session queue of messages waiting for delivery (offline, or inflight window full).
  std::uint32_t max_queued_messages = 1000;
  std::uint64_t max_queued_bytes = 64ull * 1024 * 1024;
  // Bytes a connection may have waiting in its send queue before QoS 0 messages to it are dropped
  // (slow subscriber), and the hard limit over which the connection is closed.
  std::uint64_t send_budget_bytes = 16ull * 1024 * 1024;
  std::uint64_t send_hard_limit_bytes = 64ull * 1024 * 1024;
  // A subscriber that keeps losing messages to these limits for this long is disconnected
  // (ARCHITECTURE.md section 5); 0: never.
  std::uint32_t slow_subscriber_timeout_s = 60;
  // Retained store limits.
  std::uint64_t retained_max_count = 1'000'000;
  std::uint64_t retained_max_bytes = 1ull << 30;
  // Largest Keep Alive accepted (seconds); 5.0 clients asking for more (or 0) get Server Keep
  // Alive, 3.1.1 clients are refused. 0: no maximum.
  std::uint16_t max_keepalive = 0;
  // Topic Alias Maximum announced to 5.0 clients.
  std::uint16_t topic_alias_maximum = 64;
  // Session expiry of 3.1/3.1.1 clients connecting with Clean Session 0, seconds;
  // 0xFFFFFFFF: never expires.
  std::uint32_t v311_session_expiry = 0xFFFFFFFF;
  // Seconds between $SYS updates; 0: no $SYS topics.
  std::uint32_t sys_interval = 10;
  // Time a new connection has to send CONNECT.
  Duration connect_timeout = 10s;
  // Topic filters clients may not subscribe to (exact, or matched by a wildcard entry).
  std::vector<std::string> deny_subscribe;
  // Mosquitto-format ACL file (acl_file.h); empty: no per-topic authorisation.
  std::string acl_file;
  // Whether a CONNECT without a user name is accepted (refused with 0x87 / 0x05 otherwise). The
  // binary resolves its default (app/options.h: resolve_allow_anonymous).
  bool allow_anonymous = true;
  // Mosquitto's use_identity_as_username: the identity the transport verified (client certificate
  // or PSK) becomes the user name and the password is not checked; a client without one is
  // refused (0x86 / 0x04) unless anonymous clients are allowed, and then it is anonymous.
  bool identity_as_username = false;
  PersistConfig persist;
};

}  // namespace rmq::broker
