// DISCONNECT from a client (MQTT 5.0 3.14): the will is dropped on reason 0x00 and kept for any
// other (0x04 asks for it) [MQTT-3.14.4-3]; a 5.0 client may change its Session Expiry Interval,
// but not from 0 to non-zero [MQTT-3.14.2-2].
#include "broker/broker.h"

namespace rmq::broker {

void Broker::handle_disconnect(ClientConn& c, const codec::DisconnectView& p) {
  Session& s = *c.session;
  if (codec::is_v5(c.version)) {
    if (p.properties.has(codec::PropertyId::kSessionExpiryInterval)) {
      if (c.session_expiry == 0 && p.properties.session_expiry_interval != 0) {
        fail(c, BrokerError::kSessionExpiryAfterZero);
        return;
      }
      const bool changed = s.expiry_interval != p.properties.session_expiry_interval;
      s.expiry_interval = p.properties.session_expiry_interval;
      // 0 ends the session when the connection closes (SessionEnd then); else the new expiry.
      if (changed && s.expiry_interval != 0 && logs(s)) log_session_open(s, 0);
    }
    c.send_will = p.reason_code != codec::ReasonCode::kSuccess;
  } else {
    c.send_will = false;
  }
  close(c, c.send_will ? "client DISCONNECT with will" : "client DISCONNECT");
}

}  // namespace rmq::broker
