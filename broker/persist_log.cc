// What the broker writes to its shard's write-ahead log (durable_log.h, persist/records_schema.h):
// persistent sessions (Session::durable) and the retained messages whose topics this shard owns
// (persist::retained_owner). Each method writes the records of one state change; none waits.
#include <chrono>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/persist/records_schema.h"
#include "router/retained_message.h"

namespace rmq::broker {

namespace {

std::uint8_t protocol_of(const Session& s) {
  if (s.conn == nullptr) return 5;
  return static_cast<std::uint8_t>(s.conn->version);
}

}  // namespace

std::uint8_t options_byte(const codec::SubscriptionOptions& o) {
  std::uint8_t b = static_cast<std::uint8_t>(o.max_qos);
  if (o.no_local) b |= 0x04u;
  if (o.retain_as_published) b |= 0x08u;
  b |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(o.retain_handling) << 4);
  return b;
}

codec::SubscriptionOptions options_from_byte(std::uint8_t b) {
  codec::SubscriptionOptions o;
  o.max_qos = static_cast<codec::QoS>(b & 0x03u);
  o.no_local = (b & 0x04u) != 0;
  o.retain_as_published = (b & 0x08u) != 0;
  o.retain_handling = static_cast<codec::RetainHandling>((b >> 4) & 0x03u);
  return o;
}

namespace {

persist::SubscriptionIds ids_of(const OutboundMessage& m) {
  return persist::SubscriptionIds(std::span<const std::uint32_t>(m.subscription_ids));
}

}  // namespace

std::uint64_t Broker::wall_ms_of(MonoTime t) const {
  const std::uint64_t now = persist::wall_now_ms();
  const auto age = std::chrono::duration_cast<std::chrono::milliseconds>(shard_.now() - t).count();
  return age > 0 && static_cast<std::uint64_t>(age) < now ? now - static_cast<std::uint64_t>(age)
                                                          : now;
}

std::uint64_t Broker::log_message(const Message& m) {
  const std::uint64_t id = log_->next_message_id();
  persist::MessageRec r;
  r.message_id = id;
  r.topic = m.topic();
  r.payload = m.payload();
  r.qos = static_cast<std::uint8_t>(m.qos());
  r.retain = m.retain() ? 1 : 0;
  r.properties = m.encoded_properties();
  r.received_wall_ms = wall_ms_of(m.received_at());
  if (const auto expiry = m.expiry_interval()) {
    r.expiry_wall_ms = r.received_wall_ms + std::uint64_t{*expiry} * 1000;
  }
  log_->write(r);
  return id;
}

void Broker::log_session_open(Session& s, std::uint8_t flags) {
  if (log_ == nullptr || s.expiry_interval == 0) return;
  s.durable = true;
  log_->write(persist::SessionOpen{s.client_id.view(), s.expiry_interval, protocol_of(s), flags,
                                   s.generation});
  if (s.will) log_will(s);
}

void Broker::log_session_end(Session& s) {
  if (!logs(s)) return;
  log_->write(persist::SessionEnd{s.client_id.view(), s.generation});
  s.durable = false;
}

void Broker::log_session_offline(Session& s) {
  if (logs(s)) log_->write(persist::SessionOffline{s.client_id.view(), persist::wall_now_ms()});
}

void Broker::log_will(Session& s) {
  if (!logs(s)) return;
  if (!s.will) {
    log_->write(persist::WillClear{s.client_id.view()});
    return;
  }
  const Message& w = s.will->message;
  log_->write(persist::WillSet{
      s.client_id.view(), w.topic(), w.payload(), static_cast<std::uint8_t>(w.qos()),
      static_cast<std::uint8_t>(w.retain() ? 1 : 0), w.encoded_properties(), s.will->delay_s});
}

void Broker::log_subscribe(Session& s, std::string_view filter, const SubscriptionRecord& r) {
  if (!logs(s)) return;
  log_->write(persist::Subscribe{s.client_id.view(), filter, options_byte(r.options), r.id});
}

void Broker::log_unsubscribe(Session& s, std::string_view filter) {
  if (logs(s)) log_->write(persist::Unsubscribe{s.client_id.view(), filter});
}

// A QoS 1/2 copy entering the session's queue or inflight window. The Message record is written
// once per message per deliver_batch (logged_block_), then one Enqueue per session.
void Broker::log_enqueue(Session& s, OutboundMessage& m) {
  if (!logs(s) || m.qos == codec::QoS::kAtMostOnce) return;
  if (&s == chunked_session()) {
    // Its snapshot is being written in slices: the copy joins the queue the snapshot walks, and
    // what waits for it waits for the snapshot's commit (compaction.cc).
    chunk_touched_ = true;
    return;
  }
  const void* block = m.message.bytes().data();
  if (block != logged_block_) {
    logged_id_ = log_message(m.message);
    logged_block_ = block;
  }
  m.log_id = logged_id_;
  log_->write(persist::Enqueue{s.client_id.view(), m.log_id, static_cast<std::uint8_t>(m.qos),
                               static_cast<std::uint8_t>(m.retain ? 1 : 0), ids_of(m)});
}

void Broker::log_sent(Session& s, std::uint64_t log_id, std::uint16_t packet_id) {
  if (logs(s) && log_id != 0) log_->write(persist::Sent{s.client_id.view(), log_id, packet_id});
}

void Broker::log_ack(Session& s, std::uint64_t log_id, std::uint16_t packet_id) {
  if (logs(s) && log_id != 0) log_->write(persist::Ack{s.client_id.view(), log_id, packet_id});
}

void Broker::log_pubrec(Session& s, std::uint16_t packet_id) {
  if (logs(s)) log_->write(persist::PubrecReceived{s.client_id.view(), packet_id});
}

void Broker::log_inbound(Session& s, std::uint16_t packet_id, bool released) {
  if (!logs(s)) return;
  if (released) {
    log_->write(persist::InboundReleased{s.client_id.view(), packet_id});
  } else {
    log_->write(persist::InboundQos2{s.client_id.view(), packet_id});
  }
}

// The whole session as a reset snapshot: after a takeover imported its state, and in compaction.
// Every entry gets a Message record of its own (ids are this shard's). A session still waiting for
// its previous owner's state stays marked as continuing it. Replay applies the snapshot once its
// commit record is read (persist/recovered_state.h): a snapshot cut short changes nothing.
void Broker::log_session_snapshot(Session& s) {
  if (log_ == nullptr || s.expiry_interval == 0) return;
  log_snapshot_head(s);
  s.queue.for_each([&](OutboundMessage& m) { log_snapshot_entry(s, m); });
  log_snapshot_tail(s);
}

// The snapshot up to the queue: SessionOpen (reset), will, subscriptions, inflight flows, inbound
// QoS 2 packet ids.
void Broker::log_snapshot_head(Session& s) {
  const bool awaiting = s.phase == SessionPhase::kAwaitingState;
  log_session_open(
      s, static_cast<std::uint8_t>(persist::kOpenReset | (awaiting ? persist::kOpenContinues : 0)));
  for (const auto& [filter, record] : s.subscriptions) log_subscribe(s, filter, record);
  const std::string_view client = s.client_id.view();
  for (const std::uint16_t id : s.inflight.ids_in_send_order()) {
    InflightEntry* e = s.inflight.find(id);
    OutboundMessage& m = e->message;
    if (m.message.empty()) {  // awaiting PUBCOMP: the message was released; keep the flow
      MessageFields released;
      released.qos = m.qos;
      m.log_id = log_message(Message::create(released));
    } else {
      m.log_id = log_message(m.message);
    }
    log_->write(persist::Enqueue{client, m.log_id, static_cast<std::uint8_t>(m.qos),
                                 static_cast<std::uint8_t>(m.retain ? 1 : 0), ids_of(m)});
    log_->write(persist::Sent{client, m.log_id, id});
    if (e->stage == InflightStage::kAwaitPubcomp) log_->write(persist::PubrecReceived{client, id});
  }
  for (const std::uint16_t id : s.inbound_qos2.ids()) {
    log_->write(persist::InboundQos2{client, id});
  }
}

void Broker::log_snapshot_entry(Session& s, OutboundMessage& m) {
  if (m.qos == codec::QoS::kAtMostOnce) return;
  m.log_id = log_message(m.message);
  log_->write(persist::Enqueue{s.client_id.view(), m.log_id, static_cast<std::uint8_t>(m.qos),
                               static_cast<std::uint8_t>(m.retain ? 1 : 0), ids_of(m)});
}

void Broker::log_snapshot_tail(Session& s) {
  log_->write(persist::SessionOpen{s.client_id.view(), s.expiry_interval, protocol_of(s),
                                   persist::kOpenCommit, s.generation});
  if (s.conn == nullptr) log_session_offline(s);
}

// After a retained message was stored (or deleted): the topic's owner shard logs the topic's
// current state. In sync mode a publisher's acknowledgement waits for it (current_ack_).
void Broker::note_retained(const Message& message) {
  if (log_ == nullptr || BrokerShared::is_sys_topic(message.topic())) return;
  const std::uint32_t owner = persist::retained_owner(message.topic(), shared_.shard_count());
  if (owner == self_) {
    log_retained_now(message.topic());
    return;
  }
  engine::MailboxMessage mail;
  mail.type = static_cast<std::uint16_t>(MailType::kRetainLog);
  mail.u64 = attach_ack();
  mail.bytes = message.share().take_bytes().into_raw();
  post(owner, mail, /*droppable=*/false);
}

// Logs what the retained store holds for `topic` now: whichever set arrived last, the log's last
// record for the topic is the store's state after it.
void Broker::log_retained_now(std::string_view topic) {
  const router::RetainedPtr r = shared_.retained(topic).find(topic, shard_.now());
  if (!r) {
    log_->write(persist::RetainedClear{topic});
    return;
  }
  const std::uint64_t id = log_message(Message::create(retained_fields(*r)));
  log_->write(persist::RetainedSet{topic, id});
}

}  // namespace rmq::broker
