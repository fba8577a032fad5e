// Authentication and authorisation hooks. One instance of each serves every shard, so every
// method may be called from any shard thread at once: implementations are const and thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/acl_file.h"
#include "codec/properties.h"
#include "codec/types.h"

namespace rmq::broker {

struct Session;

struct ClientInfo {
  std::string_view client_id;
  std::string_view username;  // empty when none was given
};

// ACL: may this client publish to a topic, subscribe to a filter?
class AccessControl {
 public:
  virtual ~AccessControl() = default;
  virtual bool can_publish(const ClientInfo& client, std::string_view topic) const = 0;
  virtual bool can_subscribe(const ClientInfo& client, std::string_view filter) const = 0;
  // The MQTT 5.0 SUBACK code for a subscription can_subscribe() refused (3.1.1 always gets 0x80).
  virtual codec::ReasonCode subscribe_refusal() const { return codec::ReasonCode::kNotAuthorized; }
};

// Allows everything except subscribing to the filters of a deny list: a filter is refused when it
// equals an entry, or when it has no wildcard and a wildcard entry matches it.
class DenyListAccess final : public AccessControl {
 public:
  explicit DenyListAccess(std::vector<std::string> deny_subscribe)
      : deny_subscribe_(std::move(deny_subscribe)) {}
  bool can_publish(const ClientInfo&, std::string_view) const override { return true; }
  bool can_subscribe(const ClientInfo& client, std::string_view filter) const override;
  // A deny-list filter is a server policy, not a per-user authorisation: refused with 0x80
  // (Unspecified error), as the Eclipse Paho interoperability suite expects.
  codec::ReasonCode subscribe_refusal() const override {
    return codec::ReasonCode::kUnspecifiedError;
  }

 private:
  std::vector<std::string> deny_subscribe_;
};

// The ACL of --acl-file as one session sees it: built for the identity of the session's current
// connection (its client identifier and username) and rebuilt when that changes or the rules are
// reloaded. Called on the session's shard thread; cheap when nothing changed (one atomic load,
// one pointer comparison).
SessionAcl& session_acl(const AclAccess& acl, Session& s);

struct Credentials {
  std::string_view client_id;
  std::optional<std::string_view> username;
  std::optional<codec::BinaryView> password;
  std::string_view method;  // Authentication Method (5.0 enhanced authentication); may be empty
  codec::BinaryView data;   // Authentication Data
  // The identity the transport verified: a client certificate's or a PSK identity; empty for a
  // plain connection or one without a verified identity.
  std::string_view transport_identity;
};

// The parts of Credentials a deferred check needs, owned, so they can go to the auth worker.
struct OwnedCredentials {
  std::string client_id;
  std::optional<std::string> username;
  std::optional<std::vector<std::uint8_t>> password;

  static OwnedCredentials copy(const Credentials& c) {
    OwnedCredentials out;
    out.client_id.assign(c.client_id);
    if (c.username) out.username.emplace(*c.username);
    if (c.password) out.password.emplace(c.password->begin(), c.password->end());
    return out;
  }
};

enum class AuthVerdict : std::uint8_t {
  kAccept,
  kBadCredentials,  // CONNACK 0x86 / 0x04
  kNotAuthorized,   // CONNACK 0x87 / 0x05
  kBadMethod,       // CONNACK 0x8C: the method is not supported
  // The decision needs slow work (a password hash): the broker parks the CONNECT and calls
  // Authenticator::verify() on the auth worker thread.
  kDeferred,
};

enum class AuthStep : std::uint8_t {
  kSuccess,   // authenticated: CONNACK (or AUTH 0x00 on re-authentication)
  kContinue,  // send the reply in AUTH 0x18 and wait for the client's next AUTH
  kFail,      // CONNACK 0x87 (or DISCONNECT 0x87 on re-authentication)
};

// One enhanced-authentication exchange (MQTT 5.0 4.12) of one connection, from the CONNECT (or
// the client's AUTH 0x19) that starts it to success or failure. Lives on the connection's shard
// thread; not shared.
class AuthExchange {
 public:
  virtual ~AuthExchange() = default;
  // Takes the client's Authentication Data; fills `reply` with the server's (sent in the AUTH or
  // CONNACK that answers).
  virtual AuthStep step(codec::BinaryView client_data, std::vector<std::uint8_t>& reply) = 0;
};

// Decides on CONNECT, and runs enhanced-authentication exchanges for the methods it supports.
// With no methods, a CONNECT carrying an Authentication Method is refused with 0x8C
// [MQTT-4.12.0-1] and AUTH packets are protocol errors [MQTT-4.12.0-6].
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // CONNECT without an Authentication Method (username and password). Runs on a shard thread:
  // must answer fast, with kDeferred when the answer needs slow work.
  virtual AuthVerdict authenticate(const Credentials& credentials) const = 0;
  // The slow check of credentials authenticate() deferred; runs on the auth worker thread. Never
  // kDeferred.
  virtual AuthVerdict verify(const OwnedCredentials& credentials) const {
    (void)credentials;
    return AuthVerdict::kNotAuthorized;
  }
  virtual bool supports_method(std::string_view method) const = 0;
  // A new exchange for `credentials.method` (one supports_method() accepts).
  virtual std::unique_ptr<AuthExchange> start(const Credentials& credentials) const {
    (void)credentials;
    return nullptr;
  }
};

// Accepts every client that does not ask for enhanced authentication.
class AllowAnonymous final : public Authenticator {
 public:
  AuthVerdict authenticate(const Credentials& credentials) const override {
    return credentials.method.empty() ? AuthVerdict::kAccept : AuthVerdict::kBadMethod;
  }
  bool supports_method(std::string_view) const override { return false; }
};

}  // namespace rmq::broker
