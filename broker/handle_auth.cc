// AUTH (MQTT 5.0 3.15, 4.12). Enhanced authentication needs an Authentication Method the
// Authenticator supports; a CONNECT naming an unsupported one was refused with 0x8C, so an AUTH
// here comes from a connection that named none: a Protocol Error [MQTT-4.12.0-6]. Methods, when
// an authenticator offers them, continue the exchange here.
#include "broker/broker.h"

namespace rmq::broker {

void Broker::handle_auth(ClientConn& c, const codec::AuthView& p) {
  (void)p;
  if (c.auth_method.empty() || !shared_.authenticator().supports_method(c.auth_method)) {
    fail(c, BrokerError::kAuthWithoutMethod);
    return;
  }
  fail(c, BrokerError::kBadAuthenticationMethod);
}

}  // namespace rmq::broker
