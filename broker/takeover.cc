// Takeover: a client identifier connected again, on any shard. The new owner has already claimed
// the identifier in the registry (handle_connect.cc) and posted a TakeoverRequest to the previous
// owner's shard. That shard closes the old connection (5.0: DISCONNECT 0x8E), deals with its will,
// copies the session state out when the new connection asked to resume it (Clean Start 0), drops
// the old session and answers with the state. The new shard imports it and sends CONNACK.
//
// No message is lost or doubled on the way: a continuing session's subscriptions are moved to the
// new session in the index in one step each (TopicIndex::resubscribe), so every publish matches
// exactly one of the two; the new session keeps what arrives before its state in its own queue,
// after the handed-over messages; and a message already on its way to the old session when it
// moved is forwarded to the new one (moved_, kept for kForwardGrace). A forwarded message may
// arrive after a newer one of the same topic: order is kept everywhere except across this move.
#include <chrono>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {
namespace {
// How long a moved session's messages are forwarded: covers messages matched just before the
// move and delayed in a full mailbox's outbox.
constexpr std::chrono::seconds kForwardGrace{30};
}  // namespace

void Broker::on_takeover_request(std::unique_ptr<TakeoverRequest> request) {
  Session* s = find_session(request->old_session);
  std::unique_ptr<SessionState> state;
  if (s != nullptr && s->generation == request->old_generation) {
    if (s->phase == SessionPhase::kAwaitingState) {
      // This session is itself waiting for its state: pass everything on once it arrives.
      if (s->rare == nullptr) s->rare = std::make_unique<SessionRare>(s);
      s->rare->chained_takeover = std::move(request);
      return;
    }
    state = hand_over(*s, *request);  // ends `s`
  }
  // Answer (with no state when the session had ended meanwhile).
  engine::MailboxMessage reply;
  reply.type = static_cast<std::uint16_t>(MailType::kTakeoverReply);
  reply.u32 = request->new_session;
  reply.u64 = request->new_generation;
  reply.ptr = state.release();
  post(request->new_shard, reply, /*droppable=*/false);
}

// Closes the session's connection, decides on its will, copies its state out if the new
// connection wants it, and ends the session here.
std::unique_ptr<SessionState> Broker::hand_over(Session& s, const TakeoverRequest& request) {
  finish_chunk_of(s);
  stats_.takeovers.add();
  if (ClientConn* old = s.conn; old != nullptr) {
    if (old->phase == ConnPhase::kConnected && codec::is_v5(old->version)) {
      send(*old,
           encode_disconnect(codec::ReasonCode::kSessionTakenOver, old->version,
                             diagnostics(*old, "session taken over by a new connection", true)));
    }
    old->taken_over = true;
    old->session = nullptr;
    s.conn = nullptr;
    update_presence(s);
    close(*old, error_info(BrokerError::kSessionTakenOver).what.data());
  }
  // The will goes out unless the session continues (Clean Start 0) and the will is delayed
  // (MQTT 5.0 3.1.3.2.2); a delayed will cancelled by a reconnect in time is dropped.
  if (s.will && (!request.wants_state || s.will->delay_s == 0)) publish_will(s);
  s.will.reset();
  s.will_pending = false;
  // A session with expiry 0 ends with its connection: nothing to hand over.
  std::unique_ptr<SessionState> state;
  if (request.wants_state && s.expiry_interval != 0) {
    state = export_state(s);
    move_subscriptions(s, request);
    remember_move(s.handle, request.new_shard, request.new_session);
    // Logged here: its end is logged once the new owner's log holds it (end_moved_session).
    state->durable = s.durable;
    state->from_shard = self_;
    state->from_generation = s.generation;
    s.durable = false;
  }
  RMQ_LOG_DEBUG("session %s handed over to shard %u (state %s)", s.client_id.c_str(),
                request.new_shard, state ? "copied" : "dropped");
  end_session(s);
  return state;
}

void Broker::on_takeover_reply(std::uint32_t handle, std::uint64_t generation,
                               std::unique_ptr<SessionState> state) {
  Session* s = find_session(handle);
  if (s == nullptr || s->generation != generation) {
    // Nobody to take the state: its subscriptions were moved to this handle; remove them.
    if (state != nullptr) {
      for (const auto& [filter, record] : state->subscriptions) {
        (void)shared_.index().unsubscribe(filter, router::SessionKey{self_, handle});
      }
      end_moved_session(*state, SharedString(), 0);
    }
    return;
  }
  RMQ_DCHECK(s->phase == SessionPhase::kAwaitingState);
  ClientConn* c = s->conn;
  // State comes only for Clean Start 0 (TakeoverRequest::wants_state).
  const bool resume = state != nullptr && c != nullptr;
  s->phase = SessionPhase::kActive;  // first: the snapshot below holds the whole state
  if (state != nullptr) {
    import_state(*s, *state);
    const std::uint64_t start = log_ != nullptr ? log_->end_position() : 0;
    log_session_snapshot(*s);  // the state this generation continues, now in this shard's log
    end_moved_session(*state, s->client_id, start);
  }
  if (s->rare != nullptr && s->rare->chained_takeover != nullptr) {
    // A newer connection claimed the identifier meanwhile: this one never gets a CONNACK.
    std::unique_ptr<TakeoverRequest> next = std::move(s->rare->chained_takeover);
    on_takeover_request(std::move(next));
    return;
  }
  if (c == nullptr) {
    connection_lost(*s);  // the connection closed while waiting
    return;
  }
  finish_connect(*c, resume);
}

// The old generation of a moved session is still open in its old owner's log: its end is logged
// there once this shard's log holds the state (written since `start`), so that a crash in between
// finds the session in one log or the other. `client_id` empty: the new session is gone too.
void Broker::end_moved_session(const SessionState& state, const SharedString& client_id,
                               std::uint64_t start) {
  if (!state.durable) return;
  auto note = std::make_unique<SessionEndNote>();
  note->client_id = client_id.empty() ? state.client_id : client_id;
  note->generation = state.from_generation;
  if (state.from_shard == self_ || log_ == nullptr) {
    if (state.from_shard == self_) {
      on_log_session_end(std::move(note));
      return;
    }
    engine::MailboxMessage mail;
    mail.type = static_cast<std::uint16_t>(MailType::kLogSessionEnd);
    mail.ptr = note.release();
    post(state.from_shard, mail, /*droppable=*/false);
    return;
  }
  const std::uint32_t id = acks_.create(AckWait::Kind::kEndRemote);
  acks_.at(id).shard = state.from_shard;
  acks_.at(id).note = note.release();
  release_hold(id, start);
}

void Broker::on_log_session_end(std::unique_ptr<SessionEndNote> note) {
  if (log_ != nullptr) log_->write(persist::SessionEnd{note->client_id.view(), note->generation});
}

std::unique_ptr<SessionState> Broker::export_state(Session& s) {
  auto state = std::make_unique<SessionState>();
  state->client_id = s.client_id;
  state->subscriptions.reserve(s.subscriptions.size());
  for (const auto& [filter, record] : s.subscriptions)
    state->subscriptions.emplace_back(filter, record);
  for (std::uint16_t id : s.inflight.ids_in_send_order()) {
    state->inflight.emplace_back(id, std::move(*s.inflight.find(id)));
  }
  s.inflight.clear();
  while (!s.queue.empty()) state->queued.push_back(s.queue.pop_front());
  state->inbound_qos2 = s.inbound_qos2.ids();
  state->last_packet_id = s.packet_ids.last();
  return state;
}

// Moves every subscription of `s` to the session that takes it over, in the index, and forgets
// them here (end_session then has none to remove).
void Broker::move_subscriptions(Session& s, const TakeoverRequest& request) {
  const router::SessionKey from{self_, s.handle};
  for (const auto& [filter, record] : s.subscriptions) {
    router::SubscriberRef to;
    to.shard = request.new_shard;
    to.session = request.new_session;
    to.options = record.options;
    to.subscription_id = record.id;
    (void)shared_.index().resubscribe(filter, from, to);
  }
  s.subscriptions.clear();
}

void Broker::remember_move(std::uint32_t old_handle, std::uint32_t shard, std::uint32_t session) {
  const MonoTime now = shard_.now();
  while (!moved_order_.empty() && moved_order_.front().until <= now) {
    moved_.erase(moved_order_.front().handle);
    moved_order_.pop_front();
  }
  moved_[old_handle] = MovedSession{shard, session};
  moved_order_.push_back(MovedExpiry{old_handle, now + kForwardGrace});
}

void Broker::forward_moved(const Message& message, const router::Delivery& d,
                           std::span<const std::uint32_t> ids) {
  auto it = moved_.find(d.session);
  if (it == moved_.end()) return;
  DeliveryBatch batch;  // rare path: a message that crossed a takeover
  router::Delivery moved = d;
  moved.session = it->second.session;
  moved.ids_begin = 0;
  batch.ids.assign(ids.begin(), ids.end());
  batch.deliveries.push_back(moved);
  if (it->second.shard == self_) {
    deliver_batch(message, batch);
  } else {
    post_batch(it->second.shard, message, batch);
  }
}

// The subscriptions in `state` already point at `s` (moved by the previous owner).
void Broker::import_state(Session& s, SessionState& state) {
  for (auto& [filter, record] : state.subscriptions) s.subscriptions.emplace(filter, record);
  for (auto& [id, entry] : state.inflight) {
    InflightEntry& added = s.inflight.add(id, std::move(entry.message));
    added.stage = entry.stage;
  }
  // Messages queued here while waiting come after the ones handed over.
  MessageQueue local = std::move(s.queue);
  s.queue = MessageQueue(&queue_limits_);
  for (OutboundMessage& m : state.queued) s.queue.push(std::move(m));
  while (!local.empty()) s.queue.push(local.pop_front());
  for (std::uint16_t id : state.inbound_qos2) s.inbound_qos2.add(id);
  s.packet_ids.restore(state.last_packet_id);
}

}  // namespace rmq::broker
