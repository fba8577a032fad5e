#include "broker/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "broker/outgoing.h"
#include "codec/decode.h"
#include "codec/encode.h"

namespace rmq::broker {
namespace {

using codec::PropertyId;

codec::BinaryView bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A 5.0 PUBLISH carrying every property a server forwards, and some it does not.
struct V5Publish {
  codec::StringPair users[2] = {{"k1", "v1"}, {"k2", "v2"}};
  std::uint32_t ids[1] = {7};
  std::vector<std::uint8_t> wire;
  codec::PublishView view;

  V5Publish() {
    codec::PublishView p;
    p.qos = codec::QoS::kAtLeastOnce;
    p.packet_id = 1;
    p.topic = "a/b";
    p.payload = bytes_of("payload");
    p.properties.payload_format_indicator = 1;
    p.properties.mark(PropertyId::kPayloadFormatIndicator);
    p.properties.message_expiry_interval = 100;
    p.properties.mark(PropertyId::kMessageExpiryInterval);
    p.properties.content_type = "text/plain";
    p.properties.mark(PropertyId::kContentType);
    p.properties.response_topic = "reply/to";
    p.properties.mark(PropertyId::kResponseTopic);
    p.properties.correlation_data = bytes_of("corr");
    p.properties.mark(PropertyId::kCorrelationData);
    p.properties.topic_alias = 3;
    p.properties.mark(PropertyId::kTopicAlias);
    p.properties.user_properties = std::span<const codec::StringPair>(users);
    wire.resize(codec::encoded_size(p, codec::ProtocolVersion::kV5));
    codec::encode(p, codec::ProtocolVersion::kV5, wire);
    // Decode it, so the message is built from wire-backed views as on the data path.
    codec::DecodeOptions options;
    options.version = codec::ProtocolVersion::kV5;
    const codec::DecodeResult r = codec::decode(wire, options);
    EXPECT_EQ(r.status, codec::DecodeStatus::kComplete);
    view = r.packet.as<codec::PublishView>();
  }
};

TEST(Message, KeepsTopicPayloadAndForwardableProperties) {
  V5Publish in;
  MessageFields f;
  f.topic = in.view.topic;
  f.payload = in.view.payload;
  f.qos = in.view.qos;
  f.retain = true;
  f.properties = &in.view.properties;
  f.publisher = Publisher{2, 9};
  const Message m = Message::create(f);
  in.wire.assign(in.wire.size(), 0);  // the message owns its bytes
  EXPECT_EQ(m.topic(), "a/b");
  EXPECT_EQ(std::string(m.payload().begin(), m.payload().end()), "payload");
  EXPECT_EQ(m.qos(), codec::QoS::kAtLeastOnce);
  EXPECT_TRUE(m.retain());
  EXPECT_EQ(m.publisher().shard, 2u);
  EXPECT_EQ(m.publisher().session, 9u);
  const codec::Properties p = m.properties();
  EXPECT_EQ(p.payload_format_indicator, 1);
  EXPECT_EQ(p.message_expiry_interval, 100u);
  EXPECT_EQ(p.content_type, "text/plain");
  EXPECT_EQ(p.response_topic, "reply/to");
  EXPECT_EQ(std::string(p.correlation_data.begin(), p.correlation_data.end()), "corr");
  EXPECT_FALSE(p.has(PropertyId::kTopicAlias));
  std::vector<codec::StringPair> users(p.user_properties.begin(), p.user_properties.end());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0], (codec::StringPair{"k1", "v1"}));
  EXPECT_EQ(users[1], (codec::StringPair{"k2", "v2"}));
  // A copy through encoded_properties (the retained store's path) is the same.
  MessageFields again;
  again.topic = m.topic();
  again.encoded_properties = m.encoded_properties();
  EXPECT_EQ(Message::create(again).properties(), p);
}

TEST(Message, WithoutPropertiesHasNone) {
  MessageFields f;
  f.topic = "t";
  const Message m = Message::create(f);
  EXPECT_TRUE(m.properties().empty());
  EXPECT_EQ(m.encoded_properties().size(), 0u);
  EXPECT_FALSE(m.expiry_interval().has_value());
  EXPECT_FALSE(m.publisher().known());
}

TEST(Message, ExpiryCountsFromArrival) {
  V5Publish in;
  MessageFields f;
  f.topic = "t";
  f.properties = &in.view.properties;
  f.received_at = MonoTime(std::chrono::seconds(1000));
  const Message m = Message::create(f);
  EXPECT_EQ(m.expiry_interval(), 100u);
  EXPECT_EQ(m.remaining_expiry(MonoTime(std::chrono::seconds(1030))), 70u);
  EXPECT_FALSE(m.expired(MonoTime(std::chrono::seconds(1099))));
  EXPECT_TRUE(m.expired(MonoTime(std::chrono::seconds(1100))));
}

codec::PublishView decode_publish(const SharedBytes& bytes, codec::ProtocolVersion v) {
  codec::DecodeOptions options;
  options.version = v;
  const codec::DecodeResult r =
      codec::decode({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, options);
  EXPECT_EQ(r.status, codec::DecodeStatus::kComplete);
  return r.packet.as<codec::PublishView>();
}

TEST(EncodePublish, PerLayout) {
  V5Publish in;
  MessageFields f;
  f.topic = in.view.topic;
  f.payload = in.view.payload;
  f.properties = &in.view.properties;
  f.received_at = MonoTime(std::chrono::seconds(10));
  const Message m = Message::create(f);
  const std::uint32_t ids[] = {4, 5};
  PublishLayout layout;
  layout.version = codec::ProtocolVersion::kV5;
  layout.qos = codec::QoS::kExactlyOnce;
  layout.dup = true;
  layout.packet_id = 42;
  layout.subscription_ids = ids;
  layout.topic_alias = 2;
  layout.omit_topic = true;
  const SharedBytes v5 = encode_publish(m, layout, MonoTime(std::chrono::seconds(40)), 0);
  ASSERT_FALSE(v5.empty());
  const codec::PublishView out = decode_publish(v5, codec::ProtocolVersion::kV5);
  EXPECT_TRUE(out.dup);
  EXPECT_EQ(out.qos, codec::QoS::kExactlyOnce);
  EXPECT_EQ(out.packet_id, 42);
  EXPECT_EQ(out.topic, "");
  EXPECT_EQ(out.properties.topic_alias, 2);
  EXPECT_EQ(out.properties.message_expiry_interval, 70u);  // 100 s minus 30 s waited
  EXPECT_EQ(out.properties.subscription_identifiers.size(), 2u);
  EXPECT_EQ(out.properties.content_type, "text/plain");
  EXPECT_EQ(out.properties.user_properties.size(), 2u);

  layout.version = codec::ProtocolVersion::kV311;
  layout.omit_topic = false;
  const SharedBytes v3 = encode_publish(m, layout, MonoTime(std::chrono::seconds(40)), 0);
  const codec::PublishView out3 = decode_publish(v3, codec::ProtocolVersion::kV311);
  EXPECT_EQ(out3.topic, "a/b");
  EXPECT_TRUE(out3.properties.empty());
  EXPECT_EQ(std::string(out3.payload.begin(), out3.payload.end()), "payload");
}

TEST(EncodePublish, RefusesOverTheReceiversMaximumPacketSize) {
  MessageFields f;
  f.topic = "t";
  const std::string payload(100, 'x');
  f.payload = bytes_of(payload);
  const Message m = Message::create(f);
  PublishLayout layout;
  EXPECT_TRUE(encode_publish(m, layout, MonoTime(), 50).empty());
  EXPECT_FALSE(encode_publish(m, layout, MonoTime(), 200).empty());
  EXPECT_FALSE(encode_publish(m, layout, MonoTime(), 0).empty());
}

// The 3.1.1 QoS 0 PUBLISH kept in the message block is the packet encode_publish would write, at
// every remaining-length size (1 to 3 bytes of variable integer), whatever the message's own
// RETAIN, QoS and properties, and it shares the message's block.
TEST(Message, HoldsItsV311Qos0Packet) {
  for (const std::size_t payload_size : {0, 1, 120, 125, 126, 1024, 16'381, 16'382, 100'000}) {
    for (const bool retain : {false, true}) {
      const std::string payload(payload_size, 'p');
      V5Publish v5;
      MessageFields f;
      f.topic = "a/b";
      f.payload = bytes_of(payload);
      f.qos = codec::QoS::kExactlyOnce;
      f.retain = retain;
      f.properties = &v5.view.properties;
      const Message m = Message::create(f);
      const SharedBytes packet = m.v311_qos0_packet();
      ASSERT_FALSE(packet.empty()) << payload_size;
      EXPECT_EQ(m.bytes().use_count(), 2u) << "a slice of the message's block, not a copy";
      const SharedBytes encoded = encode_publish(m, PublishLayout{}, MonoTime(), 0);
      ASSERT_EQ(packet.view(), encoded.view()) << payload_size;
      const codec::PublishView out = decode_publish(packet, codec::ProtocolVersion::kV311);
      EXPECT_EQ(out.topic, "a/b");
      EXPECT_EQ(out.payload.size(), payload_size);
      EXPECT_EQ(out.qos, codec::QoS::kAtMostOnce);
      EXPECT_FALSE(out.retain);
      EXPECT_FALSE(out.dup);
      // The message itself still reads back whole.
      EXPECT_EQ(m.topic(), "a/b");
      EXPECT_EQ(m.payload().size(), payload_size);
      EXPECT_EQ(m.retain(), retain);
      EXPECT_EQ(m.properties().content_type, "text/plain");
    }
  }
}

TEST(Message, V311Qos0PacketOfAnEmptyTopic) {
  MessageFields f;  // a message with no topic (only ever built internally) still frames
  const Message m = Message::create(f);
  const SharedBytes packet = m.v311_qos0_packet();
  ASSERT_EQ(packet.size(), 4u);
  EXPECT_EQ(static_cast<std::uint8_t>(packet.data()[0]), 0x30);
  EXPECT_EQ(static_cast<std::uint8_t>(packet.data()[1]), 2);
}

TEST(EncodeControl, AcksAndDisconnect) {
  const SharedBytes puback = encode_ack(codec::PacketType::kPuback, 7, codec::ReasonCode::kSuccess,
                                        codec::ProtocolVersion::kV311);
  ASSERT_EQ(puback.size(), 4u);
  EXPECT_EQ(static_cast<std::uint8_t>(puback.data()[0]), 0x40);
  const SharedBytes disconnect =
      encode_disconnect(codec::ReasonCode::kSessionTakenOver, codec::ProtocolVersion::kV5);
  ASSERT_GE(disconnect.size(), 3u);
  EXPECT_EQ(static_cast<std::uint8_t>(disconnect.data()[2]), 0x8E);
  EXPECT_EQ(encode_pingresp().size(), 2u);
}

}  // namespace
}  // namespace rmq::broker
