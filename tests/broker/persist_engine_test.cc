// Persistence through the real path (persist_engine_fixture.h): sessions, QoS 1/2 flows and
// retained topics across restarts on one data directory, exercising the write-ahead log,
// acknowledgements held until durable (--durability sync), the import of recovered state,
// takeovers of recovered sessions and compaction. Each scenario checks exact results.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "broker/persist/record_buffer.h"
#include "broker/persist/recovery.h"
#include "broker/persist/segment.h"
#include "tests/broker/persist_engine_fixture.h"

namespace rmq::broker::persist_test {
namespace {

// A persistent 3.1.1 session, offline on shard 1, queues N QoS 1 messages from shard 0; after a
// restart it is taken over on shard 0 and gets every message once, in order.
TEST_F(PersistEngineTest, QueuedQoS1MessagesSurviveARestartAndATakeover) {
  constexpr int kMessages = 200;
  ASSERT_NO_FATAL_FAILURE(start());
  std::unique_ptr<Client> sub, pub;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 1, kV311, "sub-a", false, 0, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*sub, "p/t", QoS::kAtLeastOnce));
  ASSERT_NO_FATAL_FAILURE(disconnect(sub));
  ASSERT_NO_FATAL_FAILURE(connect(&pub, 0, kV311, "pub-a", true, 0, false));
  std::vector<std::string> payloads;
  for (int i = 0; i < kMessages; ++i) payloads.push_back(numbered("m", i));
  std::vector<Pub> messages;
  for (const std::string& p : payloads) messages.push_back(Pub{"p/t", p});
  ASSERT_NO_FATAL_FAILURE(publish_qos1(*pub, messages, 1));
  pub.reset();

  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(report_.summary.sessions, 1u) << recovered_;
  EXPECT_EQ(report_.summary.subscriptions, 1u) << recovered_;
  EXPECT_EQ(report_.summary.queued, static_cast<std::size_t>(kMessages)) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, 0u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 0, kV311, "sub-a", false, 0, true));
  ASSERT_NO_FATAL_FAILURE(receive_qos1(*sub, "m", 0, kMessages, false, kMessages, 0, nullptr));

  ASSERT_NO_FATAL_FAILURE(restart());
  sub.reset();
  EXPECT_EQ(report_.summary.sessions, 1u) << recovered_;
  EXPECT_EQ(report_.summary.subscriptions, 1u) << recovered_;
  EXPECT_EQ(report_.summary.queued, 0u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, 0u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 1, kV311, "sub-a", false, 0, true));
  EXPECT_TRUE(sub->pingresp_next()) << "something was still queued";
}

// A recovered session taken over by another shard, and the broker stopped right after the
// CONNACK: the next start has each of its messages once (the new owner's snapshot of the session
// holds them all; the old owner's copy must not be added to it).
TEST_F(PersistEngineTest, StopRightAfterATakeoverKeepsEachMessageOnce) {
  constexpr int kMessages = 20;
  ASSERT_NO_FATAL_FAILURE(start());
  std::unique_ptr<Client> sub, pub;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 1, kV311, "sub-t", false, 0, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*sub, "t/t", QoS::kAtLeastOnce));
  ASSERT_NO_FATAL_FAILURE(disconnect(sub));
  ASSERT_NO_FATAL_FAILURE(connect(&pub, 0, kV311, "pub-t", true, 0, false));
  std::vector<std::string> payloads;
  for (int i = 0; i < kMessages; ++i) payloads.push_back(numbered("t", i));
  std::vector<Pub> messages;
  for (const std::string& p : payloads) messages.push_back(Pub{"t/t", p});
  ASSERT_NO_FATAL_FAILURE(publish_qos1(*pub, messages, 1));
  pub.reset();
  ASSERT_NO_FATAL_FAILURE(restart());
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 0, kV311, "sub-t", false, 0, true));
  sub.reset();
  ASSERT_NO_FATAL_FAILURE(restart());
  EXPECT_EQ(report_.summary.sessions, 1u) << recovered_;
  EXPECT_EQ(report_.summary.queued + report_.summary.inflight_outbound,
            static_cast<std::size_t>(kMessages))
      << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 1, kV311, "sub-t", false, 0, true));
  for (int i = 0; i < kMessages; ++i) {
    const Packet p = sub->read();
    ASSERT_EQ(p.type, PacketType::kPublish);
    ASSERT_EQ(p.payload, payloads[i]);
    ASSERT_TRUE(sub->ack(PacketType::kPuback, p.packet_id));
  }
  EXPECT_TRUE(sub->pingresp_next()) << "a message came twice";
}

// Writes shard 0's segment of a data directory as recovery would: `fillers` offline 3.1.1
// sessions, then `client` with one QoS 1 message queued (`payload`), imported last (sessions are
// imported in client identifier order).
void write_shard0_sessions(const std::string& dir, int fillers, const std::string& client,
                           const std::string& payload) {
  persist::RecoveredState state;
  const std::uint8_t qos1 = 1;  // subscription options
  std::vector<std::string> names;
  for (int i = 0; i < fillers; ++i) names.push_back(numbered("filler-", i));
  for (int i = 0; i < fillers; ++i) {
    state.apply(persist::SessionOpen{names[i], 0xFFFFFFFFu, 4, 0, std::uint64_t(i) + 1});
    state.apply(persist::Subscribe{names[i], "f/t", qos1, 0});
    state.apply(persist::SessionOffline{names[i], 1});
  }
  state.apply(persist::SessionOpen{client, 0xFFFFFFFFu, 4, 0, std::uint64_t(fillers) + 1});
  state.apply(persist::Subscribe{client, "e/t", qos1, 0});
  persist::MessageRec message;
  message.message_id = 1;
  message.topic = "e/t";
  message.payload =
      persist::Bytes(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  message.qos = 1;
  state.apply(message);
  state.apply(persist::Enqueue{client, 1, 1, 0, {}});
  state.apply(persist::SessionOffline{client, 1});
  state.finish();
  std::string error;
  ASSERT_NE(persist::write_snapshot_segment(
                (std::filesystem::path(dir) / persist::segment_file_name(0, 1)).string(), 0, 1,
                state, &error),
            0u)
      << error;
}

// The first client to connect after a start finds its recovered session even when it lands on a
// shard that did not recover it, while the shard that did is still importing many sessions.
TEST_F(PersistEngineTest, FirstConnectionAfterAStartFindsItsRecoveredSession) {
#if defined(__SANITIZE_THREAD__)
  constexpr int kFillers = 1'500;  // importing them takes as long as 20'000 in a release build
#elif defined(__SANITIZE_ADDRESS__)
  constexpr int kFillers = 5'000;
#else
  constexpr int kFillers = 20'000;
#endif
  const std::string payload = "queued before the stop";
  ASSERT_NO_FATAL_FAILURE(write_shard0_sessions(dir_, kFillers, "zzz-early", payload));
  ASSERT_NO_FATAL_FAILURE(start());
  // Open connections at once until one is accepted by shard 1 (the kernel spreads them): no
  // shard serves a connection before every shard has imported its recovered sessions, so the
  // CONNECT below is handled as early as the broker allows.
  std::vector<std::unique_ptr<Client>> spare;
  std::unique_ptr<Client> sub;
  for (int attempt = 0; attempt < 50 && sub == nullptr; ++attempt) {
    const std::uint64_t before[2] = {engine_->stats(0).accepted.value(),
                                     engine_->stats(1).accepted.value()};
    const int fd = test_support::connect_loopback(engine_->port(), kReadTimeoutSeconds);
    ASSERT_GE(fd, 0);
    auto client = std::make_unique<Client>(fd, kV311);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (engine_->stats(0).accepted.value() == before[0] &&
           engine_->stats(1).accepted.value() == before[1] &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::yield();
    }
    (engine_->stats(1).accepted.value() != before[1] ? sub : spare.emplace_back()) =
        std::move(client);
  }
  ASSERT_NE(sub, nullptr);
  ASSERT_TRUE(sub->connect("zzz-early", false, 0));
  const Packet connack = sub->read();
  ASSERT_EQ(connack.type, PacketType::kConnack);
  EXPECT_EQ(report_.summary.sessions, static_cast<std::size_t>(kFillers) + 1);
  EXPECT_EQ(report_.summary.queued, 1u);
  ASSERT_TRUE(connack.session_present) << "a new session replaced the recovered one";
  const Packet p = sub->read();
  ASSERT_EQ(p.type, PacketType::kPublish);
  EXPECT_EQ(p.payload, payload);
}

// QoS 2 both ways across a restart: outbound flows left at PUBREC-sent and at PUBLISH-sent are
// resumed with their packet ids (PUBREL, PUBLISH with DUP), and an inbound packet id awaiting
// PUBREL still filters the publisher's retransmission.
class QoS2RestartTest : public PersistEngineTest {
 protected:
  static constexpr int kMessages = 10;

  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PersistEngineTest::SetUp());
    for (int i = 0; i <= kMessages + 1; ++i) payloads_.push_back(numbered("q", i));
  }

  // Reads one packet and checks its type and packet id.
  void expect(Client& c, PacketType type, std::uint16_t packet_id) {
    const Packet p = c.read();
    ASSERT_EQ(p.type, type);
    ASSERT_EQ(p.packet_id, packet_id);
  }

  // Messages 1..10 published at QoS 2; the publisher completes 1..9 and leaves 10 at PUBREC.
  // The subscriber sends PUBREC for 1..6 and PUBCOMP for 1..3: 4..6 await PUBCOMP, 7..10 PUBREC.
  void leave_flows_open() {
    for (int i = 1; i <= kMessages; ++i) {
      ASSERT_TRUE(pub_->publish(Pub{"q/t", payloads_[i], QoS::kExactlyOnce, std::uint16_t(i)}));
    }
    for (int i = 1; i <= kMessages; ++i) expect(*pub_, PacketType::kPubrec, std::uint16_t(i));
    for (int i = 1; i < kMessages; ++i) ASSERT_TRUE(pub_->ack(PacketType::kPubrel, i));
    for (int i = 1; i < kMessages; ++i) expect(*pub_, PacketType::kPubcomp, std::uint16_t(i));
    for (int i = 1; i <= kMessages; ++i) {
      const Packet p = sub_->read();
      ASSERT_EQ(p.type, PacketType::kPublish);
      ASSERT_EQ(p.payload, payloads_[i]);
      ASSERT_EQ(p.qos, QoS::kExactlyOnce);
      ASSERT_FALSE(p.dup);
      ids_[i] = p.packet_id;
    }
    for (int i = 1; i <= 6; ++i) ASSERT_TRUE(sub_->ack(PacketType::kPubrec, ids_[i]));
    for (int i = 1; i <= 6; ++i) expect(*sub_, PacketType::kPubrel, ids_[i]);
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(sub_->ack(PacketType::kPubcomp, ids_[i]));
    ASSERT_TRUE(sub_->pingresp_next());
  }

  // After the restart: PUBREL for 4..6 and PUBLISH (DUP) for 7..10, then the flows completed.
  void resume_subscriber() {
    ASSERT_NO_FATAL_FAILURE(connect(&sub_, 1, kV5, "sub-q", false, 3600, true));
    std::vector<std::uint16_t> released, resent;
    for (int n = 0; n < 7; ++n) {
      const Packet p = sub_->read();
      if (p.type == PacketType::kPubrel) {
        released.push_back(p.packet_id);
        continue;
      }
      ASSERT_EQ(p.type, PacketType::kPublish);
      EXPECT_EQ(p.payload, payloads_[7 + resent.size()]);
      EXPECT_TRUE(p.dup);
      EXPECT_EQ(p.qos, QoS::kExactlyOnce);
      resent.push_back(p.packet_id);
    }
    EXPECT_EQ(released, (std::vector<std::uint16_t>{ids_[4], ids_[5], ids_[6]}));
    EXPECT_EQ(resent, (std::vector<std::uint16_t>{ids_[7], ids_[8], ids_[9], ids_[10]}));
    ASSERT_TRUE(sub_->pingresp_next());
    for (int i = 4; i <= 6; ++i) ASSERT_TRUE(sub_->ack(PacketType::kPubcomp, ids_[i]));
    for (int i = 7; i <= 10; ++i) ASSERT_TRUE(sub_->ack(PacketType::kPubrec, ids_[i]));
    for (int i = 7; i <= 10; ++i) {
      expect(*sub_, PacketType::kPubrel, ids_[i]);
      ASSERT_TRUE(sub_->ack(PacketType::kPubcomp, ids_[i]));
    }
    ASSERT_TRUE(sub_->pingresp_next());
  }

  // The publisher sends message 10 again (it never saw its PUBCOMP), then a new message 11; the
  // subscriber's next PUBLISH is message 11, under a free packet id.
  void retransmit_and_publish_more() {
    ASSERT_NO_FATAL_FAILURE(connect(&pub_, 0, kV5, "pub-q", false, 3600, true));
    ASSERT_TRUE(pub_->publish(Pub{"q/t", payloads_[10], QoS::kExactlyOnce, 10, false, true}));
    expect(*pub_, PacketType::kPubrec, 10);
    ASSERT_TRUE(pub_->ack(PacketType::kPubrel, 10));
    expect(*pub_, PacketType::kPubcomp, 10);
    ASSERT_TRUE(pub_->publish(Pub{"q/t", payloads_[11], QoS::kExactlyOnce, 11}));
    expect(*pub_, PacketType::kPubrec, 11);
    ASSERT_TRUE(pub_->ack(PacketType::kPubrel, 11));
    expect(*pub_, PacketType::kPubcomp, 11);
    const Packet p = sub_->read();
    ASSERT_EQ(p.type, PacketType::kPublish);
    EXPECT_EQ(p.payload, payloads_[11]) << "delivered again after the restart";
    EXPECT_FALSE(p.dup);
    ASSERT_TRUE(sub_->ack(PacketType::kPubrec, p.packet_id));
    expect(*sub_, PacketType::kPubrel, p.packet_id);
    ASSERT_TRUE(sub_->ack(PacketType::kPubcomp, p.packet_id));
    ASSERT_TRUE(sub_->pingresp_next());
  }

  void restart_without_clients() {
    ASSERT_NO_FATAL_FAILURE(restart());
    sub_.reset();
    pub_.reset();
  }

  std::vector<std::string> payloads_;
  std::uint16_t ids_[kMessages + 1] = {};  // the subscriber's packet id of each message
  std::unique_ptr<Client> sub_, pub_;
};

TEST_F(QoS2RestartTest, FlowsResumeWithTheirPacketIds) {
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_NO_FATAL_FAILURE(connect(&sub_, 1, kV5, "sub-q", true, 3600, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*sub_, "q/t", QoS::kExactlyOnce));
  ASSERT_NO_FATAL_FAILURE(connect(&pub_, 0, kV5, "pub-q", true, 3600, false));
  ASSERT_NO_FATAL_FAILURE(leave_flows_open());

  ASSERT_NO_FATAL_FAILURE(restart_without_clients());
  EXPECT_EQ(report_.summary.sessions, 2u) << recovered_;
  EXPECT_EQ(report_.summary.queued, 0u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, 7u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_inbound, 1u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(resume_subscriber());
  ASSERT_NO_FATAL_FAILURE(retransmit_and_publish_more());

  ASSERT_NO_FATAL_FAILURE(restart_without_clients());
  EXPECT_EQ(report_.summary.sessions, 2u) << recovered_;
  EXPECT_EQ(report_.summary.queued, 0u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, 0u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_inbound, 0u) << recovered_;
}

// Retained messages (5.0, a user property each) on topics owned by both shards survive restarts;
// so do later overwrites and deletes (empty payload) of recovered ones.
TEST_F(PersistEngineTest, RetainedMessagesAndDeletesSurviveRestarts) {
  std::set<std::uint32_t> owners;
  for (int i = 0; i < 6; ++i) owners.insert(persist::retained_owner(numbered("r/", i), 2));
  ASSERT_EQ(owners.size(), 2u) << "the topics should be logged by both shards";
  ASSERT_NO_FATAL_FAILURE(start());
  std::unique_ptr<Client> pub, sub;
  ASSERT_NO_FATAL_FAILURE(connect(&pub, 0, kV5, "pub-r", true, 0, false));
  std::vector<std::string> topics, values, idx;
  for (int i = 0; i < 6; ++i) {
    topics.push_back(numbered("r/", i));
    values.push_back(numbered("v", i));
    idx.push_back(std::to_string(i));
  }
  std::vector<codec::StringPair> props;
  for (int i = 0; i < 6; ++i) props.push_back(codec::StringPair{"idx", idx[i]});
  std::vector<Pub> sets;
  for (int i = 0; i < 6; ++i) {
    sets.push_back(Pub{topics[i], values[i], QoS::kAtLeastOnce, 0, true, false, &props[i]});
  }
  ASSERT_NO_FATAL_FAILURE(publish_qos1(*pub, sets, 1));

  ASSERT_NO_FATAL_FAILURE(restart());
  pub.reset();
  EXPECT_EQ(report_.summary.retained, 6u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&pub, 1, kV5, "pub-r", true, 0, false));
  const codec::StringPair prop2b{"idx", "2b"};
  ASSERT_NO_FATAL_FAILURE(
      publish_qos1(*pub,
                   {Pub{topics[1], "", QoS::kAtLeastOnce, 0, true},
                    Pub{topics[4], "", QoS::kAtLeastOnce, 0, true},
                    Pub{topics[2], "v2b", QoS::kAtLeastOnce, 0, true, false, &prop2b}},
                   1));

  ASSERT_NO_FATAL_FAILURE(restart());
  pub.reset();
  EXPECT_EQ(report_.summary.retained, 4u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&sub, 0, kV5, "sub-r", true, 0, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*sub, "r/#", QoS::kAtLeastOnce));
  std::map<std::string, std::pair<std::string, std::string>> got;  // topic: payload, idx
  for (int n = 0; n < 4; ++n) {
    const Packet p = sub->read();
    ASSERT_EQ(p.type, PacketType::kPublish);
    EXPECT_TRUE(p.retain);
    ASSERT_EQ(p.user_properties.size(), 1u) << p.topic;
    EXPECT_EQ(p.user_properties[0].first, "idx");
    EXPECT_TRUE(
        got.emplace(p.topic, std::make_pair(p.payload, p.user_properties[0].second)).second);
    ASSERT_TRUE(sub->ack(PacketType::kPuback, p.packet_id));
  }
  ASSERT_TRUE(sub->pingresp_next()) << "more retained messages than expected";
  const std::map<std::string, std::pair<std::string, std::string>> expected = {
      {"r/0", {"v0", "0"}}, {"r/2", {"v2b", "2b"}}, {"r/3", {"v3", "3"}}, {"r/5", {"v5", "5"}}};
  EXPECT_EQ(got, expected);
}

// A small --compact-bytes: the shards compact their logs over and over while messages queue
// (an offline 3.1.1 session), flow (an online 5.0 session that leaves the last 50 unacknowledged)
// and retained topics change; the state after a restart is exact.
TEST_F(PersistEngineTest, StateIsExactAfterCompactions) {
  constexpr int kMessages = 300;
  constexpr int kAcked = 250;
  constexpr std::size_t kPayload = 100;
  compact_bytes_ = 4096;
  ASSERT_NO_FATAL_FAILURE(start());
  std::unique_ptr<Client> a, b, pub;
  ASSERT_NO_FATAL_FAILURE(connect(&a, 1, kV311, "sub-ca", false, 0, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*a, "c/q", QoS::kAtLeastOnce));
  ASSERT_NO_FATAL_FAILURE(disconnect(a));
  ASSERT_NO_FATAL_FAILURE(connect(&b, 0, kV5, "sub-cb", true, 3600, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*b, "c/q", QoS::kAtLeastOnce));
  ASSERT_NO_FATAL_FAILURE(connect(&pub, 0, kV311, "pub-c", true, 0, false));
  std::vector<std::string> payloads, retained;
  for (int i = 0; i < kMessages; ++i) {
    payloads.push_back(numbered("c", i, kPayload));
    retained.push_back(numbered("r", i));
  }
  const std::string rtopics[3] = {"c/r/0", "c/r/1", "c/r/2"};
  std::vector<Pub> batch;
  std::uint16_t next_id = 1;
  for (int i = 0; i < kMessages; ++i) {
    batch.push_back(Pub{"c/q", payloads[i]});
    if (i % 10 == 0) batch.push_back(Pub{rtopics[i % 3], retained[i], QoS::kAtLeastOnce, 0, true});
    if (batch.size() >= 50 || i + 1 == kMessages) {
      ASSERT_NO_FATAL_FAILURE(publish_qos1(*pub, batch, next_id));
      next_id = static_cast<std::uint16_t>(next_id + batch.size());
      batch.clear();
    }
  }
  std::vector<std::uint16_t> b_ids;
  ASSERT_NO_FATAL_FAILURE(receive_qos1(*b, "c", 0, kMessages, false, kAcked, kPayload, &b_ids));
  EXPECT_GT(shared_->totals().log_compactions, 0u);

  ASSERT_NO_FATAL_FAILURE(restart());
  a.reset();
  b.reset();
  pub.reset();
  EXPECT_EQ(report_.summary.sessions, 2u) << recovered_;
  EXPECT_EQ(report_.summary.queued, static_cast<std::size_t>(kMessages)) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, static_cast<std::size_t>(kMessages - kAcked))
      << recovered_;
  EXPECT_EQ(report_.summary.retained, 3u) << recovered_;
  ASSERT_NO_FATAL_FAILURE(connect(&a, 1, kV311, "sub-ca", false, 0, true));
  ASSERT_NO_FATAL_FAILURE(receive_qos1(*a, "c", 0, kMessages, false, kMessages, kPayload, nullptr));
  ASSERT_NO_FATAL_FAILURE(connect(&b, 1, kV5, "sub-cb", false, 3600, true));
  std::vector<std::uint16_t> resent;
  ASSERT_NO_FATAL_FAILURE(receive_qos1(*b, "c", kAcked, kMessages - kAcked, true,
                                       kMessages - kAcked, kPayload, &resent));
  EXPECT_EQ(resent, std::vector<std::uint16_t>(b_ids.begin() + kAcked, b_ids.end()));
  std::unique_ptr<Client> r;
  ASSERT_NO_FATAL_FAILURE(connect(&r, 0, kV5, "sub-cr", true, 0, false));
  ASSERT_NO_FATAL_FAILURE(subscribe(*r, "c/r/#", QoS::kAtMostOnce));
  std::map<std::string, std::string> got;
  for (int n = 0; n < 3; ++n) {
    const Packet p = r->read();
    ASSERT_EQ(p.type, PacketType::kPublish);
    got[p.topic] = p.payload;
  }
  EXPECT_EQ(got, (std::map<std::string, std::string>{
                     {"c/r/0", "r270"}, {"c/r/1", "r280"}, {"c/r/2", "r290"}}));

  ASSERT_NO_FATAL_FAILURE(restart());
  a.reset();
  b.reset();
  r.reset();
  EXPECT_EQ(report_.summary.sessions, 2u) << recovered_;
  EXPECT_EQ(report_.summary.queued, 0u) << recovered_;
  EXPECT_EQ(report_.summary.inflight_outbound, 0u) << recovered_;
  EXPECT_EQ(report_.summary.retained, 3u) << recovered_;
}

}  // namespace
}  // namespace rmq::broker::persist_test
