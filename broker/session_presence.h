// SessionPresence: the session handles of every shard, and for each session whether it could
// take a shared-subscription message right now (connected, nothing backlogged). The member of a
// shared group is picked on the publisher's shard (router::MemberPick), so this answer must be
// readable from every shard's thread.
//
// A handle names its cell: handle = cycle << kSlotBits | slot. Slots are reused oldest-freed
// first and each reuse bumps the slot's cycle, so a handle comes back only after the slot has
// been reused 2^kCycleBits - 1 times; a message still on its way to an ended session finds no
// session rather than a stranger.
//
// Threads: allocate(), release() and set_ready() for a shard run on that shard's thread only.
// ready() runs on any thread and reads one relaxed atomic: a stale answer only makes a pick less
// well informed, never unsafe. Cell memory is allocated in chunks on first use and kept until
// destruction, so a reader never sees it freed.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "base/shard_id.h"

namespace rmq::broker {

class SessionPresence {
 public:
  static constexpr unsigned kSlotBits = 22;   // 4M sessions per shard
  static constexpr unsigned kCycleBits = 10;  // handle = cycle (1..1023) << 22 | slot

  explicit SessionPresence(std::uint32_t shards);
  ~SessionPresence();
  SessionPresence(const SessionPresence&) = delete;
  SessionPresence& operator=(const SessionPresence&) = delete;

  // Owner shard only. A fresh handle (never 0), not ready; 0 when every slot is taken.
  std::uint32_t allocate(ShardId shard);
  // Owner shard only. The handle's slot may be reused from now on.
  void release(ShardId shard, std::uint32_t handle);
  // Owner shard only.
  void set_ready(ShardId shard, std::uint32_t handle, bool ready);

  // Any thread. False for a handle that is not (or no longer) allocated.
  bool ready(ShardId shard, std::uint32_t handle) const;

 private:
  static constexpr unsigned kChunkBits = 12;
  static constexpr std::uint32_t kChunkCells = 1u << kChunkBits;
  static constexpr std::uint32_t kChunks = 1u << (kSlotBits - kChunkBits);
  using Cell = std::atomic<std::uint64_t>;  // 0: free; else handle << 1 | ready

  struct alignas(64) ShardCells {
    std::array<std::atomic<Cell*>, kChunks> chunks{};
    // Owner-only bookkeeping.
    std::vector<std::uint16_t> cycles;  // per slot: the cycle of its current or last handle
    std::deque<std::uint32_t> free_slots;
    std::uint32_t next_slot = 0;
  };

  Cell* cell(ShardId shard, std::uint32_t slot) const;
  Cell& owned_cell(ShardId shard, std::uint32_t slot);  // allocates the chunk if needed

  std::vector<std::unique_ptr<ShardCells>> shards_;
};

}  // namespace rmq::broker
