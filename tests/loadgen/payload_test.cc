#include "bench/loadgen/payload.h"

#include <gtest/gtest.h>

#include <vector>

#include "bench/loadgen/protocol.h"
#include "codec/decode.h"

namespace rmq::loadgen {
namespace {

TEST(Stamp, RoundTrip) {
  std::vector<std::uint8_t> payload(16);
  const Stamp stamp{0x0102030405060708u, 0xA1B2C3D4E5F60718u};
  ASSERT_TRUE(write_stamp(payload, stamp));
  EXPECT_EQ(read_stamp(payload), stamp);
  EXPECT_EQ(payload[0], 0x08);  // little-endian on the wire
  EXPECT_EQ(payload[8], 0x18);
}

TEST(Stamp, RoundTripWithPaddingAndExtremes) {
  std::vector<std::uint8_t> payload(1024, 0xEE);
  for (const Stamp s : {Stamp{0, 0}, Stamp{~0ull, ~0ull}, Stamp{1, monotonic_ns()}}) {
    ASSERT_TRUE(write_stamp(payload, s));
    EXPECT_EQ(read_stamp(payload), s);
    EXPECT_EQ(payload[16], 0xEE);  // padding untouched
  }
}

TEST(Stamp, TooShortPayload) {
  std::vector<std::uint8_t> payload(15);
  EXPECT_FALSE(write_stamp(payload, Stamp{1, 2}));
  EXPECT_FALSE(read_stamp(payload).has_value());
}

TEST(Stamp, MonotonicClockMovesForward) {
  const std::uint64_t a = monotonic_ns();
  const std::uint64_t b = monotonic_ns();
  EXPECT_GE(b, a);
  EXPECT_GT(a, 0u);
}

TEST(PublisherOfTopic, ParsesTheIndexAfterThePrefix) {
  EXPECT_EQ(publisher_of_topic("bench/0", "bench"), 0u);
  EXPECT_EQ(publisher_of_topic("bench/49", "bench"), 49u);
  EXPECT_EQ(publisher_of_topic("a/b/c/123456789", "a/b/c"), 123456789u);
}

TEST(PublisherOfTopic, RejectsOtherTopics) {
  EXPECT_FALSE(publisher_of_topic("bench", "bench"));
  EXPECT_FALSE(publisher_of_topic("bench/", "bench"));
  EXPECT_FALSE(publisher_of_topic("benchx/1", "bench"));
  EXPECT_FALSE(publisher_of_topic("other/1", "bench"));
  EXPECT_FALSE(publisher_of_topic("bench/1a", "bench"));
  EXPECT_FALSE(publisher_of_topic("bench/1/2", "bench"));
  EXPECT_FALSE(publisher_of_topic("bench/1234567890", "bench"));  // more than 9 digits
}

// The publish template: encoded once by the codec, then patched per message. Decoding what it
// writes must give back the topic, the stamp and the packet identifier.
class PublishTemplateTest
    : public ::testing::TestWithParam<std::tuple<codec::ProtocolVersion, codec::QoS, int>> {};

TEST_P(PublishTemplateTest, DecodesToWhatWasStamped) {
  const auto [version, qos, payload_size] = GetParam();
  PublishTemplate t;
  ASSERT_TRUE(t.build(version, "bench/7", qos, payload_size));
  std::vector<std::uint8_t> out(t.size());
  t.write(out.data(), 123456789012345u, 987654321u, 0xBEEF);
  codec::DecodeOptions options;
  options.version = version;
  const codec::DecodeResult r = codec::decode(out, options);
  ASSERT_EQ(r.status, codec::DecodeStatus::kComplete);
  ASSERT_EQ(r.consumed, out.size());
  ASSERT_EQ(r.packet.type, codec::PacketType::kPublish);
  const auto& p = r.packet.as<codec::PublishView>();
  EXPECT_EQ(p.topic, "bench/7");
  EXPECT_EQ(p.qos, qos);
  EXPECT_EQ(p.payload.size(), static_cast<std::size_t>(payload_size));
  EXPECT_EQ(read_stamp(p.payload), (Stamp{123456789012345u, 987654321u}));
  if (qos != codec::QoS::kAtMostOnce) {
    EXPECT_EQ(p.packet_id, 0xBEEF);
  }
}

std::string template_case_name(
    const ::testing::TestParamInfo<PublishTemplateTest::ParamType>& param_info) {
  const codec::ProtocolVersion version = std::get<0>(param_info.param);
  const codec::QoS qos = std::get<1>(param_info.param);
  const int size = std::get<2>(param_info.param);
  return std::string(version == codec::ProtocolVersion::kV5 ? "v5" : "v311") + "_qos" +
         std::to_string(static_cast<int>(qos)) + "_" + std::to_string(size) + "B";
}

INSTANTIATE_TEST_SUITE_P(VersionsQosSizes, PublishTemplateTest,
                         ::testing::Combine(::testing::Values(codec::ProtocolVersion::kV311,
                                                              codec::ProtocolVersion::kV5),
                                            ::testing::Values(codec::QoS::kAtMostOnce,
                                                              codec::QoS::kAtLeastOnce,
                                                              codec::QoS::kExactlyOnce),
                                            ::testing::Values(16, 1024, 200000)),
                         template_case_name);

TEST(PublishTemplate, RefusesAPayloadTooShortForTheStamp) {
  PublishTemplate t;
  EXPECT_FALSE(t.build(codec::ProtocolVersion::kV311, "bench/0", codec::QoS::kAtMostOnce, 8));
}

TEST(Protocol, AppendFailsWithoutRoom) {
  ByteBuffer small(3);
  EXPECT_FALSE(append_ack(small, codec::PacketType::kPuback, 1, codec::ProtocolVersion::kV311));
  EXPECT_TRUE(small.empty());
  EXPECT_TRUE(append_pingreq(small));
  EXPECT_EQ(small.size(), 2u);
}

}  // namespace
}  // namespace rmq::loadgen
