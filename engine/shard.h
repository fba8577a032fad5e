// Shard: one thread, pinned to one core, driving one io_uring ring. It owns its listeners'
// accepts, its connections, its receive buffers, its timers and its end of the mailboxes.
//
// The loop (run()) is a fixed sequence of named steps, each returning whether it did work; when a
// whole turn did none, the shard blocks in io_uring_enter until a completion arrives or the next
// timer tick is due:
//   reap_completions -> drain_mailboxes -> run_timers -> advance_lifecycle -> rearm_operations
//   -> ShardHandler::on_turn_end -> flush_logs -> flush_dirty_connections -> publish_mailboxes
//   -> submit_and_wait
//
// Threading: every public method is for the shard's own thread (that is, for ShardHandler
// callbacks), except id(), shard_count() and stats(), which any thread may call.
#pragma once

#include <liburing.h>
#include <sys/signalfd.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/buffer_ring.h"
#include "engine/connection.h"
#include "engine/engine_shared.h"
#include "engine/external_inbox.h"
#include "engine/handler.h"
#include "engine/iovec_arena.h"
#include "engine/log_file.h"
#include "engine/pool.h"
#include "engine/stats.h"
#include "engine/timer_wheel.h"
#include "engine/tls_link.h"
#include "engine/user_data.h"

namespace rmq::engine {

class Shard {
 public:
  friend class LogFile;  // submits on the ring, counts, calls the handler

  Shard(EngineShared& shared, ShardId id, std::vector<int> listen_fds);
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;
  // Destroys the handler, then the ring, then the receive buffers. The thread must have ended.
  ~Shard();

  // --- For the layer above (this shard's thread) ---
  ShardId id() const { return id_; }
  std::uint32_t shard_count() const { return shared_.shard_count; }

  // Queues `bytes` for sending on `id`. kUnavailable if the connection is not open (closed,
  // closing or stale id); kResourceExhausted over max_queued_bytes_per_conn.
  Status send(ConnId id, SharedBytes bytes);
  // Closes `id` (no-op for a stale id); on_close follows from the loop, never from inside close().
  // kFlush: no more on_data; what is queued is sent (bounded by close_flush_timeout); then, with
  // EngineConfig::linger_timeout > 0, FIN is sent, on_close is called, and the engine keeps
  // reading and discarding until the peer closes or the linger times out, before closing the fd
  // (the slot and its fd count toward max_connections until then). kAbort: the queue is dropped
  // and the socket shut down at once; on_close follows once the fd is closed.
  void close(ConnId id, CloseMode mode = CloseMode::kFlush);
  bool is_open(ConnId id) const;
  // Bytes queued and not yet sent, for one connection (0 for a stale id) and for the whole shard.
  std::size_t queued_bytes(ConnId id) const;
  std::size_t queued_bytes() const;
  // The layer above's pointer for a connection (nullptr for a stale id).
  void set_user_data(ConnId id, void* user);
  void* user_data(ConnId id) const;
  // The TLS peer of a connection accepted on a TLS listener (certificate or PSK identity,
  // version, cipher); nullptr for a plain connection or a stale id.
  const tls::TlsPeer* tls_peer(ConnId id) const;

  // Opens `path` (created if missing, O_CLOEXEC) as an append-only LogFile written through this
  // shard's ring, appending at its current size. Blocking: the open, and for a file that is not
  // empty an fdatasync, so that the bytes found there count as written and durable. The pointer
  // stays valid until LogFile::close() or the end of the shard's thread.
  Result<LogFile*> open_log(const std::string& path);

  // Posts `message` to shard `to` (this one included). kResourceExhausted when that mailbox is
  // full: backpressure, the message was not queued and its contents still belong to the caller.
  // Delivery happens after this loop turn ends.
  Status post(ShardId to, const MailboxMessage& message);
  // For threads that are not shards: post() to this shard from anywhere (see ExternalInbox). The
  // reference stays valid as long as the engine.
  ExternalInbox& inbox() { return inbox_; }

  void arm_timer(Timer& timer, Duration delay) { wheel_.arm(timer, now() + delay); }
  void arm_timer_at(Timer& timer, MonoTime deadline) { wheel_.arm(timer, deadline); }
  void cancel_timer(Timer& timer) { wheel_.cancel(timer); }
  MonoTime now() const { return shared_.clock->now(); }
  // The time this loop turn started: one clock read per turn for per-message timestamps that
  // need no better precision than a turn (message arrival, expiry checks).
  MonoTime turn_time() const { return turn_time_; }

  // Asks the whole engine to stop (as a signal would).
  void request_stop();
  bool stopping() const { return stopping_; }

  const ShardStats& stats() const { return stats_; }
  RingSetupMode ring_mode() const { return ring_mode_; }
  const ProvidedBufferRing* buffers() const { return buffers_.get(); }
  std::size_t live_connections() const { return slab_.live(); }

  // --- For the engine ---
  void set_handler(std::unique_ptr<ShardHandler> handler) { handler_ = std::move(handler); }
  // On the shard's thread: pins it, sets up the ring and buffers. Returns the ring fd.
  Result<int> init();
  // On the shard's thread: the loop, until shutdown completes.
  void run();

 private:
  struct Completion {
    std::uint64_t user_data;
    std::int32_t res;
    std::uint32_t flags;
  };

  // Loop steps.
  bool reap_completions();
  bool drain_mailboxes();
  bool run_timers();
  bool advance_lifecycle();
  bool rearm_operations();
  bool flush_logs();
  bool flush_dirty_connections();
  bool publish_mailboxes();
  void submit_and_wait(bool did_work);
  void submit_and_wait_for_events(bool did_work);

  // Completions (shard_io.cc).
  void dispatch(const Completion& c);
  void on_accept(std::uint32_t listener, const Completion& c);
  void accept_connection(int fd, std::uint32_t listener);
  void on_recv(const UserData& op, const Completion& c);
  void deliver_bytes(std::uint32_t slot, Connection& conn, std::span<const std::byte> chunk,
                     ProvidedBufferRing* ring, std::uint16_t buffer_id);
  bool stash(std::uint32_t slot, Connection& conn, std::span<const std::byte> bytes);
  void on_send(const UserData& op, const Completion& c);
  void on_msg_ring_failed(ShardId to, OpTag tag, int res);
  void on_signal(const Completion& c);
  void on_inbox(const Completion& c);
  void drain_inbox();
  void on_log(const UserData& op, const Completion& c);
  void finish_logs();

  // Submissions.
  io_uring_sqe* get_sqe();
  void arm_accept(std::uint32_t listener);
  void arm_recv(std::uint32_t slot, Connection& conn);
  void arm_signal_read();
  void arm_inbox_read();
  std::span<iovec> lend_iovecs(std::size_t wanted);
  void submit_send(std::uint32_t slot, Connection& conn);
  void send_msg_ring(ShardId to, OpTag tag);

  // TLS connections (shard_tls.cc).
  void open_tls(std::uint32_t slot, Connection& conn, tls::TlsContext& context);
  void receive_tls(std::uint32_t slot, Connection& conn, std::span<const std::byte> ciphertext);
  bool advance_handshake(std::uint32_t slot, Connection& conn, TlsLink& link);
  void read_plaintext(std::uint32_t slot, Connection& conn, TlsLink& link);
  Status send_tls(std::uint32_t slot, Connection& conn, SharedBytes bytes);
  void encrypt_pending(std::uint32_t slot, Connection& conn);
  void queue_ciphertext(std::uint32_t slot, Connection& conn, TlsLink& link);
  void close_tls(std::uint32_t slot, Connection& conn);
  bool expire_handshakes();
  void release_tls(std::uint32_t slot, Connection& conn);
  static PeerAddress peer_address(int fd);

  // Connection lifecycle (shard_conn.cc).
  Connection* find(ConnId id);
  const Connection* find(ConnId id) const;
  ConnId conn_id(std::uint32_t slot, const Connection& conn) const {
    return ConnId(id_, slot, conn.generation);
  }
  void mark_dirty(std::uint32_t slot, Connection& conn);
  void mark_starved(std::uint32_t slot, Connection& conn);
  void begin_flush_close(std::uint32_t slot, Connection& conn, CloseReason reason);
  void abort_connection(std::uint32_t slot, Connection& conn, CloseReason reason);
  void finish_flush(std::uint32_t slot, Connection& conn);
  void end_linger(Connection& conn);
  void notify_close(std::uint32_t slot, Connection& conn);
  static bool wants_recv(const Connection& conn);
  void drop_send_queue(Connection& conn);
  void list_closing(std::uint32_t slot, Connection& conn);
  bool advance_closing();
  void finalize(std::uint32_t slot, Connection& conn);
  void begin_stop();
  bool advance_stop();
  void wake_other_shards();
  std::size_t queued_bytes(std::uint32_t slot, const Connection& conn) const;
  bool reserve_connection();
  void release_connection();
  bool need_tick() const;

  EngineShared& shared_;
  const EngineConfig& config_;
  const ShardId id_;
  std::unique_ptr<ShardHandler> handler_;
  io_uring ring_{};
  bool ring_ready_ = false;
  RingSetupMode ring_mode_ = RingSetupMode::kPlain;
  std::unique_ptr<ProvidedBufferRing> buffers_;
  ConnectionSlab slab_;
  TimerWheel wheel_;
  FreeList<SendQueue> send_queues_;
  FreeList<RecvTail> recv_tails_;
  IovecArena iovecs_;  // the iovec arrays of sends not yet submitted
  ShardStats stats_;

  std::vector<int> listen_fds_;
  std::vector<bool> accept_armed_;
  MonoTime accept_backoff_until_{};
  MonoTime turn_time_{};
  signalfd_siginfo siginfo_{};
  ExternalInbox inbox_;
  std::uint64_t inbox_counter_ = 0;  // the eventfd read's buffer
  std::vector<MailboxMessage> inbox_batch_;

  // TLS: links by slot (set for connections with Connection::tls), handshakes in accept order
  // (so their deadlines are in order), plaintext scratch for decrypting and for building records.
  struct PendingHandshake {
    std::uint32_t slot;
    std::uint32_t generation;
  };
  std::vector<std::unique_ptr<TlsLink>> tls_links_;
  std::deque<PendingHandshake> handshakes_;
  std::vector<std::byte> tls_read_scratch_;
  std::vector<std::byte> tls_write_scratch_;

  std::vector<std::uint32_t> dirty_;     // slots with bytes to send and no send in flight
  std::vector<std::uint32_t> flushing_;  // scratch for flush_dirty_connections
  std::vector<std::uint32_t> starved_;   // slots whose multishot recv must be armed again
  std::vector<std::uint32_t> closing_;   // slots in kDraining / kLingering / kShutdown
  std::vector<ShardId> outbox_;          // destinations with staged mailbox messages
  std::vector<bool> outbox_listed_;

  // Log files by index (their user_data index); null: a free index.
  std::vector<std::unique_ptr<LogFile>> logs_;

  bool stopping_ = false;
  bool quiesced_ = false;
  bool stop_aborted_ = false;
  bool exit_ = false;
  MonoTime stop_deadline_{};
};

}  // namespace rmq::engine
