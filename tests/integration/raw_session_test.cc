// Session behaviour checked on the wire with raw sockets: keep alive timeout, exactly-once QoS 2
// inbound, retransmission on resume, the client's Receive Maximum, and topic aliases both ways.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "itest_util.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using codec::PacketType;
using codec::ProtocolVersion;
using codec::QoS;
constexpr auto kV5 = ProtocolVersion::kV5;
constexpr auto kV311 = ProtocolVersion::kV311;

class KeepAlive : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(KeepAlive, SilentClientIsClosedAfterOneAndAHalfIntervals) {
  BrokerProcess broker;
  auto watcher = connect_client(broker, MosqConfig{.id = "w"});
  watcher->subscribe("will", 0);
  RawClient raw(broker.port(), GetParam());
  codec::ConnectView c;
  c.client_id = "sleepy";
  c.keep_alive = 1;
  codec::WillView will;
  will.topic = "will";
  c.will = will;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(raw.handshake(c));
  ASSERT_TRUE(raw.closed(4s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 1400ms);
  EXPECT_LE(took, 3000ms);
  if (GetParam() == kV5) {
    ASSERT_TRUE(raw.last());
    EXPECT_EQ(raw.last()->disconnect().reason_code, codec::ReasonCode::kKeepAliveTimeout);
  } else {
    EXPECT_FALSE(raw.last());
  }
  EXPECT_TRUE(watcher->receive().has_value());  // the will fires on a keep alive timeout
  EXPECT_TRUE(broker.wait_for_log("reason=keep alive timeout"));
}

TEST_P(KeepAlive, PingreqKeepsTheConnectionOpen) {
  BrokerProcess broker;
  RawClient raw(broker.port(), GetParam());
  ASSERT_TRUE(raw.connect("pinger", true, 1));
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(600ms);
    ASSERT_TRUE(raw.send({0xc0, 0x00}));
    const auto pong = raw.read();
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->type(), PacketType::kPingresp);
  }
}

INSTANTIATE_TEST_SUITE_P(Versions, KeepAlive, ::testing::Values(kV311, kV5));

class RawQos : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(RawQos, RetransmittedQos2PublishIsDeliveredOnce) {
  BrokerProcess broker;
  auto sub = connect_client(broker, MosqConfig{.id = "sub"});
  sub->subscribe("once", 2);
  RawClient raw(broker.port(), GetParam());
  ASSERT_TRUE(raw.connect("pub"));
  raw.send(publish_bytes("once", "a", QoS::kExactlyOnce, 7, GetParam()));
  auto rec = raw.read();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->type(), PacketType::kPubrec);
  raw.send(publish_bytes("once", "a", QoS::kExactlyOnce, 7, GetParam(), /*dup=*/true));
  rec = raw.read();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->type(), PacketType::kPubrec);
  EXPECT_EQ(rec->ack().packet_id, 7);
  raw.send(ack_bytes(PacketType::kPubrel, 7, GetParam()));
  const auto comp = raw.read();
  ASSERT_TRUE(comp);
  EXPECT_EQ(comp->type(), PacketType::kPubcomp);
  // After PUBREL the identifier is free: the same id carries a new message.
  raw.send(publish_bytes("once", "b", QoS::kExactlyOnce, 7, GetParam()));
  ASSERT_TRUE(raw.read());
  const auto first = sub->receive();
  const auto second = sub->receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->payload, "a");
  EXPECT_EQ(second->payload, "b");
  EXPECT_TRUE(sub->quiet());
}

TEST_P(RawQos, UnacknowledgedPublishAndPubrelAreResentOnResume) {
  const ProtocolVersion v = GetParam();
  BrokerProcess broker;
  codec::Properties props;
  if (v == kV5) {
    props.session_expiry_interval = 60;
    props.mark(codec::PropertyId::kSessionExpiryInterval);
  }
  auto raw = std::make_unique<RawClient>(broker.port(), v);
  ASSERT_TRUE(raw->connect("resumer", false, 60, props));
  ASSERT_TRUE(raw->subscribe("r/#", QoS::kExactlyOnce));
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  ASSERT_TRUE(pub->publish("r/1", "one", 1));
  ASSERT_TRUE(pub->publish("r/2", "two", 2));
  const auto p1 = raw->read();
  const auto p2 = raw->read();
  ASSERT_TRUE(p1 && p2);
  EXPECT_FALSE(p1->publish().dup);
  const std::uint16_t id1 = p1->publish().packet_id;
  const std::uint16_t id2 = p2->publish().packet_id;
  raw->send(ack_bytes(PacketType::kPubrec, id2, v));  // QoS 2 half done; QoS 1 not acked
  const auto rel = raw->read();
  ASSERT_TRUE(rel);
  EXPECT_EQ(rel->type(), PacketType::kPubrel);
  raw.reset();  // gone without PUBACK and PUBCOMP

  RawClient again(broker.port(), v);
  codec::ConnectView c;
  c.client_id = "resumer";
  c.clean_start = false;
  c.properties = props;
  const auto connack = again.handshake(c);
  ASSERT_TRUE(connack);
  EXPECT_TRUE(connack->connack().session_present);
  const auto resent = again.read();
  ASSERT_TRUE(resent);
  ASSERT_EQ(resent->type(), PacketType::kPublish);
  EXPECT_TRUE(resent->publish().dup);
  EXPECT_EQ(resent->publish().packet_id, id1);
  EXPECT_EQ(payload_of(resent->publish()), "one");
  const auto rel_again = again.read();
  ASSERT_TRUE(rel_again);
  EXPECT_EQ(rel_again->type(), PacketType::kPubrel);
  EXPECT_EQ(rel_again->ack().packet_id, id2);
  again.send(ack_bytes(PacketType::kPuback, id1, v));
  again.send(ack_bytes(PacketType::kPubcomp, id2, v));
  EXPECT_FALSE(again.read(300ms));
}

INSTANTIATE_TEST_SUITE_P(Versions, RawQos, ::testing::Values(kV311, kV5));

TEST(RawV5, ClientReceiveMaximumBoundsInflight) {
  BrokerProcess broker;
  RawClient raw(broker.port(), kV5);
  codec::Properties props;
  props.receive_maximum = 2;
  props.mark(codec::PropertyId::kReceiveMaximum);
  ASSERT_TRUE(raw.connect("slow", true, 60, props));
  ASSERT_TRUE(raw.subscribe("rm", QoS::kAtLeastOnce));
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(pub->publish("rm", std::to_string(i), 1));
  const auto a = raw.read();
  const auto b = raw.read();
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(raw.read(300ms)) << "a third PUBLISH while two are unacknowledged";
  raw.send(ack_bytes(PacketType::kPuback, a->publish().packet_id, kV5));
  const auto c = raw.read();
  ASSERT_TRUE(c);
  EXPECT_EQ(payload_of(c->publish()), "2");
  EXPECT_FALSE(raw.read(300ms));
}

TEST(RawV5, OutboundTopicAliases) {
  BrokerProcess broker;
  RawClient raw(broker.port(), kV5);
  codec::Properties props;
  props.topic_alias_maximum = 2;
  props.mark(codec::PropertyId::kTopicAliasMaximum);
  ASSERT_TRUE(raw.connect("aliased", true, 60, props));
  ASSERT_TRUE(raw.subscribe("al/#", QoS::kAtMostOnce));
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  struct Want {
    const char* sent;
    const char* topic;
    std::uint16_t alias;
  };
  const Want wants[] = {{"al/a", "al/a", 1}, {"al/a", "", 1}, {"al/b", "al/b", 2},
                        {"al/c", "al/c", 0}, {"al/b", "", 2}, {"al/c", "al/c", 0}};
  for (const Want& w : wants) ASSERT_TRUE(pub->publish(w.sent, w.sent, 0));
  for (const Want& w : wants) {
    const auto p = raw.read();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->publish().topic, w.topic);
    EXPECT_EQ(p->publish().properties.topic_alias, w.alias);
    EXPECT_EQ(payload_of(p->publish()), w.sent);
  }
}

TEST(RawV5, InboundTopicAlias) {
  BrokerProcess broker;
  auto sub = connect_client(broker, MosqConfig{.id = "sub"});
  sub->subscribe("in/#", 0);
  RawClient raw(broker.port(), kV5);
  ASSERT_TRUE(raw.connect("aliaser"));
  codec::PublishView p;
  p.topic = "in/x";
  p.properties.topic_alias = 3;
  p.properties.mark(codec::PropertyId::kTopicAlias);
  const std::string payload = "x";
  p.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  raw.send(publish_bytes(p, kV5));
  p.topic = "";
  raw.send(publish_bytes(p, kV5));
  for (int i = 0; i < 2; ++i) {
    const auto m = sub->receive();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->topic, "in/x");
  }
}

TEST(RawV5, ConnackAnnouncesTheServersLimits) {
  BrokerProcess broker({"--max-inflight", "33", "--max-packet-size", "4096"});
  RawClient raw(broker.port(), kV5);
  codec::ConnectView c;
  c.client_id = "";
  const auto connack = raw.handshake(c);
  ASSERT_TRUE(connack);
  const codec::Properties& p = connack->connack().properties;
  EXPECT_EQ(p.receive_maximum, 33);
  EXPECT_EQ(p.maximum_packet_size, 4096u);
  EXPECT_GT(p.topic_alias_maximum, 0);
  EXPECT_TRUE(p.has(codec::PropertyId::kRetainAvailable));
  EXPECT_EQ(p.wildcard_subscription_available, 1);
  EXPECT_EQ(p.subscription_identifier_available, 1);
  EXPECT_EQ(p.shared_subscription_available, 1);
  EXPECT_FALSE(p.has(codec::PropertyId::kMaximumQoS));  // QoS 2 is supported
  EXPECT_FALSE(p.assigned_client_identifier.empty());
}

// libmosquitto cannot send this CONNECT (it requires an id with clean session 0).
TEST(RawV5, EmptyIdentifierWithCleanStart0GetsAnIdAndAPersistentSession) {
  BrokerProcess broker;
  std::string id;
  {
    RawClient raw(broker.port(), kV5);
    codec::ConnectView c;
    c.client_id = "";
    c.clean_start = false;
    c.properties.session_expiry_interval = 300;
    c.properties.mark(codec::PropertyId::kSessionExpiryInterval);
    const auto connack = raw.handshake(c);
    ASSERT_TRUE(connack);
    ASSERT_EQ(connack->connack().reason_code, 0) << "MQTT-3.1.3-6: not refused in 5.0";
    id = std::string(connack->connack().properties.assigned_client_identifier);
    ASSERT_FALSE(id.empty());
    ASSERT_TRUE(raw.subscribe("kept", codec::QoS::kAtLeastOnce));
  }
  ASSERT_TRUE(broker.wait_for_log("disconnect client=" + id + " "));
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = true});
  ASSERT_TRUE(pub->publish("kept", "while away", 1));
  MosqClient back(MosqConfig{.id = id, .v5 = true, .clean = false, .session_expiry = 300});
  ASSERT_TRUE(back.connect(broker.port()));
  EXPECT_TRUE(back.session_present()) << "the session lives on under the assigned identifier";
  const auto m = back.receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "while away");
}

// Reason Strings (5.0 3.4.2.2.2 and alike): on every acknowledgement with a failure code (0x80 and
// above), unless the client asked for none or they would not fit its packet size.
TEST(RawV5, AcknowledgementsCarryReasonStrings) {
  BrokerProcess broker({"--deny-subscribe", "no/go"});
  RawClient raw(broker.port(), kV5);
  ASSERT_TRUE(raw.connect("diag"));
  raw.send(publish_bytes("$SYS/x", "x", QoS::kAtLeastOnce, 1, kV5));
  auto ack = raw.read();
  ASSERT_TRUE(ack && ack->type() == PacketType::kPuback);
  EXPECT_EQ(ack->ack().reason_code, codec::ReasonCode::kNotAuthorized);
  EXPECT_EQ(ack->ack().properties.reason_string, "Not authorized");
  raw.send(publish_bytes("nobody/here", "x", QoS::kAtLeastOnce, 2, kV5));
  ack = raw.read();
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->ack().reason_code, codec::ReasonCode::kNoMatchingSubscribers);
  EXPECT_TRUE(ack->ack().properties.reason_string.empty()) << "success-class codes stay plain";
  EXPECT_LE(ack->bytes.size(), 6u) << "remaining length at most 4: id, code, empty properties";
  raw.send(subscribe_bytes("no/go", QoS::kAtLeastOnce, 3, kV5));
  const auto suback = raw.read();
  ASSERT_TRUE(suback && suback->type() == PacketType::kSuback);
  EXPECT_FALSE(suback->view.as<codec::SubackView>().properties.reason_string.empty());
  raw.send(ack_bytes(PacketType::kPubrel, 77, kV5));
  const auto pubcomp = raw.read();
  ASSERT_TRUE(pubcomp && pubcomp->type() == PacketType::kPubcomp);
  EXPECT_EQ(pubcomp->ack().reason_code, codec::ReasonCode::kPacketIdentifierNotFound);
  EXPECT_EQ(pubcomp->ack().properties.reason_string, "Packet Identifier not found");
  // A protocol error: DISCONNECT with the code and what went wrong.
  codec::PublishView p;
  p.topic = "t";
  p.properties.topic_alias = 0;
  p.properties.mark(codec::PropertyId::kTopicAlias);
  raw.send(publish_bytes(p, kV5));
  ASSERT_TRUE(raw.closed());
  ASSERT_TRUE(raw.last() && raw.last()->type() == PacketType::kDisconnect);
  EXPECT_EQ(raw.last()->disconnect().reason_code, codec::ReasonCode::kTopicAliasInvalid);
  EXPECT_EQ(raw.last()->disconnect().properties.reason_string, "Topic Alias 0");
}

TEST(RawV5, NoReasonStringsWhenTheClientAsksForNoneOrTheyDoNotFit) {
  BrokerProcess broker;
  for (const bool small : {false, true}) {
    RawClient raw(broker.port(), kV5);
    codec::Properties props;
    if (small) {
      props.maximum_packet_size = 12;  // room for a PUBACK with a code, not for a string
      props.mark(codec::PropertyId::kMaximumPacketSize);
    } else {
      props.request_problem_information = 0;
      props.mark(codec::PropertyId::kRequestProblemInformation);
    }
    ASSERT_TRUE(raw.connect(small ? "small" : "quiet", true, 60, props));
    raw.send(publish_bytes("$SYS/x", "x", QoS::kAtLeastOnce, 1, kV5));
    const auto ack = raw.read();
    ASSERT_TRUE(ack && ack->type() == PacketType::kPuback);
    EXPECT_EQ(ack->ack().reason_code, codec::ReasonCode::kNotAuthorized);
    EXPECT_TRUE(ack->ack().properties.reason_string.empty()) << (small ? "too small" : "asked");
  }
}

TEST(RawV5, RefusedConnackCarriesAReasonString) {
  BrokerProcess broker;
  RawClient raw(broker.port(), kV5);
  codec::ConnectView c;
  c.client_id = "enhanced";
  c.properties.authentication_method = "SCRAM-SHA-1";
  c.properties.mark(codec::PropertyId::kAuthenticationMethod);
  const auto connack = raw.handshake(c);
  ASSERT_TRUE(connack);
  EXPECT_EQ(connack->connack().reason_code, 0x8C);
  EXPECT_EQ(connack->connack().properties.reason_string, "unsupported authentication method");
}

TEST(RawV5, DisconnectCanShortenTheSessionExpiry) {
  BrokerProcess broker;
  codec::Properties props;
  props.session_expiry_interval = 60;
  props.mark(codec::PropertyId::kSessionExpiryInterval);
  {
    RawClient raw(broker.port(), kV5);
    ASSERT_TRUE(raw.connect("shortened", false, 60, props));
    ASSERT_TRUE(raw.subscribe("t", QoS::kAtLeastOnce));
    // DISCONNECT, reason 0, Session Expiry Interval 0: the session ends now.
    raw.send({0xe0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x00});
    ASSERT_TRUE(raw.closed());
  }
  RawClient again(broker.port(), kV5);
  codec::ConnectView c;
  c.client_id = "shortened";
  c.clean_start = false;
  c.properties = props;
  const auto connack = again.handshake(c);
  ASSERT_TRUE(connack);
  EXPECT_FALSE(connack->connack().session_present);
}

TEST(Raw311, SessionExpiryFlagForCleanSessionZero) {
  BrokerProcess broker({"--v311-session-expiry", "1"});
  {
    RawClient raw(broker.port(), kV311);
    ASSERT_TRUE(raw.connect("old", false));
    raw.send({0xe0, 0x00});
    ASSERT_TRUE(raw.closed());
  }
  RawClient soon(broker.port(), kV311);
  codec::ConnectView c;
  c.client_id = "old";
  c.clean_start = false;
  auto connack = soon.handshake(c);
  ASSERT_TRUE(connack);
  EXPECT_TRUE(connack->connack().session_present);  // within the second
  soon.send({0xe0, 0x00});
  ASSERT_TRUE(soon.closed());
  std::this_thread::sleep_for(1500ms);
  RawClient late(broker.port(), kV311);
  connack = late.handshake(c);
  ASSERT_TRUE(connack);
  EXPECT_FALSE(connack->connack().session_present);
}

class RawUnsubscribe : public ::testing::TestWithParam<ProtocolVersion> {};

TEST_P(RawUnsubscribe, UnsubackAndNoMoreMessages) {
  const ProtocolVersion v = GetParam();
  BrokerProcess broker;
  RawClient raw(broker.port(), v);
  ASSERT_TRUE(raw.connect("unsub"));
  ASSERT_TRUE(raw.subscribe("u/+", QoS::kAtMostOnce));
  // UNSUBSCRIBE packet id 2: "u/+" (subscribed) and "never" (not).
  Bytes unsubscribe = {0xa2, 0x00, 0x00, 0x02};
  if (v == kV5) unsubscribe.push_back(0x00);  // property length
  for (const char* filter : {"u/+", "never"}) {
    const std::string f = filter;
    unsubscribe.push_back(0x00);
    unsubscribe.push_back(static_cast<std::uint8_t>(f.size()));
    unsubscribe.insert(unsubscribe.end(), f.begin(), f.end());
  }
  unsubscribe[1] = static_cast<std::uint8_t>(unsubscribe.size() - 2);
  raw.send(unsubscribe);
  const auto ack = raw.read();
  ASSERT_TRUE(ack);
  ASSERT_EQ(ack->type(), PacketType::kUnsuback);
  const auto& codes = ack->view.as<codec::SubackView>().reason_codes;
  if (v == kV5) {
    ASSERT_EQ(codes.size(), 2u);
    EXPECT_EQ(codes[0], 0x00);
    EXPECT_EQ(codes[1], 0x11);  // No subscription existed
  } else {
    EXPECT_TRUE(codes.empty());
  }
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  ASSERT_TRUE(pub->publish("u/1", "x", 0));
  EXPECT_FALSE(raw.read(300ms));
}

INSTANTIATE_TEST_SUITE_P(Versions, RawUnsubscribe, ::testing::Values(kV311, kV5));

TEST(SlowSubscriber, Qos0IsDroppedAndCountedOthersKeepWorking) {
  BrokerProcess broker({"--send-queue-soft-limit", "65536", "--sys-interval", "1"});
  RawClient slow(broker.port(), kV311, 4096);
  ASSERT_TRUE(slow.connect("slow"));
  ASSERT_TRUE(slow.subscribe("flood", QoS::kAtMostOnce));  // and never reads again
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  const std::string payload(8192, 'x');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(pub->publish("flood", payload, 0));
  auto other = connect_client(broker, MosqConfig{.id = "other"});
  ASSERT_EQ(other->subscribe("$SYS/broker/publish/messages/dropped", 0), std::vector<int>{0});
  bool counted = false;
  for (int i = 0; i < 4 && !counted; ++i) {
    const auto m = other->receive(2s);
    counted = m && m->payload != "0";
  }
  EXPECT_TRUE(counted) << "no QoS 0 drop counted";
  ASSERT_TRUE(pub->publish("$SYS-free/check", "x", 1));  // the broker still answers
}

TEST(SlowSubscriber, StuckPastTheTimeoutIsDisconnected) {
  BrokerProcess broker({"--send-queue-soft-limit", "65536", "--slow-subscriber-timeout", "1"});
  RawClient slow(broker.port(), kV311, 4096);
  ASSERT_TRUE(slow.connect("stuck"));
  ASSERT_TRUE(slow.subscribe("flood", QoS::kAtMostOnce));
  auto pub = connect_client(broker, MosqConfig{.id = "pub"});
  const std::string payload(8192, 'x');
  const auto start = std::chrono::steady_clock::now();
  while (broker.log().find("reason=slow subscriber") == std::string::npos) {
    ASSERT_LT(std::chrono::steady_clock::now() - start, 10s) << broker.log();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(pub->publish("flood", payload, 0));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, 900ms);
  EXPECT_TRUE(broker.wait_for_log("disconnect client=stuck"));
}

}  // namespace
}  // namespace rmq::itest
