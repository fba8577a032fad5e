#include "engine/config.h"

#include <algorithm>

#include "engine/types.h"

namespace rmq::engine {
namespace {

bool power_of_two(std::uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

const char* to_string(RingSetupMode mode) {
  switch (mode) {
    case RingSetupMode::kSingleIssuerDeferTaskrun: return "SINGLE_ISSUER|DEFER_TASKRUN";
    case RingSetupMode::kCoopTaskrun: return "COOP_TASKRUN";
    case RingSetupMode::kPlain: return "plain";
  }
  return "unknown";
}

std::uint32_t mailbox_capacity_for(std::uint32_t shards) {
  const std::uint32_t share = kMailboxEntriesPerDestination / std::max<std::uint32_t>(shards, 1);
  std::uint32_t capacity = kMinMailboxCapacity;
  while (capacity < kMaxMailboxCapacity && capacity * 2 <= share) capacity *= 2;
  return capacity;
}

Status EngineConfig::validate() const {
  if (shards > kMaxShards) {
    return Status(StatusCode::kInvalidArgument, "too many shards (at most 1024)");
  }
  if (sq_entries < 8 || sq_entries > 32768) {
    return Status(StatusCode::kInvalidArgument, "sq_entries must be in [8, 32768]");
  }
  if (!power_of_two(recv_buffer_count) || recv_buffer_count > 32768) {
    return Status(StatusCode::kInvalidArgument,
                  "recv_buffer_count must be a power of two <= 32768");
  }
  if (recv_buffer_size < 64) {
    return Status(StatusCode::kInvalidArgument, "recv_buffer_size must be at least 64");
  }
  if (mailbox_capacity != 0 && (!power_of_two(mailbox_capacity) || mailbox_capacity < 2)) {
    return Status(StatusCode::kInvalidArgument,
                  "mailbox_capacity must be 0 (automatic) or a power of two >= 2");
  }
  if (!power_of_two(timer_slots) || timer_tick <= Duration::zero()) {
    return Status(StatusCode::kInvalidArgument,
                  "timer_slots must be a power of two and timer_tick positive");
  }
  if (max_connections == 0 || listen_backlog <= 0) {
    return Status(StatusCode::kInvalidArgument, "max_connections and listen_backlog must be > 0");
  }
  if (linger_timeout < Duration::zero() || close_flush_timeout < Duration::zero()) {
    return Status(StatusCode::kInvalidArgument,
                  "linger_timeout and close_flush_timeout must not be negative");
  }
  if (max_pending_recv_bytes < recv_buffer_size) {
    return Status(StatusCode::kInvalidArgument,
                  "max_pending_recv_bytes must be at least recv_buffer_size");
  }
  return OkStatus();
}

}  // namespace rmq::engine
