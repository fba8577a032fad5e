// Cross-shard mailboxes: one bounded lock-free SPSC queue per (source, destination) shard pair,
// plus one "wakeup pending" flag per destination.
//
// Protocol (implemented by Shard; the hub only owns the memory):
//   producer  post(): try_push() into queue(self, dst); full -> StatusCode::kResourceExhausted.
//             end of loop turn: publish() each touched queue, then if
//             wake_pending(dst).exchange(true) was false, send one IORING_OP_MSG_RING to dst's
//             ring. So at most one wakeup per destination is outstanding, however many messages
//             and producers there are.
//   consumer  on a wakeup (and every loop turn): wake_pending(self).store(false), then
//             pop_batch() every queue(*, self).
// The seq_cst tail publish / flag exchange on the producer side and flag store / tail load on the
// consumer side make a lost wakeup impossible (see SpscQueue).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/shared_bytes.h"
#include "engine/spsc_queue.h"
#include "engine/types.h"

namespace rmq::engine {

// The fixed message carried between shards. `type` and the fields' meaning belong to the layer
// above; `source` is filled in by Shard::post. Ownership: what `ptr` points to and the `bytes`
// reference pass to the receiver when post() succeeds and stay with the caller when it fails.
// `bytes` carries a SharedBytes reference (SharedBytes::into_raw / from_raw); a message still
// queued when the engine is destroyed has its `bytes` reference released, its `ptr` is not
// touched.
struct MailboxMessage {
  std::uint16_t type = 0;
  std::uint16_t source = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  void* ptr = nullptr;
  SharedBytes::Raw bytes{};
};
static_assert(sizeof(MailboxMessage) == 40, "a mailbox message stays small");
static_assert(std::is_trivially_copyable_v<MailboxMessage>, "mailbox messages are copied raw");

class MailboxHub {
 public:
  using Queue = SpscQueue<MailboxMessage>;

  // `capacity` per queue; 0: mailbox_capacity_for(shards).
  MailboxHub(std::uint32_t shards, std::uint32_t capacity);
  MailboxHub(const MailboxHub&) = delete;
  MailboxHub& operator=(const MailboxHub&) = delete;
  // Releases the `bytes` of messages never delivered. Call only when no shard runs.
  ~MailboxHub();

  std::uint32_t shard_count() const { return shards_; }
  Queue& queue(ShardId from, ShardId to) { return *queues_[from * shards_ + to]; }
  std::atomic<bool>& wake_pending(ShardId to) { return flags_[to].wake_pending; }

 private:
  struct alignas(64) WakeFlag {
    std::atomic<bool> wake_pending{false};
  };

  std::uint32_t shards_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::unique_ptr<WakeFlag[]> flags_;
};

}  // namespace rmq::engine
