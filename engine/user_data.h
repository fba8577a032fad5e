// The 64-bit io_uring user_data of every request a shard submits: an op tag, a 24-bit generation
// check and a 32-bit index (a connection slot, a listener index or a source shard). Never a heap
// pointer: a completion is resolved through the shard's preallocated slabs, and a completion for
// a slot that was reused is detected by the generation bits.
//
//   bit 63..56  OpTag
//   bit 55..32  low 24 bits of the slot generation (0 when the index is not a slot)
//   bit 31..0   index
#pragma once

#include <cstdint>

namespace rmq::engine {

enum class OpTag : std::uint8_t {
  kNone = 0,
  kAccept,       // multishot accept; index = listener index
  kRecv,         // multishot recv; index = connection slot
  kSend,         // sendmsg; index = connection slot
  kMailboxWake,  // MSG_RING from another shard: drain mailboxes; index = source shard
  kMsgRingSent,  // source-side completion of a MSG_RING (only posted on failure)
  kStopWake,     // MSG_RING asking the shard to look at the engine's stop state
  kSignal,       // read on the signalfd (shard 0 only)
  kCancel,       // an async cancel request
  kInbox,        // read on the shard's ExternalInbox eventfd
  kLogWrite,     // writev on a LogFile; index = its index in the shard
  kLogSync,      // fdatasync on a LogFile; index = its index in the shard
  kLogGate,      // a test's gate read before a LogFile's sync (LogFile::set_sync_gate)
  kCount,
  kLiburingTimeout = 0xff,  // LIBURING_UDATA_TIMEOUT has all bits set; ignored
};

struct UserData {
  OpTag tag = OpTag::kNone;
  std::uint32_t generation24 = 0;
  std::uint32_t index = 0;
};

inline constexpr std::uint32_t kGenerationMask = (1u << 24) - 1;

constexpr std::uint64_t encode_user_data(OpTag tag, std::uint32_t index,
                                         std::uint32_t generation = 0) {
  return (static_cast<std::uint64_t>(tag) << 56) |
         (static_cast<std::uint64_t>(generation & kGenerationMask) << 32) | index;
}

constexpr UserData decode_user_data(std::uint64_t raw) {
  return UserData{static_cast<OpTag>(raw >> 56),
                  static_cast<std::uint32_t>(raw >> 32) & kGenerationMask,
                  static_cast<std::uint32_t>(raw)};
}

static_assert(sizeof(std::uint64_t) == sizeof(unsigned long long), "user_data is 64 bits");
static_assert(static_cast<unsigned>(OpTag::kCount) < 0xff, "op tags fit 8 bits below 0xff");
static_assert(decode_user_data(encode_user_data(OpTag::kSend, 0xfffffffeu, 0x1234567u)).index ==
                  0xfffffffeu,
              "index round-trips");
static_assert(decode_user_data(encode_user_data(OpTag::kSend, 7, 0x1234567u)).generation24 ==
                  0x234567u,
              "generation keeps its low 24 bits");
static_assert(decode_user_data(encode_user_data(OpTag::kRecv, 7, 3)).tag == OpTag::kRecv,
              "tag round-trips");
static_assert(decode_user_data(~0ull).tag == OpTag::kLiburingTimeout,
              "liburing's internal timeout user_data decodes to a tag we ignore");

}  // namespace rmq::engine
