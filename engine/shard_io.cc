// Shard: completion handling and submissions.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>

#include "base/log.h"
#include "engine/shard.h"

namespace rmq::engine {
namespace {

// Completions handled per turn. Small, so that turns stay short: a send's completion is only
// acted on (the connection's next sendmsg prepared and submitted) at the end of the turn that
// reaps it, and a turn that also reaps hundreds of receive completions (each up to a full buffer
// of PUBLISH packets) leaves a busy subscriber's socket idle for that long. Measured on fan-in
// 50 -> 1 at 1 KiB: 32 instead of 256 gave 5-10 % more deliveries per second.
constexpr unsigned kReapBatch = 32;

CloseReason reason_for_errno(int err) {
  return err == ECONNRESET || err == EPIPE ? CloseReason::kPeerReset : CloseReason::kIoError;
}

}  // namespace

bool Shard::reap_completions() {
  io_uring_cqe* cqes[kReapBatch];
  const unsigned n = io_uring_peek_batch_cqe(&ring_, cqes, kReapBatch);
  if (n == 0) return false;
  Completion batch[kReapBatch];
  for (unsigned i = 0; i < n; ++i) {
    batch[i] = Completion{cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
  }
  io_uring_cq_advance(&ring_, n);
  for (unsigned i = 0; i < n; ++i) dispatch(batch[i]);
  return true;
}

void Shard::dispatch(const Completion& c) {
  const UserData ud = decode_user_data(c.user_data);
  switch (ud.tag) {
    case OpTag::kAccept: on_accept(ud.index, c); break;
    case OpTag::kRecv: on_recv(ud, c); break;
    case OpTag::kSend: on_send(ud, c); break;
    case OpTag::kMsgRingSent:
      on_msg_ring_failed(ud.index, static_cast<OpTag>(ud.generation24), c.res);
      break;
    case OpTag::kSignal: on_signal(c); break;
    case OpTag::kInbox: on_inbox(c); break;
    case OpTag::kLogWrite:
    case OpTag::kLogSync: on_log(ud, c); break;
    case OpTag::kLogGate:      // completes only on failure; the linked sync reports it
    case OpTag::kMailboxWake:  // drain_mailboxes runs every turn
    case OpTag::kStopWake:     // advance_lifecycle reads the stop flag every turn
    case OpTag::kCancel:
    case OpTag::kNone:
    case OpTag::kCount:
    case OpTag::kLiburingTimeout: break;
  }
}

io_uring_sqe* Shard::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  for (int attempt = 0; sqe == nullptr && attempt < 1000; ++attempt) {
    if (io_uring_submit(&ring_) < 0) io_uring_submit_and_get_events(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  RMQ_ASSERT(sqe != nullptr);
  return sqe;
}

void Shard::arm_accept(std::uint32_t listener) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_multishot_accept(sqe, listen_fds_[listener], nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kAccept, listener));
  accept_armed_[listener] = true;
}

void Shard::on_accept(std::uint32_t listener, const Completion& c) {
  if ((c.flags & IORING_CQE_F_MORE) == 0) accept_armed_[listener] = false;
  if (c.res >= 0) {
    accept_connection(c.res, listener);
    return;
  }
  if (c.res == -ECANCELED) return;
  stats_.accept_errors.add();
  if (c.res == -EMFILE || c.res == -ENFILE || c.res == -ENOBUFS || c.res == -ENOMEM) {
    // Out of descriptors or memory: pause accepting for a tick instead of spinning.
    accept_backoff_until_ = now() + config_.timer_tick;
    if (stats_.accept_errors.value() % 1000 == 1) {
      RMQ_LOG_WARN("shard %u: accept failed (errno %d); pausing accepts", id_, -c.res);
    }
  }
}

bool Shard::reserve_connection() {
  const std::int64_t before = shared_.open_connections.fetch_add(1, std::memory_order_relaxed);
  if (before < static_cast<std::int64_t>(config_.max_connections)) return true;
  shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void Shard::release_connection() {
  shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void Shard::accept_connection(int fd, std::uint32_t listener) {
  std::uint32_t slot = 0;
  Connection* conn = nullptr;
  if (stopping_ || !reserve_connection()) {
    if (!stopping_) stats_.rejected_over_limit.add();
    ::close(fd);
    return;
  }
  conn = slab_.allocate(&slot);
  if (conn == nullptr) {
    release_connection();
    stats_.rejected_over_limit.add();
    ::close(fd);
    return;
  }
  if (config_.tcp_nodelay) {
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  conn->fd = fd;
  conn->state = ConnState::kOpen;
  stats_.accepted.add();
  stats_.connections.add(1);
  arm_recv(slot, *conn);
  if (tls::TlsContext* context = config_.listen[listener].tls.get()) {
    open_tls(slot, *conn, *context);  // on_open once the handshake completes
    return;
  }
  handler_->on_open(conn_id(slot, *conn), peer_address(fd));
}

void Shard::arm_recv(std::uint32_t slot, Connection& conn) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_recv_multishot(sqe, conn.fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = buffers_->group();
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kRecv, slot, conn.generation));
  conn.recv_armed = true;
  ++conn.ops;
}

void Shard::on_recv(const UserData& op, const Completion& c) {
  const std::uint32_t slot = op.index;
  Connection& conn = slab_.at(slot);
  // A slot is freed only once nothing is in flight on it, so the generation always matches.
  RMQ_DCHECK(conn.state != ConnState::kFree && conn.recv_armed);
  RMQ_DCHECK((conn.generation & kGenerationMask) == op.generation24);
  stats_.recv_completions.add();
  const bool more = (c.flags & IORING_CQE_F_MORE) != 0;
  if (!more) {
    conn.recv_armed = false;
    --conn.ops;
  }
  if (c.res > 0) {
    RMQ_ASSERT((c.flags & IORING_CQE_F_BUFFER) != 0);
    const auto buffer_id = static_cast<std::uint16_t>(c.flags >> IORING_CQE_BUFFER_SHIFT);
    buffers_->on_delivered(buffer_id);
    stats_.recv_bytes.add(static_cast<std::uint64_t>(c.res));
    const std::span<const std::byte> chunk(buffers_->buffer(buffer_id),
                                           static_cast<std::size_t>(c.res));
    if (conn.state == ConnState::kOpen && conn.tls) {
      receive_tls(slot, conn, chunk);
    } else if (conn.state == ConnState::kOpen) {
      deliver_bytes(slot, conn, chunk, buffers_.get(), buffer_id);
    } else {
      stats_.discarded_bytes.add(static_cast<std::uint64_t>(c.res));
    }
    buffers_->release(buffer_id);
    if (!more && wants_recv(conn)) mark_starved(slot, conn);
  } else if (c.res == 0) {
    conn.peer_eof = true;
    if (conn.state == ConnState::kLingering) {
      end_linger(conn);
    } else {
      begin_flush_close(slot, conn, CloseReason::kPeerClosed);
    }
  } else if (c.res == -ENOBUFS) {
    stats_.enobufs.add();
    if (wants_recv(conn)) mark_starved(slot, conn);
  } else if (conn.state == ConnState::kLingering) {
    end_linger(conn);
  } else if (conn.state == ConnState::kOpen || conn.state == ConnState::kDraining) {
    abort_connection(slot, conn, reason_for_errno(-c.res));
  }
}

// Whether `conn` should have a multishot recv armed: to deliver (kOpen), or to read and discard
// while it closes (kDraining, kLingering: unread bytes at close(2) would make the kernel send RST).
bool Shard::wants_recv(const Connection& conn) {
  const bool reading = conn.state == ConnState::kOpen || conn.state == ConnState::kDraining ||
                       conn.state == ConnState::kLingering;
  return reading && !conn.peer_eof && !conn.recv_armed;
}

// Hands `chunk` (received into buffer `buffer_id` of `ring`, or, with a null ring, plaintext the
// handler may not keep a lease on) to the handler: zero-copy while the connection has no
// unconsumed tail; while it has one, only as many bytes as the handler said it needs are appended
// to the tail, and the rest is handed over zero-copy again.
void Shard::deliver_bytes(std::uint32_t slot, Connection& conn, std::span<const std::byte> chunk,
                          ProvidedBufferRing* ring, std::uint16_t buffer_id) {
  const ConnId id = conn_id(slot, conn);
  std::size_t offset = 0;
  while (offset < chunk.size() && conn.state == ConnState::kOpen) {
    if (conn.tail == nullptr) {
      const RecvView view(chunk.subspan(offset), ring, buffer_id);
      const RecvResult result = handler_->on_data(id, view);
      offset += std::min(result.consumed, chunk.size() - offset);
      if (offset < chunk.size() && conn.state == ConnState::kOpen &&
          stash(slot, conn, chunk.subspan(offset))) {
        conn.need = static_cast<std::uint32_t>(
            std::min<std::size_t>(result.need, config_.max_pending_recv_bytes));
      }
      return;
    }
    std::size_t take = chunk.size() - offset;
    if (conn.need > conn.tail->size()) take = std::min(take, conn.need - conn.tail->size());
    if (!stash(slot, conn, chunk.subspan(offset, take))) return;
    offset += take;
    if (conn.need > conn.tail->size()) return;  // the whole chunk went into the tail
    const RecvView view(conn.tail->bytes(), nullptr, 0);
    const RecvResult result = handler_->on_data(id, view);
    if (conn.state != ConnState::kOpen) return;
    conn.tail->consume(std::min(result.consumed, conn.tail->size()));
    conn.need = static_cast<std::uint32_t>(
        std::min<std::size_t>(result.need, config_.max_pending_recv_bytes));
    if (conn.tail->empty()) {
      recv_tails_.give_back(std::move(conn.tail));
      conn.need = 0;
    }
  }
}

bool Shard::stash(std::uint32_t slot, Connection& conn, std::span<const std::byte> bytes) {
  if (conn.tail == nullptr) conn.tail = recv_tails_.acquire();
  if (conn.tail->size() + bytes.size() > config_.max_pending_recv_bytes) {
    abort_connection(slot, conn, CloseReason::kRecvOverflow);
    return false;
  }
  conn.tail->append(bytes);
  stats_.reassembly_bytes.add(bytes.size());
  return true;
}

// The iovecs for one sendmsg of up to `wanted` slices. When the arena runs short, everything
// prepared so far is submitted (the kernel copies each send's iovecs as it consumes the SQE), and
// the arena is recycled once the submission queue is empty.
std::span<iovec> Shard::lend_iovecs(std::size_t wanted) {
  for (int attempt = 0; iovecs_.available() < wanted && attempt < 1000; ++attempt) {
    if (io_uring_submit(&ring_) < 0) io_uring_submit_and_get_events(&ring_);
    if (io_uring_sq_ready(&ring_) == 0) iovecs_.recycle();
  }
  RMQ_ASSERT(iovecs_.available() > 0);
  return iovecs_.take(wanted);
}

// At most one sendmsg per connection is prepared or in flight: flush_dirty_connections, the only
// caller, skips connections with one in flight, and mark_dirty never lists them.
void Shard::submit_send(std::uint32_t slot, Connection& conn) {
  RMQ_DCHECK(!conn.send_in_flight && conn.sendq != nullptr && !conn.sendq->empty());
  conn.sendq->prepare_send(lend_iovecs(std::min(conn.sendq->slices(), SendQueue::kMaxIov)));
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_sendmsg(sqe, conn.fd, conn.sendq->msg(), MSG_NOSIGNAL);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kSend, slot, conn.generation));
  conn.send_in_flight = true;
  ++conn.ops;
  stats_.sendmsg_calls.add();
}

void Shard::on_send(const UserData& op, const Completion& c) {
  const std::uint32_t slot = op.index;
  Connection& conn = slab_.at(slot);
  RMQ_DCHECK(conn.state != ConnState::kFree && conn.send_in_flight && conn.sendq != nullptr);
  RMQ_DCHECK((conn.generation & kGenerationMask) == op.generation24);
  conn.send_in_flight = false;
  --conn.ops;
  if (c.res <= 0 || conn.state == ConnState::kShutdown) {
    drop_send_queue(conn);
    if (conn.state == ConnState::kOpen || conn.state == ConnState::kDraining) {
      abort_connection(slot, conn, c.res < 0 ? reason_for_errno(-c.res) : CloseReason::kIoError);
    }
    return;
  }
  const auto sent = static_cast<std::size_t>(c.res);
  if (sent < conn.sendq->in_flight_bytes()) stats_.partial_sends.add();
  conn.sendq->complete_send(sent);
  stats_.send_bytes.add(sent);
  stats_.queued_bytes.sub(static_cast<std::int64_t>(sent));
  if (!conn.sendq->empty()) {
    mark_dirty(slot, conn);
    return;
  }
  send_queues_.give_back(std::move(conn.sendq));
  // Plaintext queued while this send was in flight was not listed for encryption.
  if (conn.tls && tls_links_[slot]->plain != nullptr) mark_dirty(slot, conn);
}

void Shard::send_msg_ring(ShardId to, OpTag tag) {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_msg_ring(sqe, shared_.ring_fds[to], 0, encode_user_data(tag, id_), 0);
  io_uring_sqe_set_data64(
      sqe, encode_user_data(OpTag::kMsgRingSent, to, static_cast<std::uint32_t>(tag)));
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  stats_.wakeups_sent.add();
}

void Shard::on_msg_ring_failed(ShardId to, OpTag tag, int res) {
  if (res >= 0) return;
  RMQ_LOG_WARN("shard %u: MSG_RING to shard %u failed (errno %d); retrying", id_, to, -res);
  if (tag == OpTag::kMailboxWake) {
    // Let the next publish send the wakeup again.
    shared_.hub.wake_pending(to).store(false, std::memory_order_seq_cst);
    if (!outbox_listed_[to]) {
      outbox_listed_[to] = true;
      outbox_.push_back(to);
    }
  } else {
    send_msg_ring(to, tag);
  }
}

void Shard::arm_signal_read() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, shared_.signal_fd, &siginfo_, sizeof(siginfo_), 0);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kSignal, 0));
}

void Shard::on_signal(const Completion& c) {
  if (c.res == static_cast<int>(sizeof(siginfo_)) && siginfo_.ssi_signo == SIGHUP &&
      config_.on_reload) {
    RMQ_LOG_INFO("received SIGHUP: reloading");
    config_.on_reload();
  } else if (c.res == static_cast<int>(sizeof(siginfo_))) {
    RMQ_LOG_INFO("received signal %u: shutting down", siginfo_.ssi_signo);
    request_stop();
    return;
  }
  if (c.res != -ECANCELED && !stopping_) arm_signal_read();
}

void Shard::arm_inbox_read() {
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_read(sqe, inbox_.fd(), &inbox_counter_, sizeof(inbox_counter_), 0);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kInbox, 0));
}

void Shard::on_inbox(const Completion& c) {
  drain_inbox();
  if (c.res != -ECANCELED && !exit_) arm_inbox_read();
}

void Shard::drain_inbox() {
  inbox_.take_all(inbox_batch_);
  for (const MailboxMessage& message : inbox_batch_) handler_->on_mailbox(message);
  inbox_batch_.clear();
}

}  // namespace rmq::engine
