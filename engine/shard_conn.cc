// Shard: the connection API for the layer above and the connection lifecycle (closing, shutdown).
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "engine/shard.h"

namespace rmq::engine {

// Ids given to the layer above are stale from on_close on, even while the slot lingers.
Connection* Shard::find(ConnId id) {
  if (id.shard() != id_) return nullptr;
  Connection* conn = slab_.find(id.slot(), id.generation());
  return conn != nullptr && !conn->close_notified ? conn : nullptr;
}

const Connection* Shard::find(ConnId id) const { return const_cast<Shard*>(this)->find(id); }

Status Shard::send(ConnId id, SharedBytes bytes) {
  Connection* conn = find(id);
  if (conn == nullptr || conn->state != ConnState::kOpen) {
    return Status(StatusCode::kUnavailable, "connection is not open");
  }
  if (bytes.empty()) return OkStatus();
  const std::size_t queued = queued_bytes(id.slot(), *conn);
  if (config_.max_queued_bytes_per_conn != 0 &&
      queued + bytes.size() > config_.max_queued_bytes_per_conn) {
    stats_.send_rejected.add();
    return Status(StatusCode::kResourceExhausted, "connection send queue is full");
  }
  if (conn->tls) return send_tls(id.slot(), *conn, std::move(bytes));
  if (conn->sendq == nullptr) conn->sendq = send_queues_.acquire();
  stats_.queued_bytes.add(static_cast<std::int64_t>(bytes.size()));
  conn->sendq->push(std::move(bytes));
  mark_dirty(id.slot(), *conn);
  return OkStatus();
}

void Shard::close(ConnId id, CloseMode mode) {
  Connection* conn = find(id);
  if (conn == nullptr) return;
  if (mode == CloseMode::kAbort) {
    abort_connection(id.slot(), *conn, CloseReason::kLocalClose);
  } else {
    if (conn->tls) close_tls(id.slot(), *conn);
    begin_flush_close(id.slot(), *conn, CloseReason::kLocalClose);
  }
}

bool Shard::is_open(ConnId id) const {
  const Connection* conn = find(id);
  return conn != nullptr && conn->state == ConnState::kOpen;
}

std::size_t Shard::queued_bytes(ConnId id) const {
  const Connection* conn = find(id);
  return conn != nullptr ? queued_bytes(id.slot(), *conn) : 0;
}

// Ciphertext or plain bytes in the send queue, plus (TLS) plaintext not yet encrypted.
std::size_t Shard::queued_bytes(std::uint32_t slot, const Connection& conn) const {
  std::size_t queued = conn.sendq != nullptr ? conn.sendq->queued_bytes() : 0;
  if (conn.tls && tls_links_[slot]->plain != nullptr)
    queued += tls_links_[slot]->plain->queued_bytes();
  return queued;
}

std::size_t Shard::queued_bytes() const {
  return static_cast<std::size_t>(stats_.queued_bytes.value());
}

void Shard::set_user_data(ConnId id, void* user) {
  if (Connection* conn = find(id)) conn->user = user;
}

void* Shard::user_data(ConnId id) const {
  const Connection* conn = find(id);
  return conn != nullptr ? conn->user : nullptr;
}

void Shard::mark_dirty(std::uint32_t slot, Connection& conn) {
  if (conn.dirty || conn.send_in_flight) return;
  conn.dirty = true;
  dirty_.push_back(slot);
}

void Shard::mark_starved(std::uint32_t slot, Connection& conn) {
  if (conn.starved) return;
  conn.starved = true;
  starved_.push_back(slot);
}

void Shard::begin_flush_close(std::uint32_t slot, Connection& conn, CloseReason reason) {
  if (conn.state != ConnState::kOpen) return;
  conn.state = ConnState::kDraining;
  conn.reason = reason;
  conn.close_deadline = now() + config_.close_flush_timeout;
  list_closing(slot, conn);
}

void Shard::abort_connection(std::uint32_t slot, Connection& conn, CloseReason reason) {
  if (conn.state == ConnState::kLingering) {
    end_linger(conn);
    return;
  }
  if (conn.state != ConnState::kOpen && conn.state != ConnState::kDraining) return;
  conn.state = ConnState::kShutdown;
  conn.reason = reason;
  // A send in flight still references the queue; on_send drops it when it completes.
  if (!conn.send_in_flight) drop_send_queue(conn);
  // The close resets the connection (RST) and drops what the kernel still holds for the peer,
  // instead of a FIN queued behind megabytes a stuck reader will never take.
  const linger reset{1, 0};
  ::setsockopt(conn.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  // Ends the multishot recv and any send waiting for buffer space.
  ::shutdown(conn.fd, SHUT_RDWR);
  list_closing(slot, conn);
}

void Shard::drop_send_queue(Connection& conn) {
  if (conn.sendq == nullptr) return;
  stats_.queued_bytes.sub(static_cast<std::int64_t>(conn.sendq->clear()));
  send_queues_.give_back(std::move(conn.sendq));
}

void Shard::list_closing(std::uint32_t slot, Connection& conn) {
  if (conn.closing_listed) return;
  conn.closing_listed = true;
  closing_.push_back(slot);
}

// A drained kDraining connection: send FIN and linger (on_close now), or shut it down at once when
// lingering is off, pointless (the peer already sent EOF) or impossible (shutdown failed).
void Shard::finish_flush(std::uint32_t slot, Connection& conn) {
  if (config_.linger_timeout > Duration::zero() && !conn.peer_eof &&
      ::shutdown(conn.fd, SHUT_WR) == 0) {
    conn.state = ConnState::kLingering;
    conn.close_deadline = now() + config_.linger_timeout;
    stats_.lingered.add();
    stats_.lingering.add(1);
    // The recv stays armed (or is re-armed) to read and discard until the peer's EOF.
    if (!conn.recv_armed) mark_starved(slot, conn);
    recv_tails_.give_back(std::move(conn.tail));
    if (!conn.close_notified) notify_close(slot, conn);
    return;
  }
  conn.state = ConnState::kShutdown;
  ::shutdown(conn.fd, SHUT_RDWR);
}

// Ends a linger (peer EOF or error, timeout, abort): the fd is closed once no op is in flight.
void Shard::end_linger(Connection& conn) {
  RMQ_DCHECK(conn.state == ConnState::kLingering);
  conn.state = ConnState::kShutdown;
  stats_.lingering.sub(1);
  ::shutdown(conn.fd, SHUT_RDWR);  // ends the multishot recv, if still armed
}

void Shard::notify_close(std::uint32_t slot, Connection& conn) {
  RMQ_DCHECK(!conn.close_notified);
  const ConnId id = conn_id(slot, conn);
  conn.close_notified = true;
  conn.user = nullptr;
  handler_->on_close(id, conn.reason);
}

// Moves closing connections along: a drained kDraining connection lingers or is shut down, one
// past its deadline is aborted, a kLingering one past its deadline is shut down, and a kShutdown
// one with nothing in flight is finalized. Callbacks may add to closing_ while this runs; those
// entries sit past `n` and are kept.
bool Shard::advance_closing() {
  if (closing_.empty()) return false;
  const MonoTime current = now();
  bool did_work = false;
  const std::size_t n = closing_.size();
  std::size_t keep = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t slot = closing_[i];
    Connection& conn = slab_.at(slot);
    if (conn.state == ConnState::kDraining) {
      if (!conn.send_in_flight && (conn.sendq == nullptr || conn.sendq->empty())) {
        finish_flush(slot, conn);
        did_work = true;
      } else if (current >= conn.close_deadline) {
        stats_.flush_timeouts.add();
        abort_connection(slot, conn, CloseReason::kFlushTimeout);
        did_work = true;
      }
    } else if (conn.state == ConnState::kLingering && current >= conn.close_deadline) {
      stats_.linger_timeouts.add();
      end_linger(conn);
      did_work = true;
    }
    if (conn.state == ConnState::kShutdown && conn.ops == 0) {
      finalize(slot, conn);
      did_work = true;
      continue;
    }
    closing_[keep++] = slot;
  }
  closing_.erase(closing_.begin() + static_cast<std::ptrdiff_t>(keep),
                 closing_.begin() + static_cast<std::ptrdiff_t>(n));
  return did_work;
}

void Shard::finalize(std::uint32_t slot, Connection& conn) {
  const ConnId id = conn_id(slot, conn);
  const CloseReason reason = conn.reason;
  const bool notify = !conn.close_notified;
  ::close(conn.fd);
  drop_send_queue(conn);
  if (conn.tls) release_tls(slot, conn);
  recv_tails_.give_back(std::move(conn.tail));
  slab_.free(slot);
  release_connection();
  stats_.closed.add();
  stats_.connections.sub(1);
  if (notify) handler_->on_close(id, reason);
}

void Shard::begin_stop() {
  stopping_ = true;
  stop_deadline_ = now() + config_.shutdown_timeout;
  for (std::uint32_t i = 0; i < listen_fds_.size(); ++i) {
    if (accept_armed_[i]) {
      io_uring_sqe* sqe = get_sqe();
      io_uring_prep_cancel64(sqe, encode_user_data(OpTag::kAccept, i), 0);
      io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kCancel, i));
    }
    // The cancelled accept holds its own reference to the socket; new connections are refused
    // once both are gone.
    ::close(listen_fds_[i]);
    listen_fds_[i] = -1;
  }
  handler_->on_stop();
  for (std::uint32_t slot = 0; slot < slab_.slots(); ++slot) {
    Connection& conn = slab_.at(slot);
    if (conn.state != ConnState::kOpen) continue;
    if (!conn.close_notified) handler_->on_shutdown(conn_id(slot, conn));
    if (conn.tls) close_tls(slot, conn);
    begin_flush_close(slot, conn, CloseReason::kShutdown);
  }
}

// Stop progress: once this shard has no connections it counts itself quiesced; when every shard
// has, the last one wakes the others and all leave their loops. Connections still open
// shutdown_timeout after the stop began are aborted (once).
bool Shard::advance_stop() {
  bool did_work = false;
  if (!quiesced_) {
    if (slab_.live() > 0) {
      if (stop_aborted_ || now() < stop_deadline_) return false;
      stop_aborted_ = true;
      RMQ_LOG_WARN("shard %u: %u connections still open at the shutdown deadline; aborting", id_,
                   slab_.live());
      for (std::uint32_t slot = 0; slot < slab_.slots(); ++slot) {
        abort_connection(slot, slab_.at(slot), CloseReason::kShutdown);
      }
      return true;
    }
    quiesced_ = true;
    did_work = true;
    const std::uint32_t done = shared_.quiesced.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (done == shared_.shard_count) wake_other_shards();
  }
  if (shared_.quiesced.load(std::memory_order_acquire) == shared_.shard_count) {
    exit_ = true;
    did_work = true;
  }
  return did_work;
}

}  // namespace rmq::engine
