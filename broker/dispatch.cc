// The one dispatch switch: every decoded packet from a client goes to the handler of its type.
#include "broker/broker.h"

namespace rmq::broker {

using codec::PacketType;

void Broker::dispatch(ClientConn& c, const codec::PacketView& packet) {
  if (c.phase == ConnPhase::kAwaitConnect && packet.type != PacketType::kConnect) {
    fail(c, BrokerError::kFirstPacketNotConnect);
    return;
  }
  if (c.phase == ConnPhase::kAwaitAuth && packet.type != PacketType::kAuth &&
      packet.type != PacketType::kDisconnect) {
    fail(c, BrokerError::kPacketDuringAuth);
    return;
  }
  c.last_packet = shard_.turn_time();  // read once per loop turn: no clock call per packet
  switch (packet.type) {
    case PacketType::kConnect: handle_connect(c, packet.as<codec::ConnectView>()); return;
    case PacketType::kPublish: handle_publish(c, packet.as<codec::PublishView>()); return;
    case PacketType::kPuback: handle_puback(c, packet.as<codec::AckView>()); return;
    case PacketType::kPubrec: handle_pubrec(c, packet.as<codec::AckView>()); return;
    case PacketType::kPubrel: handle_pubrel(c, packet.as<codec::AckView>()); return;
    case PacketType::kPubcomp: handle_pubcomp(c, packet.as<codec::AckView>()); return;
    case PacketType::kSubscribe: handle_subscribe(c, packet.as<codec::SubscribeView>()); return;
    case PacketType::kUnsubscribe:
      handle_unsubscribe(c, packet.as<codec::UnsubscribeView>());
      return;
    case PacketType::kPingreq: handle_pingreq(c); return;
    case PacketType::kDisconnect: handle_disconnect(c, packet.as<codec::DisconnectView>()); return;
    case PacketType::kAuth: handle_auth(c, packet.as<codec::AuthView>()); return;
    case PacketType::kConnack:
    case PacketType::kSuback:
    case PacketType::kUnsuback:
    case PacketType::kPingresp:
    case PacketType::kReserved: fail(c, BrokerError::kServerOnlyPacket); return;
  }
  fail(c, BrokerError::kServerOnlyPacket);
}

}  // namespace rmq::broker
