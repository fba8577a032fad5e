// Shard: connections on TLS listeners. The socket I/O is the same as for plain connections (the
// ring receives and sends ciphertext); a TlsLink per connection turns it into plaintext for the
// handler and back. The handler sees a TLS connection only once its handshake completed.
#include <sys/socket.h>

#include <algorithm>

#include "base/log.h"
#include "engine/block_pool.h"
#include "engine/shard.h"

namespace rmq::engine {
namespace {

// Plaintext per TLS record: the protocol's maximum, so a burst of small packets costs one
// record's overhead.
constexpr std::size_t kRecordPlaintext = 16 * 1024;

// Log lines for refused handshakes: the first few, then one in this many (a scan or a storm of
// bad clients must not flood the log; the counter has every one).
constexpr std::uint64_t kHandshakeLogEvery = 1000;
constexpr std::uint64_t kHandshakeLogFirst = 20;

bool should_log(std::uint64_t count) {
  return count <= kHandshakeLogFirst || count % kHandshakeLogEvery == 0;
}

}  // namespace

void Shard::open_tls(std::uint32_t slot, Connection& conn, tls::TlsContext& context) {
  if (tls_links_.size() <= slot) {
    tls_links_.resize(std::max<std::size_t>(slot + 1, 2 * tls_links_.size()));
  }
  auto link = std::make_unique<TlsLink>();
  link->session = context.new_session();
  if (link->session == nullptr) {  // OpenSSL could not allocate one
    abort_connection(slot, conn, CloseReason::kTlsError);
    conn.close_notified = true;
    return;
  }
  link->handshake_deadline = now() + config_.tls_handshake_timeout;
  tls_links_[slot] = std::move(link);
  conn.tls = true;
  conn.close_notified = true;  // no id for the handler until the handshake completes
  handshakes_.push_back(PendingHandshake{slot, conn.generation});
  if (tls_read_scratch_.empty()) {
    tls_read_scratch_.resize(kRecordPlaintext + 1024);
    tls_write_scratch_.resize(kRecordPlaintext);
  }
}

void Shard::receive_tls(std::uint32_t slot, Connection& conn,
                        std::span<const std::byte> ciphertext) {
  TlsLink& link = *tls_links_[slot];
  link.session->feed(ciphertext);
  if (!link.session->handshake_done() && !advance_handshake(slot, conn, link)) return;
  read_plaintext(slot, conn, link);
  if (conn.state == ConnState::kOpen || conn.state == ConnState::kDraining) {
    queue_ciphertext(slot, conn, link);  // e.g. a key update's answer
  }
}

// Runs the handshake on what was fed; true once it completed and the handler was told.
bool Shard::advance_handshake(std::uint32_t slot, Connection& conn, TlsLink& link) {
  const tls::TlsIo result = link.session->handshake();
  queue_ciphertext(slot, conn, link);
  if (result == tls::TlsIo::kFailed || result == tls::TlsIo::kClosed) {
    stats_.tls_handshake_failures.add();
    if (should_log(stats_.tls_handshake_failures.value())) {
      PeerAddress peer = peer_address(conn.fd);
      RMQ_LOG_INFO("TLS handshake from %s refused: %.*s", peer.to_string().c_str(),
                   static_cast<int>(link.session->error().size()), link.session->error().data());
    }
    begin_flush_close(slot, conn, CloseReason::kTlsError);  // sends the alert, if any
    return false;
  }
  if (!link.session->handshake_done()) return false;
  stats_.tls_handshakes.add();
  if (link.session->peer().resumed) stats_.tls_resumed.add();
  conn.close_notified = false;
  handler_->on_open(conn_id(slot, conn), peer_address(conn.fd));
  return conn.state == ConnState::kOpen;
}

// Decrypts every whole record buffered and hands the plaintext to the handler.
void Shard::read_plaintext(std::uint32_t slot, Connection& conn, TlsLink& link) {
  const std::span<std::byte> scratch(tls_read_scratch_);
  while (conn.state == ConnState::kOpen) {
    std::size_t produced = 0;
    const tls::TlsIo result = link.session->read(scratch, &produced);
    if (produced > 0) deliver_bytes(slot, conn, scratch.first(produced), nullptr, 0);
    if (result == tls::TlsIo::kOk) continue;
    if (result == tls::TlsIo::kClosed) {
      begin_flush_close(slot, conn, CloseReason::kPeerClosed);
    } else if (result == tls::TlsIo::kFailed) {
      stats_.tls_record_errors.add();
      RMQ_LOG_DEBUG("TLS record error: %.*s", static_cast<int>(link.session->error().size()),
                    link.session->error().data());
      begin_flush_close(slot, conn, CloseReason::kTlsError);
    }
    return;  // kWantRead: nothing more buffered
  }
}

Status Shard::send_tls(std::uint32_t slot, Connection& conn, SharedBytes bytes) {
  TlsLink& link = *tls_links_[slot];
  if (link.plain == nullptr) link.plain = send_queues_.acquire();
  link.plain->push(std::move(bytes));
  mark_dirty(slot, conn);
  return OkStatus();
}

// Encrypts the plaintext the handler queued, in records of up to kRecordPlaintext bytes.
void Shard::encrypt_pending(std::uint32_t slot, Connection& conn) {
  TlsLink& link = *tls_links_[slot];
  if (link.plain == nullptr) return;
  const std::span<std::byte> record(tls_write_scratch_);
  iovec iov[64];
  std::size_t used = 0;
  bool failed = false;
  while (!link.plain->empty() && !failed) {
    const std::size_t offered = link.plain->prepare_send(iov);
    std::size_t taken = 0;
    for (const iovec& slice : std::span<iovec>(iov, link.plain->msg()->msg_iovlen)) {
      const auto* data = static_cast<const std::byte*>(slice.iov_base);
      for (std::size_t done = 0; done < slice.iov_len;) {
        const std::size_t n = std::min(slice.iov_len - done, record.size() - used);
        std::copy_n(data + done, n, record.data() + used);
        used += n;
        done += n;
        if (used == record.size()) {
          failed |= link.session->write(record.first(used)) == tls::TlsIo::kFailed;
          used = 0;
        }
      }
      taken += slice.iov_len;
    }
    RMQ_DCHECK(taken == offered);
    link.plain->complete_send(taken);
  }
  if (used > 0) failed |= link.session->write(record.first(used)) == tls::TlsIo::kFailed;
  send_queues_.give_back(std::move(link.plain));
  queue_ciphertext(slot, conn, link);
  if (failed) {
    stats_.tls_record_errors.add();
    abort_connection(slot, conn, CloseReason::kTlsError);
  }
}

// Moves the session's outgoing ciphertext into the connection's send queue.
void Shard::queue_ciphertext(std::uint32_t slot, Connection& conn, TlsLink& link) {
  bool queued = false;
  while (std::size_t pending = link.session->pending_ciphertext()) {
    SharedBytes::Builder builder(std::min(pending, kMaxPooledSize));
    const std::size_t n = link.session->take_ciphertext(builder.writable());
    if (n == 0) break;
    if (conn.sendq == nullptr) conn.sendq = send_queues_.acquire();
    stats_.queued_bytes.add(static_cast<std::int64_t>(n));
    conn.sendq->push(std::move(builder).finish(n));
    queued = true;
  }
  if (queued) mark_dirty(slot, conn);
}

// A flushing close of a TLS connection: what the handler queued is encrypted, then close_notify.
void Shard::close_tls(std::uint32_t slot, Connection& conn) {
  TlsLink& link = *tls_links_[slot];
  encrypt_pending(slot, conn);
  if (conn.state != ConnState::kOpen || link.close_notify_sent) return;
  link.close_notify_sent = true;
  link.session->shutdown();
  queue_ciphertext(slot, conn, link);
}

// Closes connections whose handshake did not complete in time; true if any was.
bool Shard::expire_handshakes() {
  bool did_work = false;
  const MonoTime current = turn_time_;
  while (!handshakes_.empty()) {
    const PendingHandshake pending = handshakes_.front();
    Connection* conn = slab_.find(pending.slot, pending.generation);
    TlsLink* link = conn != nullptr && conn->tls ? tls_links_[pending.slot].get() : nullptr;
    if (link != nullptr && !link->session->handshake_done() && conn->state == ConnState::kOpen) {
      if (current < link->handshake_deadline) break;
      stats_.tls_handshake_timeouts.add();
      abort_connection(pending.slot, *conn, CloseReason::kTlsError);
      did_work = true;
    }
    handshakes_.pop_front();
  }
  return did_work;
}

void Shard::release_tls(std::uint32_t slot, Connection& conn) {
  TlsLink& link = *tls_links_[slot];
  if (link.plain != nullptr) {
    link.plain->clear();
    send_queues_.give_back(std::move(link.plain));
  }
  tls_links_[slot].reset();
  conn.tls = false;
}

const tls::TlsPeer* Shard::tls_peer(ConnId id) const {
  const Connection* conn = find(id);
  if (conn == nullptr || !conn->tls) return nullptr;
  return &tls_links_[id.slot()]->session->peer();
}

PeerAddress Shard::peer_address(int fd) {
  PeerAddress peer;
  peer.length = sizeof(peer.storage);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer.storage), &peer.length) != 0) {
    peer.length = 0;
  }
  return peer;
}

}  // namespace rmq::engine
