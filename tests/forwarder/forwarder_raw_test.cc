// ringmq-forwarder at the byte level: forwarded bytes, acks, the version conversion, PINGREQ,
// UNSUBSCRIBE, malformed input and a clean exit on SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>

#include <string>
#include <utility>

#include "forwarder_process.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using codec::PacketType;
using codec::ProtocolVersion;
using codec::QoS;

constexpr ProtocolVersion kV3 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

class ForwarderRawTest : public ::testing::Test {
 protected:
  std::unique_ptr<RawClient> client(const std::string& id, ProtocolVersion version = kV3) {
    auto c = std::make_unique<RawClient>(forwarder_.port(), version);
    EXPECT_TRUE(c->connect(id)) << id;
    return c;
  }

  ForwarderProcess forwarder_;
};

TEST_F(ForwarderRawTest, EverySubscriberGetsThePublishersBytesUnchanged) {
  auto sub1 = client("s1");
  auto sub2 = client("s2");
  ASSERT_TRUE(sub1->subscribe("b/x", QoS::kAtLeastOnce));
  ASSERT_TRUE(sub2->subscribe("b/#", QoS::kAtMostOnce));
  auto pub = client("p");
  const Bytes sent = publish_bytes("b/x", "payload", QoS::kAtLeastOnce, 77, kV3);
  ASSERT_TRUE(pub->send(sent));
  const auto puback = pub->read();
  ASSERT_TRUE(puback);
  EXPECT_EQ(puback->type(), PacketType::kPuback);
  EXPECT_EQ(puback->ack().packet_id, 77);
  for (RawClient* sub : {sub1.get(), sub2.get()}) {
    const auto got = sub->read();
    ASSERT_TRUE(got);
    EXPECT_EQ(got->bytes, sent);  // packet id and QoS verbatim
  }
}

TEST_F(ForwarderRawTest, PublishIsConvertedBetweenVersions) {
  auto sub5 = client("s5", kV5);
  auto sub3 = client("s3", kV3);
  ASSERT_TRUE(sub5->subscribe("v", QoS::kAtMostOnce));
  ASSERT_TRUE(sub3->subscribe("v", QoS::kAtMostOnce));
  auto pub3 = client("p3", kV3);
  auto pub5 = client("p5", kV5);
  for (auto [pub, payload] : {std::pair{pub3.get(), "from3"}, std::pair{pub5.get(), "from5"}}) {
    ASSERT_TRUE(pub->send(publish_bytes("v", payload, QoS::kAtMostOnce, 0, pub->version())));
    for (RawClient* sub : {sub5.get(), sub3.get()}) {
      const auto got = sub->read();  // decoded as the subscriber's version
      ASSERT_TRUE(got && got->type() == PacketType::kPublish) << payload;
      EXPECT_EQ(got->publish().topic, "v");
      EXPECT_EQ(payload_of(got->publish()), payload);
    }
  }
}

TEST_F(ForwarderRawTest, QoS2FlowsCompleteOnBothSides) {
  auto sub = client("s");
  ASSERT_TRUE(sub->subscribe("two", QoS::kExactlyOnce));
  auto pub = client("p");
  ASSERT_TRUE(pub->send(publish_bytes("two", "x", QoS::kExactlyOnce, 5, kV3)));
  auto reply = pub->read();
  ASSERT_TRUE(reply && reply->type() == PacketType::kPubrec);
  ASSERT_TRUE(pub->send(ack_bytes(PacketType::kPubrel, 5, kV3)));
  reply = pub->read();
  ASSERT_TRUE(reply && reply->type() == PacketType::kPubcomp);
  EXPECT_EQ(reply->ack().packet_id, 5);

  const auto got = sub->read();
  ASSERT_TRUE(got && got->type() == PacketType::kPublish);
  ASSERT_TRUE(sub->send(ack_bytes(PacketType::kPubrec, 5, kV3)));
  const auto pubrel = sub->read();
  ASSERT_TRUE(pubrel && pubrel->type() == PacketType::kPubrel);
  EXPECT_EQ(pubrel->ack().packet_id, 5);
}

TEST_F(ForwarderRawTest, PingAndUnsubscribe) {
  auto sub = client("s");
  ASSERT_TRUE(sub->subscribe("u", QoS::kAtMostOnce));
  ASSERT_TRUE(sub->send({0xC0, 0x00}));
  const auto pong = sub->read();
  ASSERT_TRUE(pong && pong->type() == PacketType::kPingresp);
  ASSERT_TRUE(sub->send({0xA2, 0x05, 0x00, 0x09, 0x00, 0x01, 'u'}));
  const auto unsuback = sub->read();
  ASSERT_TRUE(unsuback && unsuback->type() == PacketType::kUnsuback);
  EXPECT_EQ(unsuback->ack().packet_id, 9);
  auto pub = client("p");
  ASSERT_TRUE(pub->send(publish_bytes("u", "gone", QoS::kAtMostOnce, 0, kV3)));
  EXPECT_FALSE(sub->read(300ms));
}

TEST_F(ForwarderRawTest, MalformedPublishClosesThatConnectionOnly) {
  auto other = client("other");
  auto bad = client("bad");
  ASSERT_TRUE(bad->send({0x30, 0x02, 0x00, 0x05}));  // topic length beyond the packet
  EXPECT_TRUE(bad->closed());
  EXPECT_TRUE(forwarder_.wait_for_log("malformed PUBLISH"));
  ASSERT_TRUE(other->send({0xC0, 0x00}));
  const auto pong = other->read();
  EXPECT_TRUE(pong && pong->type() == PacketType::kPingresp);
}

TEST_F(ForwarderRawTest, FirstPacketMustBeConnect) {
  RawClient raw(forwarder_.port(), kV3);
  ASSERT_TRUE(raw.send({0xC0, 0x00}));
  EXPECT_TRUE(raw.closed());
  EXPECT_TRUE(forwarder_.wait_for_log("first packet is not CONNECT"));
}

TEST_F(ForwarderRawTest, SigtermExitsZero) {
  auto c = client("c");
  EXPECT_EQ(forwarder_.stop(SIGTERM), 0);
  EXPECT_TRUE(c->closed());
}

}  // namespace
}  // namespace rmq::itest
