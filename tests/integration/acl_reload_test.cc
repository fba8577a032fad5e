// --acl-file reload (BrokerShared::reload_acl, what SIGHUP calls): an in-process broker (two
// engine shards running Broker, as the binary starts them) driven over real sockets by RawClient.
// Connected sessions pick up the new rules on their next publish and delivery, whatever their
// decision caches held; a file that no longer parses leaves the rules in force.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "engine/engine.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using codec::PacketType;
using codec::QoS;
using codec::ReasonCode;
constexpr auto kV5 = codec::ProtocolVersion::kV5;

class AclReload : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(LogLevel::kWarn);
    char name[] = "/tmp/ringmq_acl_reload_XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = name;
    write_rules("topic readwrite a/#\n");
    broker::BrokerConfig config;
    config.sys_interval = 0;
    config.acl_file = path_;
    engine::EngineConfig engine_config;
    engine_config.shards = 2;
    engine_config.pin_threads = false;
    engine_config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
    shared_ = std::make_unique<broker::BrokerShared>(config, engine_config.shards);
    ASSERT_NE(shared_->acl(), nullptr);
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
    std::remove(path_.c_str());
  }

  void write_rules(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }

  // PUBLISH QoS 1; the PUBACK's reason code.
  static ReasonCode publish(RawClient& c, const std::string& topic, const std::string& payload,
                            std::uint16_t id) {
    EXPECT_TRUE(c.send(publish_bytes(topic, payload, QoS::kAtLeastOnce, id, kV5)));
    const auto ack = c.read();
    EXPECT_TRUE(ack && ack->type() == PacketType::kPuback);
    return ack ? ack->ack().reason_code : ReasonCode::kUnspecifiedError;
  }

  // The next PUBLISH's topic and payload, acknowledged.
  static std::string next_message(RawClient& c) {
    const auto p = c.read();
    if (!p || p->type() != PacketType::kPublish) return "(none)";
    const codec::PublishView& view = p->publish();
    EXPECT_TRUE(c.send(ack_bytes(PacketType::kPuback, view.packet_id, kV5)));
    return std::string(view.topic) + " " + payload_of(view);
  }

  std::string path_;
  std::unique_ptr<broker::BrokerShared> shared_;
  std::unique_ptr<engine::Engine> engine_;
};

TEST_F(AclReload, SessionsPickUpNewRulesAndABadFileChangesNothing) {
  RawClient sub(engine_->port(), kV5);
  ASSERT_TRUE(sub.connect("reload-sub"));
  ASSERT_TRUE(sub.subscribe("a/#", QoS::kAtLeastOnce));
  RawClient pub(engine_->port(), kV5);
  ASSERT_TRUE(pub.connect("reload-pub"));
  EXPECT_EQ(publish(pub, "a/x", "1", 1), ReasonCode::kSuccess);
  EXPECT_EQ(publish(pub, "a/y", "2", 2), ReasonCode::kSuccess);
  EXPECT_EQ(next_message(sub), "a/x 1");
  EXPECT_EQ(next_message(sub), "a/y 2");

  // Writing a/x is taken away: the publisher's cached "allowed" no longer counts.
  write_rules("topic read a/#\ntopic write a/y\ntopic write a/z\n");
  std::string error;
  ASSERT_TRUE(shared_->reload_acl(&error).ok()) << error;
  EXPECT_EQ(publish(pub, "a/x", "3", 3), ReasonCode::kNotAuthorized);
  EXPECT_EQ(publish(pub, "a/y", "4", 4), ReasonCode::kSuccess);
  EXPECT_EQ(next_message(sub), "a/y 4");

  // Reading a/y is taken away: the subscription stays, the subscriber's cache is dropped.
  write_rules("topic write a/#\ntopic read a/z\n");
  ASSERT_TRUE(shared_->reload_acl(&error).ok()) << error;
  EXPECT_EQ(publish(pub, "a/y", "5", 5), ReasonCode::kSuccess);
  EXPECT_EQ(publish(pub, "a/z", "6", 6), ReasonCode::kSuccess);
  EXPECT_EQ(next_message(sub), "a/z 6");

  // A file that does not parse: an error naming the line, the rules in force stay.
  write_rules("topic write a/#\ntopic maybe a/z\n");
  EXPECT_FALSE(shared_->reload_acl(&error).ok());
  EXPECT_EQ(error, path_ + ":2: unknown access 'maybe' (expected read, write, readwrite or deny)");
  EXPECT_EQ(publish(pub, "a/y", "7", 7), ReasonCode::kSuccess);
  EXPECT_EQ(publish(pub, "a/z", "8", 8), ReasonCode::kSuccess);
  EXPECT_EQ(next_message(sub), "a/z 8");
}

}  // namespace
}  // namespace rmq::itest
