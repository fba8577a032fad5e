// Takeover: a client identifier connected again, on any shard. The new owner has already claimed
// the identifier in the registry (handle_connect.cc) and posted a TakeoverRequest to the previous
// owner's shard. That shard closes the old connection (5.0: DISCONNECT 0x8E), deals with its will,
// copies the session state out when the new connection asked to resume it (Clean Start 0), drops
// the old session and answers with the state. The new shard imports it and sends CONNACK.
#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

void Broker::on_takeover_request(std::unique_ptr<TakeoverRequest> request) {
  Session* s = find_session(request->old_session);
  std::unique_ptr<SessionState> state;
  if (s != nullptr && s->generation == request->old_generation) {
    if (s->phase == SessionPhase::kAwaitingState) {
      // This session is itself waiting for its state: pass everything on once it arrives.
      s->chained_takeover = std::move(request);
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
  stats_.takeovers.add();
  if (ClientConn* old = s.conn; old != nullptr) {
    if (old->phase == ConnPhase::kConnected && codec::is_v5(old->version)) {
      send(*old, encode_disconnect(codec::ReasonCode::kSessionTakenOver, old->version));
    }
    old->taken_over = true;
    old->session = nullptr;
    s.conn = nullptr;
    close(*old, error_info(BrokerError::kSessionTakenOver).what.data());
  }
  // The will goes out unless the session continues (Clean Start 0) and the will is delayed
  // (MQTT 5.0 3.1.3.2.2); a delayed will cancelled by a reconnect in time is dropped.
  if (s.will && (!request.wants_state || s.will->delay_s == 0)) publish_will(s);
  s.will.reset();
  s.will_pending = false;
  // A session with expiry 0 ends with its connection: nothing to hand over.
  std::unique_ptr<SessionState> state;
  if (request.wants_state && s.expiry_interval != 0) state = export_state(s);
  RMQ_LOG_DEBUG("session %s handed over to shard %u (state %s)", s.client_id.c_str(),
                request.new_shard, state ? "copied" : "dropped");
  end_session(s);
  return state;
}

void Broker::on_takeover_reply(std::uint32_t handle, std::uint64_t generation,
                               std::unique_ptr<SessionState> state) {
  Session* s = find_session(handle);
  if (s == nullptr || s->generation != generation) return;
  RMQ_DCHECK(s->phase == SessionPhase::kAwaitingState);
  ClientConn* c = s->conn;
  const bool resume = state != nullptr && c != nullptr && !c->clean_start;
  if (state != nullptr && (c == nullptr || !c->clean_start)) import_state(*s, *state);
  s->phase = SessionPhase::kActive;
  if (s->chained_takeover) {
    // A newer connection claimed the identifier meanwhile: this one never gets a CONNACK.
    std::unique_ptr<TakeoverRequest> next = std::move(s->chained_takeover);
    on_takeover_request(std::move(next));
    return;
  }
  if (c == nullptr) {
    connection_lost(*s);  // the connection closed while waiting
    return;
  }
  finish_connect(*c, resume);
}

std::unique_ptr<SessionState> Broker::export_state(Session& s) {
  auto state = std::make_unique<SessionState>();
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

void Broker::import_state(Session& s, SessionState& state) {
  const router::SessionKey key{self_, s.handle};
  for (auto& [filter, record] : state.subscriptions) {
    router::SubscriberRef ref;
    ref.shard = key.shard;
    ref.session = key.session;
    ref.options = record.options;
    ref.subscription_id = record.id;
    if (shared_.index().subscribe(filter, ref).ok()) s.subscriptions.emplace(filter, record);
  }
  for (auto& [id, entry] : state.inflight) {
    InflightEntry& added = s.inflight.add(id, std::move(entry.message));
    added.stage = entry.stage;
  }
  // Messages queued here while waiting come after the ones handed over.
  MessageQueue local = std::move(s.queue);
  s.queue = MessageQueue(QueueLimits{config_.max_queued_messages, config_.max_queued_bytes});
  for (OutboundMessage& m : state.queued) s.queue.push(std::move(m));
  while (!local.empty()) s.queue.push(local.pop_front());
  for (std::uint16_t id : state.inbound_qos2) s.inbound_qos2.add(id);
  s.packet_ids.restore(state.last_packet_id);
}

}  // namespace rmq::broker
