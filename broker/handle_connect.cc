// CONNECT (MQTT 5.0 3.1, 3.1.1 3.1): authentication, client identifier and keep alive rules,
// the client's limits, the will, and the session: a new one, or the previous owner's handed over
// through its shard's mailbox (takeover.cc) before CONNACK is sent.
//
// A password check that needs hashing never runs here: the CONNECT is parked
// (ConnPhase::kAwaitVerdict; broker.cc keeps its bytes and everything after them), the auth
// worker verifies it (auth_worker.h) and posts the verdict back; an accepted CONNECT is then
// decoded again from the kept bytes and goes on as if it had just arrived.
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"
#include "tls/tls.h"

namespace rmq::broker {

using codec::PropertyId;

namespace {

BrokerError error_for(AuthVerdict verdict) {
  switch (verdict) {
    case AuthVerdict::kBadCredentials: return BrokerError::kBadCredentials;
    case AuthVerdict::kBadMethod: return BrokerError::kBadAuthenticationMethod;
    case AuthVerdict::kNotAuthorized:
    case AuthVerdict::kAccept:
    case AuthVerdict::kDeferred: break;
  }
  return BrokerError::kNotAuthorized;
}

}  // namespace

void Broker::handle_connect(ClientConn& c, const codec::ConnectView& p) {
  if (c.phase != ConnPhase::kAwaitConnect) {
    fail(c, BrokerError::kSecondConnect);
    return;
  }
  c.version = p.version;
  take_client_limits(c, p);  // first: a refusal's CONNACK must respect them too
  if (!check_connect(c, p)) return;

  const std::uint64_t generation = shared_.registry().next_generation();
  Session* created = create_session(c.client_id, generation);
  if (created == nullptr) {
    fail(c, BrokerError::kServerFull);
    return;
  }
  Session& s = *created;
  s.expiry_interval = c.session_expiry;
  if (p.will) {
    MessageFields f;
    f.topic = p.will->topic;
    f.payload = p.will->payload;
    f.qos = p.will->qos;
    f.retain = p.will->retain;
    f.properties = codec::is_v5(c.version) ? &p.will->properties : nullptr;
    f.received_at = shard_.now();
    f.publisher = Publisher{self_, s.handle};
    const std::uint32_t delay =
        codec::is_v5(c.version) ? p.will->properties.will_delay_interval : 0;
    s.will = std::make_unique<WillMessage>(Message::create(f), delay, &s);
  }
  c.session = &s;
  s.conn = &c;
  if (c.auth != nullptr) {
    c.phase = ConnPhase::kAwaitAuth;
    s.phase = SessionPhase::kAuthenticating;
    run_auth_step(c, p.properties.authentication_data);
    return;
  }
  c.phase = ConnPhase::kAwaitSession;
  open_session(c);
}

bool Broker::check_connect(ClientConn& c, const codec::ConnectView& p) {
  Credentials credentials;
  credentials.client_id = p.client_id;
  credentials.username = p.username;
  credentials.password = p.password;
  if (codec::is_v5(p.version)) {
    credentials.method = p.properties.authentication_method;
    credentials.data = p.properties.authentication_data;
  }
  credentials.transport_identity = transport_identity(c);
  const Authenticator& auth = shared_.authenticator();
  if (!credentials.method.empty()) {
    // Enhanced authentication: the exchange decides, once the rest of CONNECT is checked.
    if (!auth.supports_method(credentials.method) || !(c.auth = auth.start(credentials))) {
      fail(c, BrokerError::kBadAuthenticationMethod);
      return false;
    }
  } else if (!authenticate(c, credentials)) {
    return false;
  }
  if (p.client_id.empty()) {
    // 5.0: the server assigns one and goes on as if the client had sent it [MQTT-3.1.3-6];
    // 3.1.1: only for Clean Session 1 [MQTT-3.1.3-7], [MQTT-3.1.3-8]; 3.1 requires one.
    const bool v311 = p.version == codec::ProtocolVersion::kV311;
    if (p.version == codec::ProtocolVersion::kV31 || (v311 && !p.clean_start)) {
      fail(c, BrokerError::kClientIdRejected);
      return false;
    }
    char id[48];
    std::snprintf(id, sizeof(id), "ringmq-%u-%llu", self_,
                  static_cast<unsigned long long>(++assigned_ids_));
    c.client_id.assign(id);
    c.assigned_id = true;
  } else {
    c.client_id.assign(p.client_id);
  }
  c.keep_alive = p.keep_alive;
  // 5.0: above the maximum, or 0, gets the server's value (Server Keep Alive) [MQTT-3.2.2-21].
  // 3.1/3.1.1 cannot be told: above the maximum is refused; 0 (the client sends no pings) is
  // accepted, as Mosquitto does.
  const bool v5 = codec::is_v5(p.version);
  const std::uint16_t max = config_.max_keepalive;
  if (max != 0 && (p.keep_alive > max || (v5 && p.keep_alive == 0))) {
    if (!v5) {
      fail(c, BrokerError::kKeepAliveRejected);
      return false;
    }
    c.keep_alive = max;
    c.server_keep_alive = true;
  }
  if (credentials.username) c.username.assign(*credentials.username);
  return true;
}

// The one place the transport's verified identity is read, for --tls-identity-as-username: a
// verified client certificate's identity (CN, else the first DNS or email SAN), else the PSK
// identity; empty on a plain connection or a TLS one with neither.
std::string_view Broker::transport_identity(const ClientConn& c) const {
  const tls::TlsPeer* peer = shard_.tls_peer(c.id);
  if (peer == nullptr) return {};
  return !peer->cert_identity.empty() ? std::string_view(peer->cert_identity)
                                      : std::string_view(peer->psk_identity);
}

bool Broker::authenticate(ClientConn& c, Credentials& credentials) {
  if (c.password_verified) return true;  // the auth worker accepted this CONNECT
  if (config_.identity_as_username) {
    // Mosquitto's use_identity_as_username: the CONNECT's user name and password are ignored.
    credentials.password.reset();
    if (!credentials.transport_identity.empty()) {
      credentials.username = credentials.transport_identity;
      return true;
    }
    credentials.username.reset();
    if (config_.allow_anonymous) return true;
    refuse_credentials(c, credentials.client_id, {}, AuthVerdict::kBadCredentials);
    return false;
  }
  if (!credentials.username && !config_.allow_anonymous) {
    refuse_credentials(c, credentials.client_id, {}, AuthVerdict::kNotAuthorized);
    return false;
  }
  const Authenticator& auth = shared_.authenticator();
  AuthVerdict verdict = auth.authenticate(credentials);
  if (verdict == AuthVerdict::kDeferred) {
    if (park_connect(c, credentials)) return false;
    // No worker thread to be had: verify here, once, rather than refuse.
    verdict = auth.verify(OwnedCredentials::copy(credentials));
  }
  if (verdict == AuthVerdict::kAccept) return true;
  refuse_credentials(c, credentials.client_id, credentials.username, verdict);
  return false;
}

bool Broker::park_connect(ClientConn& c, const Credentials& credentials) {
  auto request = std::make_unique<AuthRequest>();
  request->conn = c.id;
  request->shard = self_;
  request->authenticator = &shared_.authenticator();
  request->credentials = OwnedCredentials::copy(credentials);
  // The connect timeout started earlier: a request this old belongs to a closed connection.
  request->deadline = std::chrono::steady_clock::now() + config_.connect_timeout;
  if (shared_.auth_worker().submit(std::move(request)) != nullptr) return false;
  c.phase = ConnPhase::kAwaitVerdict;
  stats_.auth_deferred.add();
  return true;
}

void Broker::on_auth_verdict(std::unique_ptr<AuthRequest> request) {
  ClientConn* c = conn_of(request->conn);
  if (c == nullptr || c->phase != ConnPhase::kAwaitVerdict) return;  // closed meanwhile
  c->phase = ConnPhase::kAwaitConnect;
  if (request->verdict == AuthVerdict::kAccept) {
    c->password_verified = true;
    replay_held(*c);  // the CONNECT again, then whatever followed it
    return;
  }
  const OwnedCredentials& credentials = request->credentials;
  std::optional<std::string_view> username;
  if (credentials.username) username = *credentials.username;
  refuse_credentials(*c, credentials.client_id, username, request->verdict);
}

void Broker::refuse_credentials(ClientConn& c, std::string_view client_id,
                                std::optional<std::string_view> username, AuthVerdict verdict) {
  c.client_id.assign(client_id);
  const char* why = "not authorized";
  if (verdict == AuthVerdict::kBadCredentials) {
    stats_.auth_failures.add();
    why = username ? "bad user name or password" : "no verified identity to use as user name";
  } else if (verdict == AuthVerdict::kNotAuthorized && !username) {
    stats_.anonymous_refused.add();
    why = "anonymous clients are not allowed";
  }
  // Never the password.
  const std::string_view user = username.value_or("");
  RMQ_LOG_INFO("authentication failed client=%.*s user=%.*s addr=%s proto=%s shard=%u: %s",
               static_cast<int>(client_id.size()), client_id.data(), static_cast<int>(user.size()),
               user.data(), c.address.c_str(), version_name(c.version), self_, why);
  fail(c, error_for(verdict));
}

void Broker::take_client_limits(ClientConn& c, const codec::ConnectView& p) {
  c.clean_start = p.clean_start;
  if (!codec::is_v5(p.version)) {
    c.session_expiry = p.clean_start ? 0 : config_.v311_session_expiry;
    return;
  }
  const codec::Properties& props = p.properties;
  c.session_expiry = props.session_expiry_interval;
  c.receive_maximum = props.receive_maximum;
  c.maximum_packet_size = props.maximum_packet_size;
  c.request_problem_information = props.request_problem_information != 0;
  c.out_aliases = OutboundAliases(props.topic_alias_maximum);
  c.in_aliases = InboundAliases(config_.topic_alias_maximum);
  c.auth_method.assign(props.authentication_method);
}

// Claims the client identifier. With no previous owner the session is new and CONNACK goes out
// now; otherwise the previous owner's shard is asked to close its connection and hand the session
// over, and finish_connect runs when it answers.
void Broker::open_session(ClientConn& c) {
  Session& s = *c.session;
  const std::optional<RegistryEntry> previous =
      shared_.registry().claim(c.client_id, RegistryEntry{self_, s.handle, s.generation});
  if (!previous) {
    s.phase = SessionPhase::kActive;
    log_session_open(s, 0);
    finish_connect(c, false);
    return;
  }
  // A new generation of the client's session: fresh (Clean Start 1), or continuing the previous
  // owner's state, which the log gets once it arrives (on_takeover_reply).
  log_session_open(s, c.clean_start ? 0 : persist::kOpenContinues);
  auto request = std::make_unique<TakeoverRequest>();
  request->client_id = c.client_id;
  request->old_session = previous->session;
  request->old_generation = previous->generation;
  request->new_shard = self_;
  request->new_session = s.handle;
  request->new_generation = s.generation;
  request->wants_state = !c.clean_start;
  engine::MailboxMessage message;
  message.type = static_cast<std::uint16_t>(MailType::kTakeoverRequest);
  message.ptr = request.release();
  post(previous->shard, message, /*droppable=*/false);
}

void Broker::finish_connect(ClientConn& c, bool session_present) {
  Session& s = *c.session;
  c.phase = ConnPhase::kConnected;
  c.connacked = true;
  s.inflight.set_capacity(std::min<std::uint16_t>(c.receive_maximum, config_.max_inflight));
  send_connack(c, session_present);
  stats_.connects.add();
  stats_.clients_connected.add(1);
  if (c.keep_alive != 0) {
    shard_.arm_timer(c.timer, std::chrono::milliseconds(std::uint64_t{c.keep_alive} * 1500));
  } else {
    shard_.cancel_timer(c.timer);
  }
  RMQ_LOG_INFO(
      "connect client=%s addr=%s proto=%s shard=%u clean_start=%d session_present=%d "
      "keepalive=%u user=%s",
      c.client_id.c_str(), c.address.c_str(), version_name(c.version), self_, c.clean_start ? 1 : 0,
      session_present ? 1 : 0, c.keep_alive, c.username.empty() ? "-" : c.username.c_str());
  resume(s);
  if (c.phase == ConnPhase::kConnected) replay_held(c);
}

void Broker::send_connack(ClientConn& c, bool session_present) {
  codec::ConnackView ack;
  ack.session_present = session_present;
  ack.reason_code = 0;
  if (codec::is_v5(c.version)) {
    codec::Properties& props = ack.properties;
    props.receive_maximum = config_.max_inflight;
    props.mark(PropertyId::kReceiveMaximum);
    props.maximum_packet_size = config_.max_packet_size;
    props.mark(PropertyId::kMaximumPacketSize);
    props.topic_alias_maximum = config_.topic_alias_maximum;
    if (config_.topic_alias_maximum > 0) props.mark(PropertyId::kTopicAliasMaximum);
    props.mark(PropertyId::kRetainAvailable);
    props.mark(PropertyId::kWildcardSubscriptionAvailable);
    props.mark(PropertyId::kSubscriptionIdentifierAvailable);
    props.mark(PropertyId::kSharedSubscriptionAvailable);
    if (c.assigned_id) {
      props.assigned_client_identifier = c.client_id;
      props.mark(PropertyId::kAssignedClientIdentifier);
    }
    if (c.server_keep_alive) {
      props.server_keep_alive = c.keep_alive;
      props.mark(PropertyId::kServerKeepAlive);
    }
    if (!c.auth_method.empty()) {  // enhanced authentication succeeded [MQTT-4.12.0-5]
      props.authentication_method = c.auth_method;
      props.mark(PropertyId::kAuthenticationMethod);
      if (!c.auth_reply.empty()) {
        props.authentication_data = c.auth_reply;
        props.mark(PropertyId::kAuthenticationData);
      }
    }
  }
  send(c, encode_connack(ack, c.version));
}

}  // namespace rmq::broker
