// MQTT 5.0 features through libmosquitto: properties passed on in order, subscription identifiers
// and overlapping subscriptions, no local, retain as published, retain handling, shared
// subscriptions, assigned client identifiers, Server Keep Alive, message expiry, the client's
// Maximum Packet Size and reason codes on acks. (libmosquitto 2.0 cannot take topic aliases from
// a server; raw_protocol_test.cc checks them on the wire.)
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "itest_util.h"

namespace rmq::itest {
namespace {

constexpr int kNoLocal = 0x04;
constexpr int kRetainAsPublished = 0x08;
constexpr int kRetainHandling1 = 0x10;
constexpr int kRetainHandling2 = 0x20;

MosqConfig v5(const std::string& id) { return MosqConfig{.id = id, .v5 = true}; }

TEST(V5Properties, PassedOnInOrder) {
  BrokerProcess broker({}, 2);
  auto sub = connect_client(broker, v5("sub"));
  sub->subscribe("props", 1);
  auto pub = connect_on_other_shard(broker, MosqConfig{.v5 = true}, "pub", *broker.shard_of("sub"));
  MosqPublishProps props;
  props.content_type = "application/json";
  props.response_topic = "reply/here";
  props.correlation_data = std::string("\x01\x02\x00\x03", 4);
  props.message_expiry = 3600;
  props.payload_format = 1;
  props.user_properties = {{"b", "2"}, {"a", "1"}, {"b", "3"}};
  ASSERT_TRUE(pub->publish("props", "{}", 1, false, props));
  const auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->content_type, "application/json");
  EXPECT_EQ(m->response_topic, "reply/here");
  EXPECT_EQ(m->correlation_data, std::string("\x01\x02\x00\x03", 4));
  ASSERT_TRUE(m->message_expiry);
  EXPECT_LE(*m->message_expiry, 3600u);
  EXPECT_GE(*m->message_expiry, 3590u);
  EXPECT_EQ(m->payload_format, 1);
  EXPECT_EQ(m->user_properties, props.user_properties);
  // A 3.1.1 subscriber gets the same message without properties.
  auto old = connect_client(broker, MosqConfig{.id = "old"});
  old->subscribe("props", 0);
  ASSERT_TRUE(pub->publish("props", "again", 0, false, props));
  const auto plain = old->receive();
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->payload, "again");
}

// libmosquitto 2.0 rejects a PUBLISH carrying two Subscription Identifiers (the python test checks
// that case), so here only one of the overlapping subscriptions has one.
TEST(V5Subscriptions, OverlappingSubscriptionsGiveOneCopyAtTheHighestQos) {
  BrokerProcess broker;
  auto sub = connect_client(broker, v5("sub"));
  ASSERT_EQ(sub->subscribe("ids/#", 0, 0, 7), std::vector<int>{0});
  ASSERT_EQ(sub->subscribe("ids/x", 2), std::vector<int>{2});
  auto pub = connect_client(broker, v5("pub"));
  ASSERT_TRUE(pub->publish("ids/x", "m", 2));
  const auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->qos, 2);
  EXPECT_EQ(m->subscription_ids, (std::vector<std::uint32_t>{7}));
  EXPECT_TRUE(sub->quiet(200ms));
  ASSERT_TRUE(pub->publish("ids/y", "m", 2));
  const auto only = sub->receive();
  ASSERT_TRUE(only);
  EXPECT_EQ(only->qos, 0);
  EXPECT_EQ(only->subscription_ids, std::vector<std::uint32_t>{7});
}

TEST(V5Subscriptions, NoLocal) {
  BrokerProcess broker;
  auto self = connect_client(broker, v5("self"));
  self->subscribe("chat", 1, kNoLocal);
  ASSERT_TRUE(self->publish("chat", "mine", 1));
  EXPECT_TRUE(self->quiet(200ms));
  auto other = connect_client(broker, v5("other"));
  ASSERT_TRUE(other->publish("chat", "theirs", 1));
  const auto m = self->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "theirs");
}

TEST(V5Subscriptions, RetainAsPublished) {
  BrokerProcess broker;
  auto rap = connect_client(broker, v5("rap"));
  rap->subscribe("r", 0, kRetainAsPublished);
  auto plain = connect_client(broker, v5("plain"));
  plain->subscribe("r", 0);
  auto pub = connect_client(broker, v5("pub"));
  ASSERT_TRUE(pub->publish("r", "live", 0, /*retain=*/true));
  const auto a = rap->receive();
  const auto b = plain->receive();
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(a->retain);
  EXPECT_FALSE(b->retain);  // live messages go out with RETAIN 0 [MQTT-3.3.1-12]
}

TEST(V5Subscriptions, RetainHandling) {
  BrokerProcess broker;
  auto pub = connect_client(broker, v5("pub"));
  ASSERT_TRUE(pub->publish("kept", "r", 1, true));
  auto never = connect_client(broker, v5("never"));
  never->subscribe("kept", 1, kRetainHandling2);
  EXPECT_TRUE(never->quiet(200ms));
  auto once = connect_client(broker, v5("once"));
  once->subscribe("kept", 1, kRetainHandling1);
  EXPECT_TRUE(once->receive().has_value());
  once->subscribe("kept", 1, kRetainHandling1);  // exists already: no retained message
  EXPECT_TRUE(once->quiet(200ms));
  auto always = connect_client(broker, v5("always"));
  always->subscribe("kept", 1);
  EXPECT_TRUE(always->receive().has_value());
  always->subscribe("kept", 1);
  EXPECT_TRUE(always->receive().has_value());
}

TEST(V5Subscriptions, SharedSubscriptionSplitsMessagesAcrossShards) {
  BrokerProcess broker({}, 2);
  auto a = connect_client(broker, v5("member-a"));
  ASSERT_EQ(a->subscribe("$share/workers/jobs/#", 1), std::vector<int>{1});
  auto b = connect_on_other_shard(broker, MosqConfig{.v5 = true}, "member-b",
                                  *broker.shard_of("member-a"));
  ASSERT_EQ(b->subscribe("$share/workers/jobs/#", 1), std::vector<int>{1});
  auto all = connect_client(broker, v5("all"));
  all->subscribe("jobs/#", 1);
  auto pub = connect_client(broker, v5("pub"));
  constexpr int kJobs = 10;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(pub->publish("jobs/" + std::to_string(i), "j", 1));
  int got_a = 0;
  int got_b = 0;
  while (a->receive(300ms)) ++got_a;
  while (b->receive(300ms)) ++got_b;
  EXPECT_EQ(got_a + got_b, kJobs);
  EXPECT_GT(got_a, 0);
  EXPECT_GT(got_b, 0);
  int got_all = 0;
  while (all->receive(200ms)) ++got_all;
  EXPECT_EQ(got_all, kJobs);
}

TEST(V5Connect, AssignedClientIdentifier) {
  BrokerProcess broker;
  MosqClient c(MosqConfig{.v5 = true});
  ASSERT_TRUE(c.connect(broker.port()));
  EXPECT_EQ(c.assigned_client_id().rfind("ringmq-", 0), 0u) << c.assigned_client_id();
  EXPECT_TRUE(broker.wait_for_log("connect client=" + c.assigned_client_id() + " "));
}

TEST(V5Connect, ServerKeepAliveCapsTheClients) {
  BrokerProcess broker({"--max-keepalive", "5"});
  MosqClient capped(MosqConfig{.id = "capped", .v5 = true, .keepalive = 60});
  ASSERT_TRUE(capped.connect(broker.port()));
  EXPECT_EQ(capped.server_keep_alive(), 5);
  EXPECT_TRUE(broker.wait_for_log("client=capped addr"));
  EXPECT_TRUE(broker.wait_for_log("keepalive=5"));
  MosqClient old(MosqConfig{.id = "old", .keepalive = 60});
  EXPECT_FALSE(old.connect(broker.port()));
  EXPECT_EQ(old.connack_code(), 2);  // 3.1.1 cannot be told: identifier rejected
  MosqClient fine(MosqConfig{.id = "fine", .keepalive = 5});
  EXPECT_TRUE(fine.connect(broker.port()));
  MosqClient no_pings(MosqConfig{.id = "no-pings", .keepalive = 0});
  EXPECT_TRUE(no_pings.connect(broker.port())) << "3.1.1 keep alive 0 is accepted, as Mosquitto";
  MosqClient zero_v5(MosqConfig{.id = "zero-v5", .v5 = true, .keepalive = 0});
  ASSERT_TRUE(zero_v5.connect(broker.port()));
  EXPECT_EQ(zero_v5.server_keep_alive(), 5) << "5.0 keep alive 0 gets the maximum";
}

TEST(V5Expiry, ExpiredRetainedMessageIsNotSent) {
  BrokerProcess broker;
  auto pub = connect_client(broker, v5("pub"));
  MosqPublishProps props;
  props.message_expiry = 1;
  ASSERT_TRUE(pub->publish("short", "lived", 1, true, props));
  ASSERT_TRUE(pub->publish("long", "lived", 1, true));
  std::this_thread::sleep_for(1100ms);
  auto sub = connect_client(broker, v5("sub"));
  sub->subscribe("+", 1);
  const auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "long");
  EXPECT_TRUE(sub->quiet(200ms));
}

TEST(V5Expiry, ExpiredQueuedMessageIsDropped) {
  BrokerProcess broker;
  MosqConfig config{.id = "off", .v5 = true, .clean = false, .session_expiry = 60};
  auto sub = connect_client(broker, config);
  sub->subscribe("q/#", 1);
  sub->disconnect();
  auto pub = connect_client(broker, v5("pub"));
  MosqPublishProps props;
  props.message_expiry = 1;
  ASSERT_TRUE(pub->publish("q/short", "x", 1, false, props));
  props.message_expiry = 100;
  ASSERT_TRUE(pub->publish("q/long", "x", 1, false, props));
  std::this_thread::sleep_for(1100ms);
  auto back = connect_client(broker, config);
  const auto m = back->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "q/long");
  ASSERT_TRUE(m->message_expiry);
  EXPECT_LE(*m->message_expiry, 99u);
  EXPECT_TRUE(back->quiet(200ms));
}

TEST(V5Limits, MessagesOverTheClientsMaximumPacketSizeAreNotSent) {
  BrokerProcess broker;
  auto sub = connect_client(broker, MosqConfig{.id = "small", .v5 = true, .max_packet_size = 100});
  sub->subscribe("size", 1);
  auto pub = connect_client(broker, v5("pub"));
  ASSERT_TRUE(pub->publish("size", std::string(200, 'x'), 1));
  ASSERT_TRUE(pub->publish("size", "fits", 1));
  const auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "fits");
}

TEST(V5Acks, NoMatchingSubscribersReasonCode) {
  BrokerProcess broker;
  auto pub = connect_client(broker, v5("pub"));
  ASSERT_TRUE(pub->publish("nobody/listens", "x", 1));
  EXPECT_EQ(pub->last_publish_reason(), 0x10);
  auto sub = connect_client(broker, v5("sub"));
  sub->subscribe("somebody", 1);
  ASSERT_TRUE(pub->publish("somebody", "x", 1));
  EXPECT_EQ(pub->last_publish_reason(), 0);
}

}  // namespace
}  // namespace rmq::itest
