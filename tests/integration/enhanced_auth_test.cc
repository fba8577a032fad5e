// Enhanced authentication (MQTT 5.0 4.12) through the Authenticator interface: an in-process
// broker (engine shards running Broker, as the binary starts them) with a challenge-response
// authenticator made for this test, driven over a real socket by RawClient.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "codec/encode.h"
#include "engine/engine.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using broker::AuthExchange;
using broker::AuthStep;
using codec::PacketType;
using codec::ReasonCode;
constexpr auto kV5 = codec::ProtocolVersion::kV5;
constexpr char kMethod[] = "TEST-CHALLENGE";

std::string text(codec::BinaryView data) { return std::string(data.begin(), data.end()); }

// Client sends "hello", server challenges "nonce-N", client must answer "N-ok".
class ChallengeExchange final : public AuthExchange {
 public:
  explicit ChallengeExchange(int nonce) : nonce_(std::to_string(nonce)) {}
  AuthStep step(codec::BinaryView client_data, std::vector<std::uint8_t>& reply) override {
    const std::string got = text(client_data);
    if (!challenged_) {
      if (got != "hello") return AuthStep::kFail;
      challenged_ = true;
      const std::string challenge = "nonce-" + nonce_;
      reply.assign(challenge.begin(), challenge.end());
      return AuthStep::kContinue;
    }
    if (got != nonce_ + "-ok") return AuthStep::kFail;
    reply.assign({'w', 'e', 'l', 'c', 'o', 'm', 'e'});
    return AuthStep::kSuccess;
  }

 private:
  std::string nonce_;
  bool challenged_ = false;
};

class ChallengeAuthenticator final : public broker::Authenticator {
 public:
  broker::AuthVerdict authenticate(const broker::Credentials&) const override {
    return broker::AuthVerdict::kAccept;
  }
  bool supports_method(std::string_view method) const override { return method == kMethod; }
  std::unique_ptr<AuthExchange> start(const broker::Credentials&) const override {
    return std::make_unique<ChallengeExchange>(7);
  }
};

class EnhancedAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(LogLevel::kWarn);
    broker::BrokerConfig config;
    config.sys_interval = 0;
    engine::EngineConfig engine_config;
    engine_config.shards = 2;
    engine_config.pin_threads = false;
    engine_config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
    shared_ = std::make_unique<broker::BrokerShared>(config, engine_config.shards);
    shared_->set_authenticator(std::make_unique<ChallengeAuthenticator>());
    auto started = engine::Engine::start(engine_config, [this](engine::Shard& shard) {
      return std::make_unique<broker::Broker>(shard, *shared_);
    });
    ASSERT_TRUE(started.ok()) << started.status().message();
    engine_ = std::move(*started);
  }
  void TearDown() override {
    if (engine_ != nullptr) {
      engine_->request_stop();
      engine_->wait();
    }
  }

  // Authentication Method and Data, as CONNECT and AUTH carry them.
  static void set_auth(codec::Properties& p, const char* method, const char* data) {
    p.authentication_method = method;
    p.mark(codec::PropertyId::kAuthenticationMethod);
    p.authentication_data = codec::BinaryView(reinterpret_cast<const std::uint8_t*>(data),
                                              std::char_traits<char>::length(data));
    p.mark(codec::PropertyId::kAuthenticationData);
  }
  static codec::ConnectView connect(const char* id, const char* data) {
    codec::ConnectView c;
    c.client_id = id;
    set_auth(c.properties, kMethod, data);
    return c;
  }
  static Bytes auth(ReasonCode code, const char* data, const char* method = kMethod) {
    codec::AuthView a;
    a.reason_code = code;
    set_auth(a.properties, method, data);
    Bytes out(codec::encoded_size(a));
    out.resize(codec::encode(a, out));
    return out;
  }

  std::unique_ptr<broker::BrokerShared> shared_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(EnhancedAuth, ChallengeResponseThenCONNACKWithTheMethodAndData) {
  RawClient raw(engine_->port(), kV5);
  const auto challenge = raw.handshake(connect("auth-ok", "hello"));
  ASSERT_TRUE(challenge);
  ASSERT_EQ(challenge->type(), PacketType::kAuth);
  const auto& a = challenge->view.as<codec::AuthView>();
  EXPECT_EQ(a.reason_code, ReasonCode::kContinueAuthentication);
  EXPECT_EQ(a.properties.authentication_method, kMethod);
  EXPECT_EQ(text(a.properties.authentication_data), "nonce-7");
  ASSERT_TRUE(raw.send(auth(ReasonCode::kContinueAuthentication, "7-ok")));
  const auto connack = raw.read();
  ASSERT_TRUE(connack && connack->type() == PacketType::kConnack);
  EXPECT_EQ(connack->connack().reason_code, 0);
  EXPECT_EQ(connack->connack().properties.authentication_method, kMethod);
  EXPECT_EQ(text(connack->connack().properties.authentication_data), "welcome");
  EXPECT_TRUE(raw.subscribe("after/auth", codec::QoS::kAtLeastOnce)) << "a working session";

  // Re-authentication on the live connection [MQTT-4.12.1-1].
  ASSERT_TRUE(raw.send(auth(ReasonCode::kReAuthenticate, "hello")));
  const auto again = raw.read();
  ASSERT_TRUE(again && again->type() == PacketType::kAuth);
  EXPECT_EQ(again->view.as<codec::AuthView>().reason_code, ReasonCode::kContinueAuthentication);
  ASSERT_TRUE(raw.send(auth(ReasonCode::kContinueAuthentication, "7-ok")));
  const auto done = raw.read();
  ASSERT_TRUE(done && done->type() == PacketType::kAuth);
  EXPECT_EQ(done->view.as<codec::AuthView>().reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(raw.subscribe("still/here", codec::QoS::kAtLeastOnce));
}

TEST_F(EnhancedAuth, WrongAnswerIsRefusedWith0x87) {
  RawClient raw(engine_->port(), kV5);
  ASSERT_TRUE(raw.handshake(connect("auth-bad", "hello")));
  ASSERT_TRUE(raw.send(auth(ReasonCode::kContinueAuthentication, "guess")));
  ASSERT_TRUE(raw.closed());
  ASSERT_TRUE(raw.last() && raw.last()->type() == PacketType::kConnack);
  EXPECT_EQ(raw.last()->connack().reason_code, 0x87);
  // The identifier was never claimed: the same id connects now.
  RawClient next(engine_->port(), kV5);
  const auto challenge = next.handshake(connect("auth-bad", "hello"));
  ASSERT_TRUE(challenge && challenge->type() == PacketType::kAuth);
}

TEST_F(EnhancedAuth, ProtocolErrorsDuringTheExchange) {
  {  // another method in AUTH [MQTT-4.12.0-5]
    RawClient raw(engine_->port(), kV5);
    ASSERT_TRUE(raw.handshake(connect("m1", "hello")));
    ASSERT_TRUE(raw.send(auth(ReasonCode::kContinueAuthentication, "7-ok", "OTHER")));
    ASSERT_TRUE(raw.closed());
    ASSERT_TRUE(raw.last());
    ASSERT_EQ(raw.last()->type(), PacketType::kConnack);
    EXPECT_EQ(raw.last()->connack().reason_code, 0x82);
  }
  {  // a PUBLISH before CONNACK: refused with CONNACK 0x82, since none was sent yet
    RawClient raw(engine_->port(), kV5);
    ASSERT_TRUE(raw.handshake(connect("m2", "hello")));
    ASSERT_TRUE(raw.send(publish_bytes("t", "x", codec::QoS::kAtMostOnce, 0, kV5)));
    ASSERT_TRUE(raw.closed());
    ASSERT_TRUE(raw.last());
    ASSERT_EQ(raw.last()->type(), PacketType::kConnack);
    EXPECT_EQ(raw.last()->connack().reason_code, 0x82);
  }
  {  // a client that named no method sends AUTH [MQTT-4.12.0-6]
    RawClient raw(engine_->port(), kV5);
    ASSERT_TRUE(raw.connect("plain"));
    ASSERT_TRUE(raw.send(auth(ReasonCode::kReAuthenticate, "hello")));
    ASSERT_TRUE(raw.closed());
    ASSERT_TRUE(raw.last() && raw.last()->type() == PacketType::kDisconnect);
    EXPECT_EQ(raw.last()->disconnect().reason_code, ReasonCode::kProtocolError);
  }
  {  // an unsupported method is refused with 0x8C
    RawClient raw(engine_->port(), kV5);
    codec::ConnectView c = connect("m3", "hello");
    c.properties.authentication_method = "SCRAM-SHA-256";
    const auto connack = raw.handshake(c);
    ASSERT_TRUE(connack && connack->type() == PacketType::kConnack);
    EXPECT_EQ(connack->connack().reason_code, 0x8C);
  }
}

}  // namespace
}  // namespace rmq::itest
