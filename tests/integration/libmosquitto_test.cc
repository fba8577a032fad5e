// The broker driven by libmosquitto clients: QoS 0/1/2 both ways for 3.1.1 and 5.0, on one
// shard and across shards; wills; takeover; persistent sessions.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>
#include <tuple>

#include "itest_util.h"

namespace rmq::itest {
namespace {

// (publish QoS, subscribe QoS, publisher 5.0, subscriber 5.0, threads)
using QosCase = std::tuple<std::pair<int, int>, bool, bool, int>;

class LibmosquittoQos : public ::testing::TestWithParam<QosCase> {};

TEST_P(LibmosquittoQos, DeliversInOrderAtTheMinimumQos) {
  const auto [qos, pub_v5, sub_v5, threads] = GetParam();
  const auto [pub_qos, sub_qos] = qos;
  BrokerProcess broker({}, threads);
  ASSERT_TRUE(broker.running());
  auto sub = connect_client(broker, MosqConfig{.id = "sub", .v5 = sub_v5});
  ASSERT_TRUE(sub);
  ASSERT_EQ(sub->subscribe("q/#", sub_qos), std::vector<int>{sub_qos});
  std::unique_ptr<MosqClient> pub;
  if (threads == 1) {
    pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = pub_v5});
  } else {
    pub = connect_on_other_shard(broker, MosqConfig{.v5 = pub_v5}, "pub", *broker.shard_of("sub"));
  }
  ASSERT_TRUE(pub);
  constexpr int kMessages = 5;
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(pub->publish("q/" + std::to_string(i), "m" + std::to_string(i), pub_qos));
  }
  for (int i = 0; i < kMessages; ++i) {
    const auto m = sub->receive();
    ASSERT_TRUE(m) << "message " << i;
    EXPECT_EQ(m->topic, "q/" + std::to_string(i));
    EXPECT_EQ(m->payload, "m" + std::to_string(i));
    EXPECT_EQ(m->qos, std::min(pub_qos, sub_qos));
    EXPECT_FALSE(m->retain);
  }
  EXPECT_TRUE(sub->quiet(100ms));  // exactly once each
}

INSTANTIATE_TEST_SUITE_P(Matrix, LibmosquittoQos,
                         ::testing::Combine(::testing::Values(std::pair{0, 0}, std::pair{1, 1},
                                                              std::pair{2, 2}, std::pair{2, 1},
                                                              std::pair{1, 2}, std::pair{2, 0}),
                                            ::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(1, 2)));

class Wills : public ::testing::TestWithParam<bool> {};

TEST_P(Wills, AbnormalCloseSendsTheWillNormalDisconnectDoesNot) {
  const bool v5 = GetParam();
  BrokerProcess broker({}, 2);
  auto watcher = connect_client(broker, MosqConfig{.id = "watcher", .v5 = v5});
  ASSERT_EQ(watcher->subscribe("will/#", 1), std::vector<int>{1});
  auto dying = connect_client(
      broker, MosqConfig{.id = "dying", .v5 = v5, .will = MosqWill{"will/dying", "gone", 1}});
  dying->drop();
  auto m = watcher->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "will/dying");
  EXPECT_EQ(m->payload, "gone");
  EXPECT_EQ(m->qos, 1);
  auto polite = connect_client(
      broker, MosqConfig{.id = "polite", .v5 = v5, .will = MosqWill{"will/polite", "gone", 1}});
  polite->disconnect();
  EXPECT_TRUE(watcher->quiet(500ms));
}

TEST_P(Wills, RetainedWillIsStored) {
  const bool v5 = GetParam();
  BrokerProcess broker;
  auto dying = connect_client(
      broker, MosqConfig{.id = "d", .v5 = v5, .will = MosqWill{"status/d", "offline", 1, true}});
  dying->drop();
  ASSERT_TRUE(broker.wait_for_log("disconnect client=d "));
  auto later = connect_client(broker, MosqConfig{.id = "later", .v5 = v5});
  later->subscribe("status/+", 1);
  auto m = later->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "offline");
  EXPECT_TRUE(m->retain);
}

INSTANTIATE_TEST_SUITE_P(Versions, Wills, ::testing::Bool());

TEST(WillsV5, DisconnectWithWillMessageSendsIt) {
  BrokerProcess broker;
  auto watcher = connect_client(broker, MosqConfig{.id = "w", .v5 = true});
  watcher->subscribe("will", 0);
  auto c = connect_client(broker, MosqConfig{.id = "c", .v5 = true, .will = MosqWill{"will", "x"}});
  c->disconnect(0x04);
  auto m = watcher->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "x");
}

TEST(WillsV5, DelayedWillIsCancelledByAReconnectInTime) {
  BrokerProcess broker;
  auto watcher = connect_client(broker, MosqConfig{.id = "w", .v5 = true});
  watcher->subscribe("will", 0);
  const MosqConfig config{.id = "c",
                          .v5 = true,
                          .clean = false,
                          .session_expiry = 60,
                          .will = MosqWill{"will", "late", 0, false, 2}};
  auto c = connect_client(broker, config);
  c->drop();
  auto again = connect_client(broker, config);
  EXPECT_TRUE(again->session_present());
  EXPECT_TRUE(watcher->quiet(2500ms));
}

TEST(WillsV5, DelayedWillIsSentAfterTheDelay) {
  BrokerProcess broker;
  auto watcher = connect_client(broker, MosqConfig{.id = "w", .v5 = true});
  watcher->subscribe("will", 0);
  auto c = connect_client(broker, MosqConfig{.id = "c",
                                             .v5 = true,
                                             .clean = false,
                                             .session_expiry = 60,
                                             .will = MosqWill{"will", "late", 0, false, 1}});
  const auto dropped = std::chrono::steady_clock::now();
  c->drop();
  auto m = watcher->receive(3s);
  ASSERT_TRUE(m);
  EXPECT_GE(std::chrono::steady_clock::now() - dropped, 900ms);
}

TEST(WillsV5, SessionEndingBeforeTheDelaySendsTheWill) {
  BrokerProcess broker;
  auto watcher = connect_client(broker, MosqConfig{.id = "w", .v5 = true});
  watcher->subscribe("will", 0);
  auto c = connect_client(
      broker,
      MosqConfig{
          .id = "c", .v5 = true, .session_expiry = 1, .will = MosqWill{"will", "x", 0, false, 30}});
  c->drop();
  EXPECT_TRUE(watcher->receive(3s).has_value());
}

class Takeover : public ::testing::TestWithParam<bool> {};

TEST_P(Takeover, SameClientIdClosesTheOldConnectionAndFiresItsWill) {
  const bool v5 = GetParam();
  BrokerProcess broker({}, 2);
  auto watcher = connect_client(broker, MosqConfig{.id = "w", .v5 = v5});
  watcher->subscribe("will", 0);
  auto first =
      connect_client(broker, MosqConfig{.id = "dup", .v5 = v5, .will = MosqWill{"will", "old"}});
  auto second = connect_client(broker, MosqConfig{.id = "dup", .v5 = v5});
  ASSERT_TRUE(second);
  const auto reason = first->wait_closed();
  ASSERT_TRUE(reason.has_value());
  if (v5) {
    EXPECT_EQ(*reason, 0x8E);
  }
  auto m = watcher->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "old");
  EXPECT_TRUE(broker.wait_for_log("reason=session taken over"));
  // The new connection works.
  EXPECT_EQ(second->subscribe("x", 1), std::vector<int>{1});
}

TEST_P(Takeover, SessionMovesBetweenShardsWithItsSubscriptions) {
  const bool v5 = GetParam();
  BrokerProcess broker({}, 2);
  MosqConfig config{.id = "mover", .v5 = v5, .clean = false};
  if (v5) config.session_expiry = 300;
  auto client = connect_client(broker, config);
  ASSERT_EQ(client->subscribe("moves/#", 1), std::vector<int>{1});
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = v5});
  std::set<int> shards = {*broker.shard_of("mover")};
  for (int round = 0; round < 12 && shards.size() < 2; ++round) {
    auto next = connect_client(broker, config);  // takes over the previous connection
    ASSERT_TRUE(next);
    EXPECT_TRUE(next->session_present());
    client->wait_closed();
    client = std::move(next);
    shards.insert(*broker.shard_of("mover"));
    ASSERT_TRUE(pub->publish("moves/" + std::to_string(round), "r", 1));
    auto m = client->receive();
    // The previous round's message may come again: its PUBACK can still be on its way from the
    // old connection when the session moves (QoS 1 is at least once).
    if (m && round > 0 && m->topic == "moves/" + std::to_string(round - 1)) m = client->receive();
    ASSERT_TRUE(m) << "round " << round;
    EXPECT_EQ(m->topic, "moves/" + std::to_string(round));
  }
  EXPECT_EQ(shards.size(), 2u) << "the session never moved to the other shard";
}

INSTANTIATE_TEST_SUITE_P(Versions, Takeover, ::testing::Bool());

class PersistentSession : public ::testing::TestWithParam<bool> {};

TEST_P(PersistentSession, QueuedMessagesAreDeliveredOnResume) {
  const bool v5 = GetParam();
  BrokerProcess broker({}, 2);
  MosqConfig config{.id = "offline", .v5 = v5, .clean = false};
  if (v5) config.session_expiry = 300;
  auto sub = connect_client(broker, config);
  ASSERT_EQ(sub->subscribe("queued/#", 2), std::vector<int>{2});
  sub->disconnect();
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = v5});
  ASSERT_TRUE(pub->publish("queued/0", "zero", 0));  // QoS 0 is not kept for offline sessions
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(pub->publish("queued/" + std::to_string(i), "m", i == 2 ? 2 : 1));
  }
  auto back = connect_client(broker, config);
  EXPECT_TRUE(back->session_present());
  // libmosquitto hands a QoS 2 message over on PUBREL, so order across QoS levels may differ.
  std::map<std::string, int> received;
  for (int i = 1; i <= 3; ++i) {
    const auto m = back->receive();
    ASSERT_TRUE(m) << i;
    received[m->topic] = m->qos;
  }
  EXPECT_EQ(received,
            (std::map<std::string, int>{{"queued/1", 1}, {"queued/2", 2}, {"queued/3", 1}}));
  EXPECT_TRUE(back->quiet());
}

TEST_P(PersistentSession, CleanStartDiscardsTheSession) {
  const bool v5 = GetParam();
  BrokerProcess broker;
  MosqConfig config{.id = "c", .v5 = v5, .clean = false};
  if (v5) config.session_expiry = 300;
  auto sub = connect_client(broker, config);
  sub->subscribe("t", 1);
  sub->disconnect();
  config.clean = true;
  auto fresh = connect_client(broker, config);
  EXPECT_FALSE(fresh->session_present());
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = v5});
  pub->publish("t", "x", 1);
  EXPECT_TRUE(fresh->quiet());
}

INSTANTIATE_TEST_SUITE_P(Versions, PersistentSession, ::testing::Bool());

TEST(PersistentSession, OfflineQueueIsBoundedAndOverflowCounted) {
  BrokerProcess broker({"--max-queued-messages", "3", "--sys-interval", "1"});
  MosqConfig config{.id = "bounded", .clean = false};
  auto sub = connect_client(broker, config);
  sub->subscribe("b/#", 1);
  sub->disconnect();
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pub->publish("b/" + std::to_string(i), "m", 1));
  auto back = connect_client(broker, config);
  for (int i = 0; i < 3; ++i) {
    const auto m = back->receive();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->topic, "b/" + std::to_string(i));  // the oldest are kept
  }
  EXPECT_TRUE(back->quiet());
  back->subscribe("$SYS/broker/publish/messages/dropped", 0);
  bool counted = false;
  for (int i = 0; i < 3 && !counted; ++i) {
    const auto m = back->receive(2s);
    counted = m && m->payload == "2";
  }
  EXPECT_TRUE(counted);
}

TEST(PersistentSessionV5, ExpiresAfterItsInterval) {
  BrokerProcess broker;
  MosqConfig config{.id = "short", .v5 = true, .clean = false, .session_expiry = 1};
  auto c = connect_client(broker, config);
  c->subscribe("t", 1);
  c->disconnect();
  std::this_thread::sleep_for(1500ms);
  auto again = connect_client(broker, config);
  EXPECT_FALSE(again->session_present());
}

TEST(PersistentSessionV5, ExpiryZeroEndsWithTheConnection) {
  BrokerProcess broker;
  MosqConfig config{.id = "zero", .v5 = true, .clean = false, .session_expiry = 0};
  connect_client(broker, config)->disconnect();
  auto again = connect_client(broker, config);
  EXPECT_FALSE(again->session_present());
}

}  // namespace
}  // namespace rmq::itest
