// PUBLISH from a client (MQTT 5.0 3.3, 4.3): topic alias, QoS 2 duplicate detection, ACL,
// retained store, routing, then PUBACK / PUBREC with a reason code.
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

using codec::QoS;
using codec::ReasonCode;

void Broker::handle_publish(ClientConn& c, const codec::PublishView& p) {
  stats_.messages_received.add();
  Session& s = *c.session;
  const bool v5 = codec::is_v5(c.version);
  std::string_view topic = p.topic;
  if (v5) {
    if (!p.properties.subscription_identifiers.empty()) {
      fail(c, BrokerError::kSubscriptionIdFromClient);
      return;
    }
    if (p.properties.has(codec::PropertyId::kTopicAlias)) {
      const AliasError e = c.in_aliases.resolve(p.properties.topic_alias, p.topic, &topic);
      if (e != AliasError::kNone) {
        fail(c, e == AliasError::kInvalid ? BrokerError::kTopicAliasInvalid
                                          : BrokerError::kTopicAliasUnknown);
        return;
      }
    }
  }
  if (p.qos == QoS::kExactlyOnce) {
    if (s.inbound_qos2.contains(p.packet_id)) {
      // A retransmission of a message already delivered: acknowledge, do not deliver again (under
      // --durability sync, once what is logged so far is durable).
      if (holds_acks()) {
        release_hold(hold_ack(c, codec::PacketType::kPubrec, p.packet_id),
                     log_->durable_position());
        return;
      }
      send_ack(c, codec::PacketType::kPubrec, p.packet_id, ReasonCode::kSuccess);
      return;
    }
    if (v5 && s.inbound_qos2.size() >= config_.max_inflight) {
      fail(c, BrokerError::kReceiveMaximumExceeded);
      return;
    }
  }
  // --durability sync: the acknowledgement waits for the records this message causes.
  std::uint32_t hold = 0;
  std::uint64_t start = 0;
  if (p.qos != QoS::kAtMostOnce && holds_acks()) {
    hold = hold_ack(
        c, p.qos == QoS::kAtLeastOnce ? codec::PacketType::kPuback : codec::PacketType::kPubrec,
        p.packet_id);
    start = log_->end_position();
    current_ack_ = hold;
    chunk_touched_ = false;
  }
  const ReasonCode reason = publish_message(c, s, p, topic);
  current_ack_ = 0;
  if (p.qos == QoS::kExactlyOnce && (!v5 || static_cast<std::uint8_t>(reason) < 0x80)) {
    s.inbound_qos2.add(p.packet_id);
    if (hold != 0 && logs(s) && acks_.at(hold).parts > 1) {
      // Deliveries on other shards: the packet id is logged once they are durable.
      acks_.at(hold).inbound_session = s.handle;
      acks_.at(hold).inbound_generation = s.generation;
    } else {
      log_inbound(s, p.packet_id, /*released=*/false);
    }
  }
  // 3.1.1 has no reason codes: a refused message is acknowledged as accepted, then dropped.
  if (hold != 0) {
    acks_.at(hold).reason = static_cast<std::uint8_t>(reason);
    release_hold(hold, start);
  } else if (p.qos == QoS::kAtLeastOnce) {
    send_ack(c, codec::PacketType::kPuback, p.packet_id, reason);
  } else if (p.qos == QoS::kExactlyOnce) {
    send_ack(c, codec::PacketType::kPubrec, p.packet_id, reason);
  }
}

// Access checks, the retained store and routing; the reason code for the acknowledgement.
ReasonCode Broker::publish_message(ClientConn& c, Session& s, const codec::PublishView& p,
                                   std::string_view topic) {
  // $SYS belongs to the server: clients may read it, not write it (as Mosquitto).
  bool allowed = !BrokerShared::is_sys_topic(topic) &&
                 shared_.access().can_publish(ClientInfo{c.client_id, c.username}, topic);
  if (allowed && shared_.acl() != nullptr && !session_acl(*shared_.acl(), s).may_write(topic)) {
    stats_.acl_denied_publish.add();
    allowed = false;
  }
  if (!allowed) return ReasonCode::kNotAuthorized;
  MessageFields fields;
  fields.topic = topic;
  fields.payload = p.payload;
  fields.qos = p.qos;
  fields.retain = p.retain;
  fields.properties = codec::is_v5(c.version) ? &p.properties : nullptr;
  fields.received_at = shard_.turn_time();
  fields.publisher = Publisher{self_, s.handle};
  const Message message = Message::create(fields);
  if (p.retain) {
    store_retained(message);
    note_retained(message);
  }
  return route(message) == 0 ? ReasonCode::kNoMatchingSubscribers : ReasonCode::kSuccess;
}

}  // namespace rmq::broker
