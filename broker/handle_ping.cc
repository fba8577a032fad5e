// PINGREQ (MQTT 5.0 3.12): answered with PINGRESP; receiving it already reset the keep alive.
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

void Broker::handle_pingreq(ClientConn& c) { send(c, encode_pingresp()); }

}  // namespace rmq::broker
