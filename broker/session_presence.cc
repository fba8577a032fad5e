#include "broker/session_presence.h"

#include "base/assert.h"

namespace rmq::broker {
namespace {
constexpr std::uint32_t kSlotMask = (1u << SessionPresence::kSlotBits) - 1;
constexpr std::uint16_t kMaxCycle = (1u << SessionPresence::kCycleBits) - 1;
}  // namespace

SessionPresence::SessionPresence(std::uint32_t shards) {
  shards_.reserve(shards);
  for (std::uint32_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<ShardCells>());
}

SessionPresence::~SessionPresence() {
  for (const auto& shard : shards_) {
    for (std::atomic<Cell*>& chunk : shard->chunks) delete[] chunk.load(std::memory_order_relaxed);
  }
}

SessionPresence::Cell* SessionPresence::cell(ShardId shard, std::uint32_t slot) const {
  Cell* chunk = shards_[shard]->chunks[slot >> kChunkBits].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[slot & (kChunkCells - 1)];
}

SessionPresence::Cell& SessionPresence::owned_cell(ShardId shard, std::uint32_t slot) {
  std::atomic<Cell*>& chunk = shards_[shard]->chunks[slot >> kChunkBits];
  Cell* cells = chunk.load(std::memory_order_relaxed);
  if (cells == nullptr) {
    cells = new Cell[kChunkCells]();  // a new chunk per 4096 sessions: not per message
    chunk.store(cells, std::memory_order_release);
  }
  return cells[slot & (kChunkCells - 1)];
}

std::uint32_t SessionPresence::allocate(ShardId shard) {
  ShardCells& s = *shards_[shard];
  std::uint32_t slot;
  if (!s.free_slots.empty()) {
    slot = s.free_slots.front();
    s.free_slots.pop_front();
    s.cycles[slot] = s.cycles[slot] == kMaxCycle ? 1 : s.cycles[slot] + 1;
  } else if (s.next_slot <= kSlotMask) {
    slot = s.next_slot++;
    s.cycles.push_back(1);
  } else {
    return 0;
  }
  const std::uint32_t handle = (std::uint32_t{s.cycles[slot]} << kSlotBits) | slot;
  owned_cell(shard, slot).store(std::uint64_t{handle} << 1, std::memory_order_relaxed);
  return handle;
}

void SessionPresence::release(ShardId shard, std::uint32_t handle) {
  const std::uint32_t slot = handle & kSlotMask;
  owned_cell(shard, slot).store(0, std::memory_order_relaxed);
  shards_[shard]->free_slots.push_back(slot);
}

void SessionPresence::set_ready(ShardId shard, std::uint32_t handle, bool ready) {
  Cell& c = owned_cell(shard, handle & kSlotMask);
  RMQ_DCHECK(c.load(std::memory_order_relaxed) >> 1 == handle);
  c.store((std::uint64_t{handle} << 1) | (ready ? 1u : 0u), std::memory_order_relaxed);
}

bool SessionPresence::ready(ShardId shard, std::uint32_t handle) const {
  if (shard >= shards_.size()) return false;
  const Cell* c = cell(shard, handle & kSlotMask);
  if (c == nullptr) return false;
  const std::uint64_t value = c->load(std::memory_order_relaxed);
  return value == ((std::uint64_t{handle} << 1) | 1u);
}

}  // namespace rmq::broker
