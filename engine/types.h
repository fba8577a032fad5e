// Vocabulary shared by the engine and the layer above: shard and connection identities, close
// reasons and modes, peer addresses.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <string>

#include "base/shard_id.h"

namespace rmq::engine {

using ::rmq::ShardId;

inline constexpr std::uint32_t kMaxShards = 1u << 10;
inline constexpr std::uint32_t kMaxSlotsPerShard = 1u << 22;

// A connection's identity: owning shard, slot in that shard's connection slab, and the slot's
// generation. A slot's generation changes every time the slot is freed, so an id kept after its
// connection closed is detected as stale (every Shard call taking a ConnId checks it). The default
// ConnId is invalid. Ids are plain values: copy them anywhere, across shards too; only the owning
// shard can act on one.
class ConnId {
 public:
  constexpr ConnId() = default;
  constexpr ConnId(ShardId shard, std::uint32_t slot, std::uint32_t generation)
      : raw_((static_cast<std::uint64_t>(generation) << 32) |
             (static_cast<std::uint64_t>(shard) << 22) | slot) {}

  static constexpr ConnId from_raw(std::uint64_t raw) {
    ConnId id;
    id.raw_ = raw;
    return id;
  }
  constexpr std::uint64_t raw() const { return raw_; }
  constexpr ShardId shard() const { return static_cast<ShardId>((raw_ >> 22) & (kMaxShards - 1)); }
  constexpr std::uint32_t slot() const {
    return static_cast<std::uint32_t>(raw_ & (kMaxSlotsPerShard - 1));
  }
  constexpr std::uint32_t generation() const { return static_cast<std::uint32_t>(raw_ >> 32); }
  constexpr bool valid() const { return generation() != 0; }

  friend constexpr bool operator==(ConnId a, ConnId b) { return a.raw_ == b.raw_; }

 private:
  std::uint64_t raw_ = 0;
};

// Why a connection ended; passed to ShardHandler::on_close.
enum class CloseReason : std::uint8_t {
  kPeerClosed,    // orderly EOF from the peer
  kPeerReset,     // ECONNRESET / EPIPE
  kIoError,       // any other socket error
  kLocalClose,    // Shard::close() by the layer above
  kShutdown,      // engine shutdown
  kFlushTimeout,  // a flushing close did not drain in time
  kRecvOverflow,  // unconsumed receive bytes exceeded EngineConfig::max_pending_recv_bytes
  kTlsError,      // a TLS record failed to decrypt or the peer sent a fatal alert
};

const char* to_string(CloseReason reason);

// How Shard::close ends a connection: kFlush sends what is queued first (bounded by
// EngineConfig::close_flush_timeout); kAbort drops the queue and closes at once.
enum class CloseMode : std::uint8_t { kFlush, kAbort };

// A peer's socket address (IPv4 or IPv6), as returned by getpeername.
struct PeerAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  std::uint16_t port() const;
  std::string to_string() const;  // "1.2.3.4:5" or "[::1]:5"; not for the data path
};

}  // namespace rmq::engine

template <>
struct std::hash<rmq::engine::ConnId> {
  std::size_t operator()(rmq::engine::ConnId id) const noexcept {
    return std::hash<std::uint64_t>()(id.raw());
  }
};
