// Broker: engine callbacks and framing. Received bytes are decoded in place from the engine's
// receive view; a packet that straddles receive buffers is reassembled by the engine (we report
// how many bytes it needs), so only that packet is ever copied.
#include "broker/broker.h"

#include <algorithm>
#include <cstring>

#include "base/log.h"
#include "broker/outgoing.h"

namespace rmq::broker {

using engine::CloseReason;
using engine::ConnId;
using engine::MailboxMessage;
using engine::RecvResult;
using engine::RecvView;

Broker::Broker(engine::Shard& shard, BrokerShared& shared)
    : shard_(shard),
      shared_(shared),
      config_(shared.config()),
      stats_(shared.stats(shard.id())),
      self_(shard.id()),
      queue_limits_{config_.max_queued_messages, config_.max_queued_bytes} {
  shared_.auth_worker().attach(self_, &shard_.inbox());
  shared_.set_engine_stats(self_, &shard_.stats());
}

Broker::~Broker() {
  shared_.auth_worker().detach(self_);
  // Waits still open at a stop: the notes they own go with them (the old owner's log keeps the
  // moved session's older generation; recovery prefers the newer one).
  acks_.for_each_live([](AckWait& w) {
    if (w.kind == AckWait::Kind::kEndRemote) delete static_cast<SessionEndNote*>(w.note);
  });
  // Subscriptions stay in the index, which is destroyed after the engine. Posts that never left
  // own what they point to.
  discard_outbox();
}

void Broker::on_start() {
  open_durable_log();
  shared_.arrive_and_wait_imported();
  if (self_ == 0 && config_.sys_interval > 0) {
    publish_sys();
    shard_.arm_timer(sys_timer_, std::chrono::seconds(config_.sys_interval));
  }
}

void Broker::on_open(ConnId id, const engine::PeerAddress& peer) {
  std::unique_ptr<ClientConn>& cell = conns_.cell(id.slot());
  RMQ_DCHECK(cell == nullptr);
  cell = std::make_unique<ClientConn>(id, peer);
  ClientConn& c = *cell;
  c.last_packet = shard_.now();
  shard_.set_user_data(id, &c);
  shard_.arm_timer(c.timer, config_.connect_timeout);
}

ClientConn* Broker::conn_of(ConnId id) { return static_cast<ClientConn*>(shard_.user_data(id)); }

RecvResult Broker::on_data(ConnId id, const RecvView& data) {
  ClientConn* c = conn_of(id);
  if (c == nullptr) return {data.size(), 0};
  const std::span<const std::uint8_t> bytes(
      reinterpret_cast<const std::uint8_t*>(data.bytes().data()), data.size());
  if (!input_parked(*c) && c->held == nullptr) return consume(*c, bytes);
  // Rare path: bytes after a CONNECT whose password check or session is not ready yet, or behind
  // a partial packet left over from replaying those.
  std::vector<std::uint8_t>& held = hold(*c);
  if (held.size() + bytes.size() > std::size_t{config_.max_packet_size} * 2 + 4096) {
    fail(*c, BrokerError::kPendingTooLarge);
    return {data.size(), 0};
  }
  held.insert(held.end(), bytes.begin(), bytes.end());
  if (!input_parked(*c)) replay_held(*c);
  return {data.size(), 0};
}

// Decodes and dispatches every complete packet at the front of `bytes`. Stops at a partial packet
// (reporting the size it needs), when the connection closes, or when a CONNECT leaves it waiting
// for its password check or its session (the rest is kept in `held`).
RecvResult Broker::consume(ClientConn& c, std::span<const std::uint8_t> bytes) {
  codec::DecodeOptions options;
  options.max_packet_size = config_.max_packet_size;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    if (c.phase == ConnPhase::kClosed) return {bytes.size(), 0};
    if (input_parked(c)) {
      std::vector<std::uint8_t>& held = hold(c);
      held.insert(held.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset), bytes.end());
      return {bytes.size(), 0};
    }
    options.version = c.version;
    const codec::DecodeResult r = codec::decode(bytes.subspan(offset), options);
    if (r.status == codec::DecodeStatus::kNeedMore) return {offset, r.needed};
    if (r.status == codec::DecodeStatus::kMalformed) {
      fail_decode(c, r.error);
      return {bytes.size(), 0};
    }
    offset += r.consumed;
    dispatch(c, r.packet);
    // A CONNECT parked for its password check is kept whole, with the bytes after it, and decoded
    // again (and counted) when the verdict arrives (handle_connect.cc).
    if (c.phase == ConnPhase::kAwaitVerdict) {
      offset -= r.consumed;
      continue;
    }
    stats_.bytes_received.add(r.consumed);
  }
  return {offset, 0};
}

std::vector<std::uint8_t>& Broker::hold(ClientConn& c) {
  if (c.held == nullptr) c.held = std::make_unique<std::vector<std::uint8_t>>();
  return *c.held;
}

void Broker::replay_held(ClientConn& c) {
  if (c.held == nullptr) return;
  const std::unique_ptr<std::vector<std::uint8_t>> bytes = std::move(c.held);
  const RecvResult r = consume(c, *bytes);
  if (c.phase == ConnPhase::kClosed || r.consumed >= bytes->size()) return;
  // A partial packet: keep it (after any bytes consume() held again); on_data appends the rest.
  std::vector<std::uint8_t>& held = hold(c);
  held.insert(held.begin(), bytes->begin() + static_cast<std::ptrdiff_t>(r.consumed), bytes->end());
}

void Broker::on_close(ConnId id, CloseReason reason) {
  const ClientConn* known = conns_.get(id.slot());
  if (known == nullptr || known->id != id) return;
  std::unique_ptr<ClientConn> conn = std::move(conns_.cell(id.slot()));
  ClientConn& c = *conn;
  if (c.connacked) stats_.clients_connected.sub(1);
  log_disconnect(c, reason);
  if (c.acks_head != 0) orphan_held_acks(c);
  Session* s = c.session;
  c.session = nullptr;
  c.phase = ConnPhase::kClosed;
  if (s == nullptr) return;
  s->conn = nullptr;
  update_presence(*s);
  if (stopping_ && logs(*s)) {
    // A clean stop: the session, its will and its queue stay as they are for the next start.
    log_session_offline(*s);
    return;
  }
  if (!c.send_will && s->will) {
    s->will.reset();
    log_will(*s);
  }
  if (s->phase == SessionPhase::kAuthenticating) {
    end_session(*s);  // never claimed its client identifier
    return;
  }
  if (s->phase == SessionPhase::kAwaitingState) return;  // finished when the state arrives
  connection_lost(*s);
}

void Broker::on_mailbox(const MailboxMessage& message) {
  switch (static_cast<MailType>(message.type)) {
    case MailType::kDeliver: {
      std::unique_ptr<DeliveryBatch> batch(static_cast<DeliveryBatch*>(message.ptr));
      const Message m = Message::adopt(SharedBytes::from_raw(message.bytes));
      deliver_batch(m, *batch);
      break;
    }
    case MailType::kDeliverOne: {
      const Message m = Message::adopt(SharedBytes::from_raw(message.bytes));
      unpack_delivery(message.u32, message.u64, incoming_);
      deliver_batch(m, incoming_);
      break;
    }
    case MailType::kTakeoverRequest:
      on_takeover_request(
          std::unique_ptr<TakeoverRequest>(static_cast<TakeoverRequest*>(message.ptr)));
      break;
    case MailType::kTakeoverReply:
      on_takeover_reply(message.u32, message.u64,
                        std::unique_ptr<SessionState>(static_cast<SessionState*>(message.ptr)));
      break;
    case MailType::kAuthVerdict:
      on_auth_verdict(std::unique_ptr<AuthRequest>(static_cast<AuthRequest*>(message.ptr)));
      break;
    case MailType::kDurableAck: ack_part_done(message.u32); break;
    case MailType::kRetainLog: {
      const Message m = Message::adopt(SharedBytes::from_raw(message.bytes));
      const std::uint32_t relay = begin_relay(message.u64);
      const std::uint64_t start = log_ != nullptr ? log_->end_position() : 0;
      if (log_ != nullptr) log_retained_now(m.topic());
      if (relay != 0) release_hold(relay, start);
      break;
    }
    case MailType::kLogSessionEnd:
      on_log_session_end(
          std::unique_ptr<SessionEndNote>(static_cast<SessionEndNote*>(message.ptr)));
      break;
  }
}

void Broker::on_timer(engine::Timer& timer) {
  auto& t = static_cast<BrokerTimer&>(timer);
  switch (t.kind()) {
    case TimerKind::kConnection: on_connection_timer(*static_cast<ClientConn*>(t.owner())); break;
    case TimerKind::kSessionExpiry:
    case TimerKind::kWillDelay:
      on_session_timer(*static_cast<Session*>(t.owner()), t.kind());
      break;
    case TimerKind::kOutbox: retry_outbox(); break;
    case TimerKind::kLogSync:
      if (&timer == &compact_timer_) {
        compact_slice();
      } else if (log_ != nullptr) {
        log_->sync_now();
        shard_.arm_timer(sync_timer_, std::chrono::milliseconds(config_.persist.sync_interval_ms));
      }
      break;
    case TimerKind::kSys:
      publish_sys();
      shard_.arm_timer(sys_timer_, std::chrono::seconds(config_.sys_interval));
      break;
  }
}

void Broker::on_stop() {
  stopping_ = true;
  shard_.cancel_timer(sys_timer_);
  shard_.cancel_timer(sync_timer_);
  shard_.cancel_timer(compact_timer_);
}

void Broker::on_turn_end() {
  if (log_ != nullptr) {
    maybe_compact();  // first: what this turn staged goes to the new segment
    log_->flush_turn();
  }
  if (!index_reader_online_) return;
  shared_.index().offline(self_);
  index_reader_online_ = false;
}

void Broker::on_shutdown(ConnId id) {
  ClientConn* c = conn_of(id);
  if (c == nullptr) return;
  if (c->phase == ConnPhase::kConnected && codec::is_v5(c->version)) {
    send(*c, encode_disconnect(codec::ReasonCode::kServerShuttingDown, c->version,
                               diagnostics(*c, "server shutting down", true)));
  }
  c->close_reason = "server shutting down";
  c->send_will = false;  // nobody is left to receive it
  c->phase = ConnPhase::kClosed;
}

}  // namespace rmq::broker
