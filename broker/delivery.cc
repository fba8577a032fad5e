// Delivering a message to the sessions of this shard (ARCHITECTURE.md section 3, step 7): QoS 0
// copies that look alike are encoded once per wire layout and the same bytes are queued to every
// such subscriber; QoS 1/2 copies get a packet identifier each, enter the session's inflight
// window while it has room and wait in the session's queue otherwise.
#include <algorithm>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

using codec::QoS;

bool Broker::can_receive(const Session& s) const {
  return s.conn != nullptr && s.conn->phase == ConnPhase::kConnected;
}

// Delivers, and under --durability sync answers the shard that routed the batch once the records
// written for it are durable (durable_acks.cc).
void Broker::deliver_batch(const Message& message, const DeliveryBatch& batch) {
  const std::uint32_t relay = begin_relay(batch.ack);
  const std::uint64_t start = log_ != nullptr ? log_->end_position() : 0;
  const std::uint32_t outer = current_ack_;
  const bool outer_touched = chunk_touched_;
  if (relay != 0) {
    current_ack_ = relay;
    chunk_touched_ = false;
  }
  logged_block_ = nullptr;
  deliver_each(message, batch);
  logged_block_ = nullptr;
  current_ack_ = outer;
  if (relay != 0) {
    release_hold(relay, start);
    chunk_touched_ = outer_touched;
  }
}

void Broker::deliver_each(const Message& message, const DeliveryBatch& batch) {
  const MonoTime now = shard_.turn_time();
  if (message.expired(now)) {
    stats_.dropped_expired.add(batch.deliveries.size());
    return;
  }
  // QoS 0 copies with nothing per connection in them: one encoding per [5.0?][RETAIN]; the 3.1.1
  // one without RETAIN is already in the message's block.
  SharedBytes plain[2][2];
  const AclAccess* acl = shared_.acl();
  for (const router::Delivery& d : batch.deliveries) {
    Session* s = find_session(d.session);
    if (s == nullptr) {
      forward_moved(message, d, batch.ids_of(d));  // else it ended while the message was on its way
      continue;
    }
    // Read access per delivery: a wildcard or shared subscription may cover denied topics.
    if (acl != nullptr && !session_acl(*acl, *s).may_read(message.topic())) {
      stats_.acl_denied_delivery.add();
      continue;
    }
    const QoS qos = std::min(message.qos(), d.max_qos);
    const bool retain = d.retain_as_published && message.retain();
    const std::span<const std::uint32_t> ids = batch.ids_of(d);
    if (qos != QoS::kAtMostOnce) {
      deliver(*s, OutboundMessage{message.share(), qos, retain, {ids.begin(), ids.end()}});
      continue;
    }
    if (!can_receive(*s)) continue;  // QoS 0 is not kept for offline sessions
    ClientConn& c = *s->conn;
    const bool v5 = codec::is_v5(c.version);
    if (v5 && (!ids.empty() || c.out_aliases.maximum() != 0)) {
      send_qos0(c, Qos0Copy{message, retain, ids}, {});
      continue;
    }
    SharedBytes& bytes = plain[v5 ? 1 : 0][retain ? 1 : 0];
    if (bytes.empty() && !v5 && !retain) bytes = message.v311_qos0_packet();
    if (bytes.empty()) {
      PublishLayout layout;
      layout.version = v5 ? codec::ProtocolVersion::kV5 : codec::ProtocolVersion::kV311;
      layout.retain = retain;
      bytes = encode_publish(message, layout, now, 0);
      if (bytes.empty()) {
        stats_.dropped_too_large.add();
        continue;
      }
    }
    send_qos0(c, Qos0Copy{message, retain, {}}, bytes.share());
  }
}

void Broker::deliver(Session& s, OutboundMessage m) {
  if (m.qos == QoS::kAtMostOnce) {
    if (can_receive(s)) send_qos0(*s.conn, Qos0Copy{m.message, m.retain, m.subscription_ids}, {});
    return;
  }
  log_enqueue(s, m);  // a persistent session's copy: Message (once) and Enqueue records
  if (can_receive(s) && s.queue.empty() && !s.inflight.full()) {
    send_inflight(s, *s.conn, std::move(m));
    update_presence(s);
    return;
  }
  const std::uint64_t log_id = m.log_id;
  if (s.queue.push(std::move(m))) {
    update_presence(s);
    return;
  }
  log_ack(s, log_id, 0);
  stats_.dropped_queue_full.add();
  if (s.conn != nullptr && s.conn->phase == ConnPhase::kConnected) note_backlog(*s.conn, true);
}

// Sends a QoS 0 copy: `encoded` when the caller already has the bytes, else `copy` encoded for
// `c`. Dropped when the connection's send queue is over its budget (slow subscriber).
void Broker::send_qos0(ClientConn& c, const Qos0Copy& copy, SharedBytes encoded) {
  if (shard_.queued_bytes(c.id) > config_.send_budget_bytes) {
    stats_.dropped_qos0_slow.add();
    note_backlog(c, true);
    return;
  }
  if (encoded.empty()) {
    PublishLayout layout;
    layout.retain = copy.retain;
    layout.subscription_ids = copy.subscription_ids;
    encoded = encode_for(c, copy.message, layout);
  } else if (c.maximum_packet_size != 0 && encoded.size() > c.maximum_packet_size) {
    encoded.release();
  }
  if (encoded.empty()) {
    stats_.dropped_too_large.add();
    return;
  }
  if (send(c, std::move(encoded))) stats_.messages_sent.add();
  note_backlog(c, false);
}

void Broker::note_backlog(ClientConn& c, bool dropped) {
  if (!dropped) {
    c.lagging_since.reset();
    return;
  }
  const MonoTime now = shard_.now();
  if (!c.lagging_since) {
    c.lagging_since = now;
    return;
  }
  if (config_.slow_subscriber_timeout_s == 0 ||
      now - *c.lagging_since < std::chrono::seconds(config_.slow_subscriber_timeout_s)) {
    return;
  }
  stats_.slow_disconnects.add();
  RMQ_LOG_WARN("client %s (%s): dropping messages for over %u s; disconnecting",
               c.client_id.c_str(), c.address.c_str(), config_.slow_subscriber_timeout_s);
  // Abort: a DISCONNECT would only queue behind what the client is not reading.
  close(c, error_info(BrokerError::kSlowConsumer).what.data(), engine::CloseMode::kAbort);
}

// Sends a QoS 1/2 copy under a new packet identifier and keeps it inflight. A copy too large for
// the client is dropped as if acknowledged [MQTT-3.1.2-25].
bool Broker::send_inflight(Session& s, ClientConn& c, OutboundMessage m) {
  const std::uint16_t id =
      s.packet_ids.next([&](std::uint16_t v) { return s.inflight.contains(v); });
  if (id == 0) return false;
  SharedBytes bytes = encode_for(c, m, id, false);
  if (bytes.empty()) {
    log_ack(s, m.log_id, 0);
    stats_.dropped_too_large.add();
    return true;
  }
  log_sent(s, m.log_id, id);
  s.inflight.add(id, std::move(m));
  if (send(c, std::move(bytes))) stats_.messages_sent.add();
  note_backlog(c, false);
  return true;
}

void Broker::pump_queue(Session& s) {
  const MonoTime now = shard_.turn_time();
  while (can_receive(s) && !s.queue.empty() && !s.inflight.full()) {
    OutboundMessage m = s.queue.pop_front();
    if (m.message.expired(now)) {
      log_ack(s, m.log_id, 0);
      stats_.dropped_expired.add();
      continue;
    }
    if (m.qos == QoS::kAtMostOnce) {
      send_qos0(*s.conn, Qos0Copy{m.message, m.retain, m.subscription_ids}, {});
    } else if (!send_inflight(s, *s.conn, std::move(m))) {
      break;
    }
  }
  update_presence(s);
}

// After every CONNACK (new or resumed session): PUBLISH (DUP set) and PUBREL for every
// unacknowledged flow, in their original order [MQTT-4.4.0-1], then what was queued.
void Broker::resume(Session& s) {
  // Every connection passes here once, after CONNACK: the session's ACL takes its identity now.
  if (shared_.acl() != nullptr) (void)session_acl(*shared_.acl(), s);
  if (!can_receive(s)) return;
  ClientConn& c = *s.conn;
  for (const std::uint16_t id : s.inflight.ids_in_send_order()) {
    InflightEntry* entry = s.inflight.find(id);
    if (entry->stage == InflightStage::kAwaitPubcomp) {
      send(c, encode_ack(codec::PacketType::kPubrel, id, codec::ReasonCode::kSuccess, c.version));
      continue;
    }
    SharedBytes bytes = encode_for(c, entry->message, id, /*dup=*/true);
    if (bytes.empty()) {
      log_ack(s, entry->message.log_id, id);
      stats_.dropped_too_large.add();
      s.inflight.erase(id);
      continue;
    }
    send(c, std::move(bytes));
  }
  pump_queue(s);
}

SharedBytes Broker::encode_for(ClientConn& c, const OutboundMessage& m, std::uint16_t packet_id,
                               bool dup) {
  PublishLayout layout;
  layout.qos = m.qos;
  layout.retain = m.retain;
  layout.dup = dup;
  layout.packet_id = packet_id;
  layout.subscription_ids = m.subscription_ids;
  return encode_for(c, m.message, layout);
}

SharedBytes Broker::encode_for(ClientConn& c, const Message& message, PublishLayout layout) {
  if (!codec::is_v5(c.version)) {
    layout.version = codec::ProtocolVersion::kV311;
    layout.subscription_ids = {};
    return encode_publish(message, layout, shard_.turn_time(), 0);
  }
  layout.version = codec::ProtocolVersion::kV5;
  const OutboundAliases::Choice alias = c.out_aliases.choose(message.topic());
  layout.topic_alias = alias.alias;
  layout.omit_topic = alias.omit_topic;
  SharedBytes bytes = encode_publish(message, layout, shard_.turn_time(), c.maximum_packet_size);
  if (!bytes.empty()) c.out_aliases.commit(message.topic(), alias);
  return bytes;
}

}  // namespace rmq::broker
