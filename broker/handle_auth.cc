// AUTH (MQTT 5.0 3.15, 4.12): enhanced authentication, run by the Authenticator's AuthExchange.
//
// A CONNECT naming a method the authenticator supports starts an exchange (handle_connect.cc);
// while it runs (ConnPhase::kAwaitAuth) the client may send only AUTH 0x18 with the same method,
// or DISCONNECT. Success goes on with the CONNECT (session, CONNACK carrying the method and the
// last data); failure refuses it with CONNACK 0x87. A connected client re-authenticates with
// AUTH 0x19: success answers AUTH 0x00, failure disconnects with 0x87. A connection that named no
// method may not send AUTH at all [MQTT-4.12.0-6].
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

using codec::ReasonCode;

void Broker::handle_auth(ClientConn& c, const codec::AuthView& p) {
  if (c.auth_method.empty()) {
    fail(c, BrokerError::kAuthWithoutMethod);
    return;
  }
  if (p.properties.authentication_method != c.auth_method) {
    fail(c, BrokerError::kAuthMethodChanged);  // [MQTT-4.12.0-5]
    return;
  }
  const bool continues = p.reason_code == ReasonCode::kContinueAuthentication && c.auth != nullptr;
  const bool reauthenticates =
      p.reason_code == ReasonCode::kReAuthenticate && c.phase == ConnPhase::kConnected;
  if (reauthenticates) {
    Credentials credentials;
    credentials.client_id = c.client_id;
    credentials.username = c.username;
    credentials.method = c.auth_method;
    credentials.data = p.properties.authentication_data;
    c.auth = shared_.authenticator().start(credentials);
  }
  if (!(continues || reauthenticates) || c.auth == nullptr) {
    fail(c, BrokerError::kUnexpectedAuth);
    return;
  }
  run_auth_step(c, p.properties.authentication_data);
}

void Broker::run_auth_step(ClientConn& c, codec::BinaryView client_data) {
  c.auth_reply.clear();
  const AuthStep step = c.auth->step(client_data, c.auth_reply);
  if (step == AuthStep::kFail) {
    c.auth.reset();
    fail(c, BrokerError::kNotAuthorized);
    return;
  }
  if (step == AuthStep::kContinue || c.phase == ConnPhase::kConnected) {
    codec::AuthView reply;
    reply.reason_code =
        step == AuthStep::kContinue ? ReasonCode::kContinueAuthentication : ReasonCode::kSuccess;
    reply.properties.authentication_method = c.auth_method;
    reply.properties.mark(codec::PropertyId::kAuthenticationMethod);
    if (!c.auth_reply.empty()) {
      reply.properties.authentication_data = c.auth_reply;
      reply.properties.mark(codec::PropertyId::kAuthenticationData);
    }
    send(c, encode_auth(reply));
    if (step == AuthStep::kSuccess) c.auth.reset();
    return;
  }
  c.auth.reset();  // authenticated: the CONNECT goes on
  c.phase = ConnPhase::kAwaitSession;
  c.session->phase = SessionPhase::kAwaitingState;
  open_session(c);
}

}  // namespace rmq::broker
