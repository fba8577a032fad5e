// Connection state and the per-shard connection slab.
//
// A Connection is one slot of its shard's slab (allocated in chunks, never moved), addressed by
// slot index; ConnId adds the slot's generation. It stays small and owns nothing while idle: the
// send queue and the reassembly tail exist only while they hold bytes.
//
// States:  kOpen -> kDraining (flushing close: the queue drains; received bytes are discarded)
//          kDraining -> kLingering (drained: FIN sent, on_close called, the peer's bytes are read
//                       and discarded until its EOF, an error or EngineConfig::linger_timeout)
//          kDraining -> kShutdown (drained, when not lingering: the peer already sent EOF, or
//                       linger_timeout is 0)
//          kOpen / kDraining / kLingering -> kShutdown (abort, timeout: queue dropped,
//                       shutdown(2) at once) ; kLingering -> kShutdown (EOF or error)
//          kShutdown -> kFree once no io_uring op is in flight (fd closed, on_close called unless
//                       it was already, slot and generation free for reuse).
// From on_close on, the layer above's ConnId is stale (close_notified) even though the slot, its
// generation and the fd stay taken until kFree.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "engine/recv_tail.h"
#include "engine/send_queue.h"
#include "engine/types.h"

namespace rmq::engine {

enum class ConnState : std::uint8_t { kFree, kOpen, kDraining, kLingering, kShutdown };

struct Connection {
  int fd = -1;
  std::uint32_t generation = 1;
  ConnState state = ConnState::kFree;
  CloseReason reason = CloseReason::kLocalClose;
  std::uint8_t ops = 0;  // io_uring requests in flight (multishot recv, sendmsg)
  bool recv_armed : 1 = false;
  bool send_in_flight : 1 = false;
  bool dirty : 1 = false;           // on the shard's flush list
  bool starved : 1 = false;         // on the shard's re-arm list (recv ended, e.g. -ENOBUFS)
  bool closing_listed : 1 = false;  // on the shard's closing list
  bool peer_eof : 1 = false;        // the peer shut down its side: no linger, no more recv
  bool close_notified : 1 = false;  // on_close delivered, or (TLS) on_open not yet: the layer
                                    // above holds no valid id
  bool tls : 1 = false;             // accepted on a TLS listener: Shard::tls_links_[slot] is set
  union {
    std::uint32_t need = 0;   // in use: RecvResult::need for the bytes in `tail`
    std::uint32_t next_free;  // kFree: the free-list link
  };
  MonoTime close_deadline{};  // kDraining: abort after this; kLingering: close after this
  std::unique_ptr<SendQueue> sendq;
  std::unique_ptr<RecvTail> tail;
  void* user = nullptr;  // for the layer above
};
static_assert(sizeof(Connection) <= 48, "an idle connection costs one small slab slot");

class ConnectionSlab {
 public:
  static constexpr std::uint32_t kChunk = 1024;

  explicit ConnectionSlab(std::uint32_t max_slots) : max_slots_(max_slots) {}

  // A free slot in state kFree (the caller opens it), or nullptr when max_slots are in use.
  Connection* allocate(std::uint32_t* slot);
  // Returns `slot` to the free list and bumps its generation.
  void free(std::uint32_t slot);

  Connection& at(std::uint32_t slot) { return chunks_[slot / kChunk]->slots[slot % kChunk]; }
  const Connection& at(std::uint32_t slot) const {
    return chunks_[slot / kChunk]->slots[slot % kChunk];
  }
  // The live connection `slot` with `generation`, or nullptr.
  Connection* find(std::uint32_t slot, std::uint32_t generation);
  const Connection* find(std::uint32_t slot, std::uint32_t generation) const;

  std::uint32_t live() const { return live_; }
  std::uint32_t slots() const { return static_cast<std::uint32_t>(chunks_.size()) * kChunk; }

 private:
  static constexpr std::uint32_t kNoSlot = UINT32_MAX;

  std::uint32_t max_slots_;
  std::uint32_t live_ = 0;
  std::uint32_t free_head_ = kNoSlot;
  // One object per chunk, not a new[] array: an array of a type with a destructor carries a
  // length cookie, which would push the 64 KiB block into the allocator's next size class.
  struct Chunk {
    Connection slots[kChunk];
  };
  static_assert(sizeof(Chunk) == kChunk * sizeof(Connection));
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

}  // namespace rmq::engine
