// PUBACK, PUBREC, PUBREL and PUBCOMP from a client (MQTT 5.0 3.4 - 3.7, 4.3): the outgoing
// flows' state machine lives in InflightWindow; the incoming QoS 2 flow in InboundQos2.
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

using codec::PacketType;
using codec::ReasonCode;

namespace {
std::uint64_t log_id_of(Session& s, std::uint16_t packet_id, InflightStage* stage = nullptr) {
  InflightEntry* e = s.inflight.find(packet_id);
  if (e == nullptr) return 0;
  if (stage != nullptr) *stage = e->stage;
  return e->message.log_id;
}
}  // namespace

void Broker::handle_puback(ClientConn& c, const codec::AckView& p) {
  Session& s = *c.session;
  const std::uint64_t log_id = log_id_of(s, p.packet_id);
  if (s.inflight.on_puback(p.packet_id) == AckAction::kCompleted) {
    log_ack(s, log_id, p.packet_id);
    pump_queue(s);
  }
}

void Broker::handle_pubrec(ClientConn& c, const codec::AckView& p) {
  Session& s = *c.session;
  const bool failed = codec::is_v5(c.version) && static_cast<std::uint8_t>(p.reason_code) >= 0x80;
  InflightStage stage = InflightStage::kAwaitPuback;
  const std::uint64_t log_id = log_id_of(s, p.packet_id, &stage);
  switch (s.inflight.on_pubrec(p.packet_id, failed)) {
    case AckAction::kSendPubrel:
      if (stage == InflightStage::kAwaitPubrec) log_pubrec(s, p.packet_id);
      send_ack(c, PacketType::kPubrel, p.packet_id, ReasonCode::kSuccess);
      break;
    case AckAction::kNotFound:
      send_ack(c, PacketType::kPubrel, p.packet_id, ReasonCode::kPacketIdentifierNotFound);
      break;
    case AckAction::kCompleted:
      log_ack(s, log_id, p.packet_id);
      pump_queue(s);
      break;
    case AckAction::kWrongStage: break;
  }
}

void Broker::handle_pubrel(ClientConn& c, const codec::AckView& p) {
  Session& s = *c.session;
  const bool known = s.inbound_qos2.remove(p.packet_id);
  if (known) log_inbound(s, p.packet_id, /*released=*/true);
  send_ack(c, PacketType::kPubcomp, p.packet_id,
           known ? ReasonCode::kSuccess : ReasonCode::kPacketIdentifierNotFound);
}

void Broker::handle_pubcomp(ClientConn& c, const codec::AckView& p) {
  Session& s = *c.session;
  const std::uint64_t log_id = log_id_of(s, p.packet_id);
  if (s.inflight.on_pubcomp(p.packet_id) == AckAction::kCompleted) {
    log_ack(s, log_id, p.packet_id);
    pump_queue(s);
  }
}

}  // namespace rmq::broker
