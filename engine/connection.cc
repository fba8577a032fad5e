#include "engine/connection.h"

#include "base/assert.h"

namespace rmq::engine {

Connection* ConnectionSlab::allocate(std::uint32_t* slot) {
  if (live_ >= max_slots_) return nullptr;
  if (free_head_ == kNoSlot) {
    const std::uint32_t base = slots();
    if (base >= kMaxSlotsPerShard) return nullptr;
    chunks_.push_back(std::make_unique<Chunk>());
    for (std::uint32_t i = kChunk; i-- > 0;) {
      chunks_.back()->slots[i].next_free = free_head_;
      free_head_ = base + i;
    }
  }
  *slot = free_head_;
  Connection& conn = at(free_head_);
  RMQ_DCHECK(conn.state == ConnState::kFree);
  free_head_ = conn.next_free;
  ++live_;
  return &conn;
}

void ConnectionSlab::free(std::uint32_t slot) {
  Connection& conn = at(slot);
  RMQ_DCHECK(conn.state != ConnState::kFree && conn.ops == 0);
  const std::uint32_t generation = conn.generation + 1 == 0 ? 1 : conn.generation + 1;
  conn = Connection{};
  conn.generation = generation;
  conn.next_free = free_head_;
  free_head_ = slot;
  --live_;
}

Connection* ConnectionSlab::find(std::uint32_t slot, std::uint32_t generation) {
  if (slot >= slots()) return nullptr;
  Connection& conn = at(slot);
  if (conn.state == ConnState::kFree || conn.generation != generation) return nullptr;
  return &conn;
}

const Connection* ConnectionSlab::find(std::uint32_t slot, std::uint32_t generation) const {
  return const_cast<ConnectionSlab*>(this)->find(slot, generation);
}

}  // namespace rmq::engine
