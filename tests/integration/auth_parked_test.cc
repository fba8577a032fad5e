// The parked CONNECT: an in-process broker (engine shards running Broker, as the binary starts
// them) with a PasswordAuthenticator, driven over real sockets by RawClient. Packets sent right
// behind a CONNECT wait for its password check; a connection that closes while parked is
// forgotten; a reconnect with a verified password skips the auth worker; and the identity of the
// transport replaces the user name when --tls-identity-as-username is set.
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "broker/password_auth.h"
#include "broker/password_file.h"
#include "engine/engine.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using codec::PacketType;
constexpr auto kV5 = codec::ProtocolVersion::kV5;
constexpr auto kV311 = codec::ProtocolVersion::kV311;

codec::ConnectView login(const char* id, const char* user, const char* password) {
  codec::ConnectView c;
  c.client_id = id;
  if (user != nullptr) c.username = user;
  if (password != nullptr) c.password = broker::password_bytes(password);
  return c;
}

// Defers every user name; verify() accepts "good" once the test opens the gate.
class GatedAuthenticator final : public broker::Authenticator {
 public:
  broker::AuthVerdict authenticate(const broker::Credentials& c) const override {
    return c.username ? broker::AuthVerdict::kDeferred : broker::AuthVerdict::kAccept;
  }
  broker::AuthVerdict verify(const broker::OwnedCredentials& c) const override {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    const bool good = c.password && std::string(c.password->begin(), c.password->end()) == "good";
    return good ? broker::AuthVerdict::kAccept : broker::AuthVerdict::kBadCredentials;
  }
  bool supports_method(std::string_view) const override { return false; }
  // True once a check is blocked in verify().
  bool wait_for_check() const {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [this] { return waiting_ > 0; });
  }
  void open() const {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  mutable int waiting_ = 0;
  mutable bool open_ = false;
};

class AuthParked : public ::testing::Test {
 protected:
  // With `gate`, the broker uses a GatedAuthenticator (gate_) instead of the password file.
  void start(bool allow_anonymous, bool identity_as_username, bool gate = false,
             Duration connect_timeout = std::chrono::seconds(10)) {
    set_log_level(LogLevel::kWarn);
    char name[] = "/tmp/ringmq-parked-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = name;
    const auto hash = broker::make_password_hash(broker::password_bytes("secret"), 101);
    ASSERT_TRUE(hash.ok());
    std::ofstream(path_) << "alice:" << broker::format_password_hash(*hash) << "\n";
    std::string error;
    auto auth = broker::PasswordAuthenticator::open(path_, &error);
    ASSERT_NE(auth, nullptr) << error;
    auth_ = auth.get();
    broker::BrokerConfig config;
    config.sys_interval = 0;
    config.allow_anonymous = allow_anonymous;
    config.identity_as_username = identity_as_username;
    config.connect_timeout = connect_timeout;
    engine::EngineConfig engine_config;
    engine_config.shards = 2;
    engine_config.pin_threads = false;
    engine_config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
    shared_ = std::make_unique<broker::BrokerShared>(config, engine_config.shards);
    if (gate) {
      auto gated = std::make_unique<GatedAuthenticator>();
      gate_ = gated.get();
      shared_->set_authenticator(std::move(gated));
    } else {
      shared_->set_authenticator(std::move(auth));
    }
    auto started = engine::Engine::start(engine_config, [this](engine::Shard& shard) {
      return std::make_unique<broker::Broker>(shard, *shared_);
    });
    ASSERT_TRUE(started.ok()) << started.status().message();
    engine_ = std::move(*started);
  }
  void TearDown() override {
    if (gate_ != nullptr) gate_->open();  // the worker's destructor joins it
    if (engine_ != nullptr) {
      engine_->request_stop();
      engine_->wait();
    }
    engine_.reset();
    shared_.reset();  // joins the auth worker
    if (!path_.empty()) unlink(path_.c_str());
  }
  std::uint16_t port() const { return engine_->port(); }
  std::uint64_t deferred() const {
    return shared_->stats(0).auth_deferred.value() + shared_->stats(1).auth_deferred.value();
  }
  // The CONNACK code a fresh client gets for `connect`.
  int connack_code(codec::ProtocolVersion version, const codec::ConnectView& connect) {
    RawClient raw(port(), version);
    const auto connack = raw.handshake(connect);
    if (!connack || connack->type() != PacketType::kConnack) return -1;
    return connack->connack().reason_code;
  }

  std::string path_;
  broker::PasswordAuthenticator* auth_ = nullptr;
  const GatedAuthenticator* gate_ = nullptr;
  std::unique_ptr<broker::BrokerShared> shared_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(AuthParked, PacketsBehindTheConnectWaitForTheVerdict) {
  start(false, false);
  for (const auto version : {kV311, kV5}) {
    RawClient raw(port(), version);
    codec::ConnectView connect = login("pipelined", "alice", "secret");
    connect.version = version;
    Bytes burst = connect_bytes(connect);
    const Bytes sub = subscribe_bytes("p/t", codec::QoS::kAtMostOnce, 1, version);
    const Bytes pub = publish_bytes("p/t", "hi", codec::QoS::kAtMostOnce, 0, version);
    burst.insert(burst.end(), sub.begin(), sub.end());
    burst.insert(burst.end(), pub.begin(), pub.end());
    ASSERT_TRUE(raw.send(burst));  // one write: CONNECT, SUBSCRIBE, PUBLISH
    const auto connack = raw.read();
    ASSERT_TRUE(connack && connack->type() == PacketType::kConnack);
    EXPECT_EQ(connack->connack().reason_code, 0);
    const auto suback = raw.read();
    ASSERT_TRUE(suback && suback->type() == PacketType::kSuback);
    const auto message = raw.read();
    ASSERT_TRUE(message && message->type() == PacketType::kPublish);
    EXPECT_EQ(payload_of(message->publish()), "hi");
  }
}

TEST_F(AuthParked, NothingIsReadWhileTheCheckRuns) {
  start(false, false, true);
  RawClient raw(port(), kV5);
  codec::ConnectView connect = login("gated", "u", "good");
  connect.version = kV5;
  ASSERT_TRUE(raw.send(connect_bytes(connect)));
  ASSERT_TRUE(gate_->wait_for_check());
  ASSERT_TRUE(raw.send(subscribe_bytes("g/t", codec::QoS::kAtMostOnce, 1, kV5)));
  EXPECT_FALSE(raw.read(std::chrono::milliseconds(200))) << "answered before the verdict";
  gate_->open();
  const auto connack = raw.read();
  ASSERT_TRUE(connack && connack->type() == PacketType::kConnack);
  EXPECT_EQ(connack->connack().reason_code, 0);
  const auto suback = raw.read();
  ASSERT_TRUE(suback && suback->type() == PacketType::kSuback);
}

TEST_F(AuthParked, AParkedConnectTimesOutAndItsLateVerdictIsDropped) {
  start(false, false, true, std::chrono::seconds(1));
  RawClient raw(port(), kV311);
  codec::ConnectView connect = login("slow", "u", "good");
  connect.version = kV311;
  ASSERT_TRUE(raw.send(connect_bytes(connect)));
  ASSERT_TRUE(gate_->wait_for_check());
  EXPECT_TRUE(raw.closed(std::chrono::seconds(10)));  // the connect timeout, no CONNACK
  EXPECT_FALSE(raw.last());
  gate_->open();  // the verdict now finds no connection
  EXPECT_EQ(connack_code(kV311, login("next", "u", "good")), 0);
}

// The engine stops while a check is running: the verdict has no shard to go to and is freed
// (ASan checks).
TEST_F(AuthParked, StoppingWhileACheckRunsLosesNothing) {
  start(false, false, true);
  RawClient raw(port(), kV5);
  codec::ConnectView connect = login("stop", "u", "good");
  connect.version = kV5;
  ASSERT_TRUE(raw.send(connect_bytes(connect)));
  ASSERT_TRUE(gate_->wait_for_check());
  engine_->request_stop();
  engine_->wait();
  gate_->open();
}

TEST_F(AuthParked, RefusalsAndTheirCounters) {
  start(false, false);
  EXPECT_EQ(connack_code(kV5, login("a", "alice", "wrong")), 0x86);
  EXPECT_EQ(connack_code(kV311, login("b", "mallory", "secret")), 0x04);
  EXPECT_EQ(connack_code(kV5, login("c", nullptr, nullptr)), 0x87);
  EXPECT_EQ(connack_code(kV311, login("d", nullptr, nullptr)), 0x05);
  const broker::StatsTotals totals = shared_->totals();
  EXPECT_EQ(totals.auth_failures, 2u);
  EXPECT_EQ(totals.anonymous_refused, 2u);
}

TEST_F(AuthParked, ClosedWhileParkedIsForgotten) {
  start(false, false);
  for (int i = 0; i < 50; ++i) {
    RawClient raw(port(), kV5);
    codec::ConnectView connect = login("gone", "alice", "wrong");
    connect.version = kV5;
    ASSERT_TRUE(raw.send(connect_bytes(connect)));
  }  // closed at once, before the verdict (most of the time)
  EXPECT_EQ(connack_code(kV5, login("after", "alice", "secret")), 0);
}

TEST_F(AuthParked, AVerifiedPasswordSkipsTheWorkerOnReconnect) {
  start(false, false);
  EXPECT_EQ(connack_code(kV5, login("r", "alice", "secret")), 0);
  EXPECT_EQ(deferred(), 1u);
  EXPECT_EQ(connack_code(kV311, login("r", "alice", "secret")), 0);
  EXPECT_EQ(deferred(), 1u);
  EXPECT_EQ(auth_->cache_hits(), 1u);
  EXPECT_EQ(connack_code(kV5, login("r", "alice", "wrong")), 0x86);
  EXPECT_EQ(deferred(), 2u);
}

// The transport gives no identity yet (plain TCP): with identity as user name, the CONNECT's
// user name and password are not looked at.
TEST_F(AuthParked, IdentityAsUserNameWithoutIdentityRefusesUnlessAnonymous) {
  start(false, true);
  EXPECT_EQ(connack_code(kV5, login("i1", "alice", "secret")), 0x86);
  EXPECT_EQ(connack_code(kV311, login("i2", nullptr, nullptr)), 0x04);
  EXPECT_EQ(deferred(), 0u);
}

TEST_F(AuthParked, IdentityAsUserNameWithoutIdentityIsAnonymousWhenAllowed) {
  start(true, true);
  EXPECT_EQ(connack_code(kV5, login("i3", "alice", "not-checked")), 0);
  EXPECT_EQ(connack_code(kV311, login("i4", nullptr, nullptr)), 0);
  EXPECT_EQ(deferred(), 0u);
}

}  // namespace
}  // namespace rmq::itest
