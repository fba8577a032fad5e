// ShardHandler: how the layer above plugs into the engine. One instance per shard.
//
// Threading: every callback runs on the owning shard's thread, from inside its loop, and may use
// that shard's API freely (Shard::send, close, post, timers); none may block. The handler is
// created on the thread that starts the engine and destroyed on the thread that destroys it, after
// the shard's thread has ended.
#pragma once

#include "engine/buffer_ring.h"
#include "engine/mailbox.h"
#include "engine/timer_wheel.h"
#include "engine/types.h"

namespace rmq::engine {

class LogFile;

class ShardHandler {
 public:
  virtual ~ShardHandler() = default;

  // Every shard is up and the loop is about to start; post() to any shard works from here on.
  virtual void on_start() {}

  // A new connection. `id` is valid until on_close(id, ...); data arrives through on_data.
  virtual void on_open(ConnId id, const PeerAddress& peer) = 0;

  // Received bytes (see RecvView for their lifetime and RecvResult for what to return). Bytes the
  // handler does not consume are presented again, followed by new ones, on the next call.
  virtual RecvResult on_data(ConnId id, const RecvView& data) = 0;

  // The connection is gone for the handler; exactly one per on_open, never followed by on_data or
  // on_shutdown for it. `id` is already stale. After a flushing close this comes once everything
  // queued was sent, when the engine begins to linger (see Shard::close); the socket may stay
  // open a little longer, invisible to the handler.
  virtual void on_close(ConnId id, CloseReason reason) = 0;

  // A message another shard (or this one) posted to this shard.
  virtual void on_mailbox(const MailboxMessage& message) { (void)message; }

  // A timer armed through Shard::arm_timer fired (it is disarmed; re-arm it to repeat).
  virtual void on_timer(Timer& timer) { (void)timer; }

  // The end of one loop turn: called once per turn, after every step of the turn that may call
  // the handler (completions, mailboxes, timers, closes) and before the turn's sends are flushed,
  // its mailbox messages published and the shard waits. Sends, posts and timers from here take
  // effect in this same turn. Called once more after the final mailbox delivery at exit. For
  // per-turn work: flushing batches gathered during the turn, a quiescent point.
  virtual void on_turn_end() {}

  // A LogFile of this shard (Shard::open_log) advanced: its written_offset() or durable_offset()
  // grew; `durable_offset` is the latter. Not called for a file after its close().
  virtual void on_log_progress(LogFile& file, std::uint64_t durable_offset) {
    (void)file;
    (void)durable_offset;
  }

  // A write to `file` failed with `error` (an errno: ENOSPC, EIO, ...) and will be retried, or its
  // fdatasync failed and it can no longer become durable (LogFile::sync_failed()). Not called
  // for a file after its close().
  virtual void on_log_error(LogFile& file, int error) {
    (void)file;
    (void)error;
  }

  // Shutdown began on this shard: called once, before any on_shutdown. Accepting has stopped.
  virtual void on_stop() {}

  // Shutdown: called once per open connection to say goodbye (queue a final packet with send());
  // the engine then flushes and closes it with CloseReason::kShutdown.
  virtual void on_shutdown(ConnId id) { (void)id; }
};

}  // namespace rmq::engine
