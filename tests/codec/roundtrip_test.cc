// decode(encode(x)) == x for every sample packet of every version, with exact sizes and safe
// failure on short buffers; 3.1.1 encodings of 5.0 packets drop what 3.1.1 lacks; and a few
// packets checked both ways against bytes written out from the specifications' examples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codec/decode.h"
#include "codec/encode.h"
#include "codec/packets.h"
#include "tests/codec/sample_packets.h"

namespace rmq::codec {
namespace {

using Bytes = std::vector<std::uint8_t>;
using testing::SamplePacket;
constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

DecodeResult decode_as(std::span<const std::uint8_t> bytes, ProtocolVersion v) {
  DecodeOptions options;
  options.version = v;
  return decode(bytes, options);
}

class RoundTrip : public ::testing::TestWithParam<SamplePacket> {};

TEST_P(RoundTrip, DecodeOfEncodeGivesThePacketBack) {
  const SamplePacket& sample = GetParam();
  const std::size_t size = encoded_size(sample.packet, sample.version);
  ASSERT_GT(size, 0u);
  Bytes bytes(size);
  ASSERT_EQ(encode(sample.packet, sample.version, bytes), size);

  const DecodeResult result = decode_as(bytes, sample.version);
  ASSERT_EQ(result.status, DecodeStatus::kComplete)
      << result.error.statement << ": " << result.error.what;
  EXPECT_EQ(result.consumed, size);
  EXPECT_EQ(result.packet.type, sample.packet.type);
  EXPECT_TRUE(result.packet == sample.packet);

  // Re-encoding the decoded view (lists now backed by wire bytes) gives the same bytes.
  Bytes again(encoded_size(result.packet, sample.version));
  ASSERT_EQ(encode(result.packet, sample.version, again), again.size());
  EXPECT_EQ(again, bytes);
}

TEST_P(RoundTrip, OneByteTooSmallReturnsZeroAndWritesNothingPastTheBuffer) {
  const SamplePacket& sample = GetParam();
  const std::size_t size = encoded_size(sample.packet, sample.version);
  ASSERT_GT(size, 0u);
  constexpr std::uint8_t kGuard = 0xA5;
  Bytes buffer(size + 16, kGuard);
  const std::span<std::uint8_t> too_small = std::span<std::uint8_t>(buffer).first(size - 1);
  EXPECT_EQ(encode(sample.packet, sample.version, too_small), 0u);
  EXPECT_TRUE(std::all_of(buffer.begin() + static_cast<std::ptrdiff_t>(size - 1), buffer.end(),
                          [](std::uint8_t b) { return b == kGuard; }));
  EXPECT_EQ(encode(sample.packet, sample.version, std::span<std::uint8_t>()), 0u);
}

TEST_P(RoundTrip, EveryTruncationNeedsMore) {
  const SamplePacket& sample = GetParam();
  const Bytes bytes = testing::encode_sample(sample);
  ASSERT_FALSE(bytes.empty());
  // Every prefix of small packets; the first and last few of large ones.
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    if (n == 64 && bytes.size() > 128) n = bytes.size() - 64;
    const DecodeResult r = decode_as(std::span(bytes).first(n), sample.version);
    ASSERT_EQ(r.status, DecodeStatus::kNeedMore) << "prefix " << n;
    EXPECT_EQ(r.consumed, 0u);
  }
}

std::string sample_name(const ::testing::TestParamInfo<SamplePacket>& info) {
  return info.param.name;
}

INSTANTIATE_TEST_SUITE_P(AllSamples, RoundTrip, ::testing::ValuesIn(testing::all_sample_packets()),
                         sample_name);

// What a 3.1.1 peer receives when a 5.0 packet is encoded for it, or nullopt when the packet
// does not exist in 3.1.1 or carries values 3.1.1 cannot express (the caller must translate
// those, encode does not).
std::optional<PacketView> as_v311(const PacketView& packet) {
  PacketView out = packet;
  const auto strip = [](auto& view) {
    if constexpr (requires { view.properties = Properties{}; }) view.properties = Properties{};
    if constexpr (requires { view.reason_code = ReasonCode::kSuccess; }) {
      view.reason_code = ReasonCode::kSuccess;
    }
  };
  switch (packet.type) {
    case PacketType::kConnect: {
      auto& c = std::get<ConnectView>(out.body);
      if (c.password && !c.username) return std::nullopt;  // [MQTT-3.1.2-22]
      c.version = kV311;
      c.properties = Properties{};
      if (c.will) c.will->properties = Properties{};
      return out;
    }
    case PacketType::kConnack: {
      auto& c = std::get<ConnackView>(out.body);
      if (c.reason_code > 5) return std::nullopt;
      c.properties = Properties{};
      return out;
    }
    case PacketType::kPublish: {
      auto& p = std::get<PublishView>(out.body);
      if (p.topic.empty()) return std::nullopt;  // topic alias only
      p.properties = Properties{};
      return out;
    }
    case PacketType::kSuback: {
      auto& s = std::get<SubackView>(out.body);
      for (std::uint8_t code : s.reason_codes) {
        if (code > 2 && code != kSubackFailureV311) return std::nullopt;
      }
      s.properties = Properties{};
      return out;
    }
    case PacketType::kUnsuback: {
      SubackView codes_dropped;
      codes_dropped.packet_id = std::get<SubackView>(packet.body).packet_id;
      out.body = codes_dropped;
      return out;
    }
    case PacketType::kAuth: return std::nullopt;
    default: std::visit(strip, out.body); return out;
  }
}

TEST(RoundTripV311, EncodingA5PacketFor311DropsWhat311Lacks) {
  int checked = 0;
  for (const SamplePacket& sample : testing::sample_packets(kV5)) {
    SCOPED_TRACE(sample.name);
    std::optional<PacketView> expected = as_v311(sample.packet);
    if (!expected) continue;
    Bytes bytes(encoded_size(sample.packet, kV311));
    ASSERT_EQ(encode(sample.packet, kV311, bytes), bytes.size());
    const DecodeResult r = decode_as(bytes, kV311);
    ASSERT_EQ(r.status, DecodeStatus::kComplete) << r.error.statement << ": " << r.error.what;
    EXPECT_EQ(r.consumed, bytes.size());
    if (sample.packet.type == PacketType::kSubscribe) {
      // 3.1.1 keeps only the requested QoS of each subscription.
      const auto& got = r.packet.as<SubscribeView>();
      const auto& sent = sample.packet.as<SubscribeView>();
      ASSERT_EQ(got.subscriptions.size(), sent.subscriptions.size());
      auto it = got.subscriptions.begin();
      for (const Subscription& s : sent.subscriptions) {
        const Subscription g = *it++;
        EXPECT_EQ(g.filter, s.filter);
        SubscriptionOptions qos_only;
        qos_only.max_qos = s.options.max_qos;
        EXPECT_EQ(g.options, qos_only);
      }
      EXPECT_EQ(got.packet_id, sent.packet_id);
      EXPECT_TRUE(got.properties.empty());
    } else {
      EXPECT_TRUE(r.packet == *expected);
    }
    ++checked;
  }
  EXPECT_GT(checked, 30);
}

TEST(RoundTripShortForms, V5AcksAndDisconnect) {
  AckView ack;
  ack.packet_id = 42;
  const PacketView puback{PacketType::kPuback, ack};
  EXPECT_EQ(encoded_size(puback, kV5), 4u);
  Bytes bytes(4);
  ASSERT_EQ(encode(puback, kV5, bytes), 4u);
  DecodeResult r = decode_as(bytes, kV5);
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  EXPECT_TRUE(r.packet == puback);

  // The spec also allows a reason code without a Property Length (Remaining Length 3).
  const Bytes three = {0x40, 3, 0, 42, 0x10};
  r = decode_as(three, kV5);
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  const auto* three_ack = std::get_if<AckView>(&r.packet.body);
  ASSERT_NE(three_ack, nullptr);
  EXPECT_EQ(three_ack->reason_code, ReasonCode::kNoMatchingSubscribers);

  const Bytes disconnect = {0xE0, 0};
  r = decode_as(disconnect, kV5);
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  EXPECT_TRUE(r.packet == (PacketView{PacketType::kDisconnect, DisconnectView{}}));
}

// Packets whose bytes are written out by hand from the examples of MQTT 3.1.1 and 5.0: the
// CONNECT variable header example (flags 0xCE, Keep Alive 10; in 5.0 with Session Expiry
// Interval 10), the PUBLISH variable header example (topic "a/b", packet id 10), the UTF-8
// string example ("A" U+2A6D4), and the SUBSCRIBE/SUBACK/UNSUBSCRIBE payload examples.
struct SpecExample {
  std::string_view name;
  ProtocolVersion version;
  PacketView packet;
  Bytes bytes;
};

BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

ConnectView spec_connect(ProtocolVersion v) {
  ConnectView c;
  c.version = v;
  c.clean_start = true;
  c.keep_alive = 10;
  c.client_id = "id";
  WillView w;
  w.qos = QoS::kAtLeastOnce;
  w.topic = "w";
  w.payload = as_bytes("m");
  c.will = w;
  c.username = "u";
  c.password = as_bytes("p");
  if (is_v5(v)) {
    c.properties.session_expiry_interval = 10;
    c.properties.mark(PropertyId::kSessionExpiryInterval);
  }
  return c;
}

PublishView spec_publish(std::string_view topic, QoS qos, std::string_view payload) {
  PublishView p;
  p.topic = topic;
  p.qos = qos;
  p.packet_id = qos == QoS::kAtMostOnce ? 0 : 10;
  p.payload = as_bytes(payload);
  return p;
}

TEST(SpecExamples, EncodeToAndDecodeFromTheExampleBytes) {
  const Subscription subs[] = {{"a/b", {QoS::kAtLeastOnce, false, false, {}}},
                               {"c/d", {QoS::kExactlyOnce, false, false, {}}}};
  const std::string_view filters[] = {"a/b", "c/d"};
  const std::uint8_t codes[] = {0x00, 0x02, 0x80};
  SubscribeView subscribe;
  subscribe.packet_id = 10;
  subscribe.subscriptions = std::span<const Subscription>(subs);
  SubackView suback;
  suback.packet_id = 10;
  suback.reason_codes = codes;
  UnsubscribeView unsubscribe;
  unsubscribe.packet_id = 10;
  unsubscribe.filters = std::span<const std::string_view>(filters);
  const std::string_view utf8_topic = "A\xF0\xAA\x9B\x94";
  const SpecExample examples[] = {
      {"connect_v311",
       kV311,
       {PacketType::kConnect, spec_connect(kV311)},
       {0x10, 26,  0, 4, 'M', 'Q', 'T', 'T', 4, 0xCE, 0,   10, 0, 2,
        'i',  'd', 0, 1, 'w', 0,   1,   'm', 0, 1,    'u', 0,  1, 'p'}},
      {"connect_v5",
       kV5,
       {PacketType::kConnect, spec_connect(kV5)},
       {0x10, 33, 0,   4,   'M', 'Q', 'T', 'T', 5, 0xCE, 0,   10, 5, 0x11, 0, 0, 0,  10,
        0,    2,  'i', 'd', 0,   0,   1,   'w', 0, 1,    'm', 0,  1, 'u',  0, 1, 'p'}},
      {"publish_v311",
       kV311,
       {PacketType::kPublish, spec_publish("a/b", QoS::kAtLeastOnce, "hi")},
       {0x32, 9, 0, 3, 'a', '/', 'b', 0, 10, 'h', 'i'}},
      {"publish_v5",
       kV5,
       {PacketType::kPublish, spec_publish("a/b", QoS::kAtLeastOnce, "hi")},
       {0x32, 10, 0, 3, 'a', '/', 'b', 0, 10, 0, 'h', 'i'}},
      {"publish_utf8_topic_v5",
       kV5,
       {PacketType::kPublish, spec_publish(utf8_topic, {}, "")},
       {0x30, 8, 0x00, 0x05, 0x41, 0xF0, 0xAA, 0x9B, 0x94, 0}},
      {"subscribe_v311",
       kV311,
       {PacketType::kSubscribe, subscribe},
       {0x82, 14, 0, 10, 0, 3, 'a', '/', 'b', 1, 0, 3, 'c', '/', 'd', 2}},
      {"suback_v311", kV311, {PacketType::kSuback, suback}, {0x90, 5, 0, 10, 0x00, 0x02, 0x80}},
      {"unsubscribe_v311",
       kV311,
       {PacketType::kUnsubscribe, unsubscribe},
       {0xA2, 12, 0, 10, 0, 3, 'a', '/', 'b', 0, 3, 'c', '/', 'd'}},
      {"pingreq_v311", kV311, {PacketType::kPingreq, EmptyView{}}, {0xC0, 0}},
      {"disconnect_v311", kV311, {PacketType::kDisconnect, DisconnectView{}}, {0xE0, 0}},
  };
  for (const SpecExample& e : examples) {
    SCOPED_TRACE(e.name);
    Bytes out(encoded_size(e.packet, e.version));
    ASSERT_EQ(encode(e.packet, e.version, out), out.size());
    EXPECT_EQ(out, e.bytes);
    const DecodeResult r = decode_as(e.bytes, e.version);
    ASSERT_EQ(r.status, DecodeStatus::kComplete) << r.error.statement << ": " << r.error.what;
    EXPECT_EQ(r.consumed, e.bytes.size());
    EXPECT_TRUE(r.packet == e.packet);
  }
}

}  // namespace
}  // namespace rmq::codec
