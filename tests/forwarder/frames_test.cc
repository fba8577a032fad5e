// The forwarder's frame reader and writers on hand-made bytes: framing split at every offset,
// malformed input, the PUBLISH header, version conversion and the replies.
#include "bench/forwarder/frames.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rmq::forwarder {
namespace {

using Packet = std::vector<std::uint8_t>;

// PUBLISH QoS 1, topic "a/b", packet id 0x0102, payload "xyz"; 5.0 adds one property
// (payload format indicator = 1) after the packet id.
const Packet kPublishV3 = {0x32, 10, 0, 3, 'a', '/', 'b', 1, 2, 'x', 'y', 'z'};
const Packet kPublishV5 = {0x32, 13, 0, 3, 'a', '/', 'b', 1, 2, 2, 0x01, 0x01, 'x', 'y', 'z'};

Frame frame_of(const Packet& packet) {
  Frame frame;
  EXPECT_EQ(read_frame(packet, 1 << 20, &frame), FrameStatus::kComplete);
  return frame;
}

TEST(FramesTest, ReadFrameNeedsTheWholePacketAtEveryOffset) {
  for (std::size_t cut = 0; cut < kPublishV3.size(); ++cut) {
    Frame frame;
    EXPECT_EQ(read_frame(Bytes(kPublishV3.data(), cut), 1 << 20, &frame), FrameStatus::kNeedMore)
        << cut;
  }
  Packet two = kPublishV3;
  two.insert(two.end(), {0xC0, 0x00});
  const Frame frame = frame_of(two);
  EXPECT_EQ(frame.size, kPublishV3.size());
  EXPECT_EQ(frame.type(), kPublish);
  EXPECT_EQ(frame.body.size(), 10u);
}

TEST(FramesTest, ReadFrameRejectsLongLengthsAndLargePackets) {
  Frame frame;
  const Packet five_byte_length = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(read_frame(five_byte_length, 1 << 30, &frame), FrameStatus::kMalformed);
  const Packet big = {0x30, 0x80, 0x80, 0x01};  // 16 KiB body
  EXPECT_EQ(read_frame(big, 1024, &frame), FrameStatus::kTooLarge);
}

TEST(FramesTest, ConnectLevel) {
  const Packet v311 = {0, 4, 'M', 'Q', 'T', 'T', 4, 2};
  const Packet v5 = {0, 4, 'M', 'Q', 'T', 'T', 5, 2};
  const Packet v31 = {0, 6, 'M', 'Q', 'I', 's', 'd', 'p', 3, 2};
  const Packet bad = {0, 4, 'M', 'Q', 'T', 'X', 4, 2};
  EXPECT_EQ(connect_level(v311), 4);
  EXPECT_EQ(connect_level(v5), 5);
  EXPECT_EQ(connect_level(v31), 3);
  EXPECT_EQ(connect_level(bad), 0);
  EXPECT_EQ(connect_level(Bytes(v311.data(), 3)), 0);
}

TEST(FramesTest, ParsePublishReadsTopicIdAndProperties) {
  PublishView view;
  ASSERT_TRUE(parse_publish(frame_of(kPublishV3), false, &view));
  EXPECT_EQ(view.topic, "a/b");
  EXPECT_EQ(view.qos, 1);
  EXPECT_EQ(view.packet_id, 0x0102);
  EXPECT_EQ(view.var_end, view.payload);
  ASSERT_TRUE(parse_publish(frame_of(kPublishV5), true, &view));
  EXPECT_EQ(view.payload - view.var_end, 3u);  // property length + one property

  const Packet qos3 = {0x36, 5, 0, 1, 't', 0, 1};
  const Packet zero_id = {0x32, 5, 0, 1, 't', 0, 0};
  const Packet short_topic = {0x30, 2, 0, 5};
  for (const Packet& bad : {qos3, zero_id, short_topic}) {
    EXPECT_FALSE(parse_publish(frame_of(bad), false, &view));
  }
}

TEST(FramesTest, AppendPublishConvertsBetweenVersions) {
  PublishView view;
  OutBuf out;
  ASSERT_TRUE(parse_publish(frame_of(kPublishV3), false, &view));
  append_publish(&out, kPublishV3, frame_of(kPublishV3), view, false, false);
  EXPECT_EQ(out, kPublishV3);  // same version: the same bytes
  out.clear();
  append_publish(&out, kPublishV3, frame_of(kPublishV3), view, false, true);
  EXPECT_EQ(out, (Packet{0x32, 11, 0, 3, 'a', '/', 'b', 1, 2, 0, 'x', 'y', 'z'}));
  out.clear();
  ASSERT_TRUE(parse_publish(frame_of(kPublishV5), true, &view));
  append_publish(&out, kPublishV5, frame_of(kPublishV5), view, true, false);
  EXPECT_EQ(out, kPublishV3);
}

TEST(FramesTest, ParseFilters) {
  const Packet subscribe = {0x82, 12, 0, 7, 0, 3, 'a', '/', '#', 1, 0, 1, 'b', 0x26};
  std::uint16_t id = 0;
  std::vector<Filter> filters;
  ASSERT_TRUE(parse_filters(frame_of(subscribe), false, &id, &filters));
  EXPECT_EQ(id, 7);
  ASSERT_EQ(filters.size(), 2u);
  EXPECT_EQ(filters[0].topic, "a/#");
  EXPECT_EQ(filters[0].qos, 1);
  EXPECT_EQ(filters[1].qos, 2);  // 5.0 option bits above the QoS are dropped

  const Packet unsubscribe_v5 = {0xA2, 6, 0, 9, 0, 0, 1, 'u'};
  ASSERT_TRUE(parse_filters(frame_of(unsubscribe_v5), true, &id, &filters));
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].topic, "u");

  const Packet wrong_flags = {0x80, 6, 0, 1, 0, 1, 'a', 0};
  const Packet no_filters = {0x82, 2, 0, 1};
  const Packet truncated = {0x82, 5, 0, 1, 0, 4, 'a'};
  for (const Packet& bad : {wrong_flags, no_filters, truncated}) {
    EXPECT_FALSE(parse_filters(frame_of(bad), false, &id, &filters));
  }
}

TEST(FramesTest, Replies) {
  OutBuf out;
  append_connack(&out, false, 0);
  append_connack(&out, true, 0);
  append_ack(&out, kPubRel, 0x0102);
  append_sub_reply(&out, kSubscribe + 1, false, 3, {1, 0x80});
  append_sub_reply(&out, kUnsubscribe + 1, false, 4, {0});
  append_sub_reply(&out, kUnsubscribe + 1, true, 5, {0});
  append_pingresp(&out);
  EXPECT_EQ(out, (Packet{0x20, 2, 0, 0,           // CONNACK 3.1.1
                         0x20, 3, 0, 0, 0,        // CONNACK 5.0, empty properties
                         0x62, 2, 1, 2,           // PUBREL
                         0x90, 4, 0, 3, 1, 0x80,  // SUBACK 3.1.1
                         0xB0, 2, 0, 4,           // UNSUBACK 3.1.1: no reason codes
                         0xB0, 4, 0, 5, 0, 0,     // UNSUBACK 5.0
                         0xD0, 0}));
}

}  // namespace
}  // namespace rmq::forwarder
