#include "broker/persist/records_schema.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tests/persist/records_util.h"

namespace rmq::persist {
namespace {

using testing::dump;
using testing::encode_any;
using testing::Encoded;

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Samples of every record type with edge values; views point into static storage.
std::vector<AnyRecord> samples() {
  static const std::string kBigTopic(65535, 't');
  static const std::string kBigClient(65535, 'c');
  static const std::string kBigPayload(1 << 20, '\xAB');
  static const std::string kProps = std::string("\x01\x00\x26\x00", 4) + "k";
  static const std::uint32_t kIdList[] = {1, 127, 128, 16383, 16384, 268435455, kU32Max};
  static const std::uint32_t kOneId[] = {7};
  std::vector<AnyRecord> v = {
      SessionOpen{"", 0, 3, 0},
      SessionOpen{kBigClient, kU32Max, 5, 0xFF},
      SessionOpen{"dev-1", 3600, 4, 1},
      SessionEnd{""},
      SessionEnd{kBigClient},
      SessionOffline{"c", 0},
      SessionOffline{"c", kU64Max},
      Subscribe{"c", "", 0, 0},
      Subscribe{"c", "a/+/#", 0x2E, 268435455},  // qos 2, NL, RAP, retain handling 2
      Subscribe{"c", kBigTopic, 0x01, kU32Max},
      Unsubscribe{"", ""},
      Unsubscribe{"c", kBigTopic},
      WillSet{"c", "", {}, 0, 0, {}, 0},
      WillSet{"c", kBigTopic, as_bytes(kBigPayload), 2, 1, as_bytes(kProps), kU32Max},
      WillSet{"c", "w", as_bytes(kProps), 1, 0, {}, 30},
      WillClear{"c"},
      MessageRec{0, "", {}, 0, 0, {}, 0, 0},
      MessageRec{kU64Max, kBigTopic, as_bytes(kBigPayload), 2, 1, as_bytes(kProps), kU64Max,
                 kU64Max},
      MessageRec{42, "t", as_bytes(kProps), 1, 0, {}, 1700000000000, 1699999999999},
      Enqueue{"c", 0, 1, 0, {}},
      Enqueue{"c", kU64Max, 2, 1, SubscriptionIds(kIdList)},
      Enqueue{"", 9, 1, 0, SubscriptionIds(kOneId)},
      Sent{"c", 1, 1},
      Sent{"c", kU64Max, 65535},
      PubrecReceived{"c", 1},
      PubrecReceived{kBigClient, 65535},
      Ack{"c", 5, 0},
      Ack{"c", kU64Max, 65535},
      InboundQos2{"c", 1},
      InboundQos2{"c", 65535},
      InboundReleased{"c", 1},
      InboundReleased{"", 65535},
      RetainedSet{"", 0},
      RetainedSet{kBigTopic, kU64Max},
      RetainedClear{""},
      RetainedClear{kBigTopic},
  };
  for (std::uint8_t q = 0; q <= 2; ++q) {
    v.emplace_back(MessageRec{q, "q", {}, q, 0, {}, 0, 0});
    v.emplace_back(WillSet{"c", "q", {}, q, 1, {}, 0});
    for (std::uint8_t rh = 0; rh <= 2; ++rh) {
      v.emplace_back(Subscribe{"c", "f", static_cast<std::uint8_t>(q | rh << 4), 1});
    }
  }
  v.emplace_back(Enqueue{"c", 3, 1, 1, {}});
  return v;
}

TEST(RecordsSchema, EveryTypeHasASample) {
  std::vector<bool> seen(kLastRecordType + 1);
  for (const AnyRecord& r : samples()) seen[type_of(r)] = true;
  for (std::uint8_t t = 1; t <= kLastRecordType; ++t) {
    EXPECT_TRUE(seen[t]) << to_string(static_cast<RecordType>(t));
  }
}

TEST(RecordsSchema, RoundTripEverySample) {
  for (const AnyRecord& r : samples()) {
    const Encoded e = encode_any(r);
    EXPECT_EQ(e.type, type_of(r));
    auto back = decode_any(e.type, e.payload);
    ASSERT_TRUE(back.ok()) << dump(r).substr(0, 80) << ": " << back.status().message();
    EXPECT_EQ(back->index(), r.index());
    EXPECT_EQ(dump(*back), dump(r)) << dump(r).substr(0, 80);
    // Decoded views point into the payload (zero-copy), and re-encode to the same bytes.
    const Encoded again = encode_any(*back);
    EXPECT_EQ(again.payload, e.payload);
  }
}

TEST(RecordsSchema, DecodedViewsPointIntoThePayload) {
  const Encoded e = encode_any(MessageRec{1, "topic", as_bytes("payload"), 1, 0, {}, 0, 0});
  auto m = decode<MessageRec>(e.payload);
  ASSERT_TRUE(m.ok());
  const auto* lo = e.payload.data();
  const auto* hi = lo + e.payload.size();
  EXPECT_GE(reinterpret_cast<const std::uint8_t*>(m->topic.data()), lo);
  EXPECT_LE(m->payload.data() + m->payload.size(), hi);
  EXPECT_EQ(m->topic, "topic");
}

TEST(RecordsSchema, LayoutIsAsDocumented) {
  const Encoded e = encode_any(Subscribe{"ab", "x", 0x01, 300});
  const std::vector<std::uint8_t> want = {2, 'a', 'b', 1, 'x', 0x01, 0xAC, 0x02};
  EXPECT_EQ(e.payload, want);
  const Encoded s = encode_any(Sent{"c", 0x0102030405060708, 0x0A0B});
  const std::vector<std::uint8_t> want_s = {1, 'c', 8, 7, 6, 5, 4, 3, 2, 1, 0x0B, 0x0A};
  EXPECT_EQ(s.payload, want_s);
}

TEST(RecordsSchema, EveryTruncationIsRejected) {
  for (const AnyRecord& r : samples()) {
    const Encoded e = encode_any(r);
    if (e.payload.size() > 4096) continue;  // the large samples: covered by the cut points below
    for (std::size_t k = 0; k < e.payload.size(); ++k) {
      auto d = decode_any(e.type, Bytes(e.payload.data(), k));
      ASSERT_FALSE(d.ok()) << dump(r) << " cut at " << k;
      const std::string why = d.status().message();
      EXPECT_TRUE(why == kTruncated || why == kLengthPastEnd) << why;
    }
  }
}

TEST(RecordsSchema, LargeRecordsRejectCutsInsideEveryField) {
  for (const AnyRecord& r : samples()) {
    const Encoded e = encode_any(r);
    if (e.payload.size() <= 4096) continue;
    for (std::size_t k : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3},
                          e.payload.size() / 2, e.payload.size() - 9, e.payload.size() - 1}) {
      EXPECT_FALSE(decode_any(e.type, Bytes(e.payload.data(), k)).ok()) << k;
    }
  }
}

TEST(RecordsSchema, TrailingBytesAreRejected) {
  for (const AnyRecord& r : samples()) {
    Encoded e = encode_any(r);
    e.payload.push_back(0);
    auto d = decode_any(e.type, e.payload);
    ASSERT_FALSE(d.ok());
    EXPECT_STREQ(d.status().message(), kTrailingBytes);
  }
}

Status decode_status(RecordType type, const std::vector<std::uint8_t>& payload) {
  auto d = decode_any(static_cast<std::uint8_t>(type), payload);
  return d.ok() ? OkStatus() : d.status();
}

TEST(RecordsSchema, OverlongVarintsAreRejected) {
  // Client id length 1 as two bytes (not the shortest form).
  EXPECT_STREQ(decode_status(RecordType::kSessionEnd, {0x81, 0x00, 'c'}).message(),
               kOverlongVarint);
  // Six continuation bytes.
  EXPECT_STREQ(
      decode_status(RecordType::kSessionEnd, {0x80, 0x80, 0x80, 0x80, 0x80, 0x01}).message(),
      kOverlongVarint);
  // Five bytes whose value overflows 32 bits.
  EXPECT_STREQ(decode_status(RecordType::kSessionEnd, {0xFF, 0xFF, 0xFF, 0xFF, 0x1F}).message(),
               kOverlongVarint);
  // A length past the end of the record.
  EXPECT_STREQ(decode_status(RecordType::kSessionEnd, {0x05, 'a', 'b'}).message(), kLengthPastEnd);
  EXPECT_STREQ(decode_status(RecordType::kSessionEnd, {0xFF, 0xFF, 0xFF, 0xFF, 0x0F}).message(),
               kLengthPastEnd);
  // Subscription ids: a count larger than the ids present, and an overlong id.
  std::vector<std::uint8_t> enq = encode_any(Enqueue{"c", 1, 1, 0, {}}).payload;
  enq.back() = 2;
  enq.push_back(0x05);
  EXPECT_STREQ(decode_status(RecordType::kEnqueue, enq).message(), kTruncated);
  enq.back() = 0x85;
  enq.push_back(0x00);
  EXPECT_STREQ(decode_status(RecordType::kEnqueue, enq).message(), kOverlongVarint);
}

TEST(RecordsSchema, OutOfRangeFieldsAreRejectedByDecodeAndEncode) {
  struct Case {
    AnyRecord bad;
    const char* why;
  };
  const Case cases[] = {
      {MessageRec{1, "t", {}, 3, 0, {}, 0, 0}, kBadQos},
      {WillSet{"c", "t", {}, 0xFF, 0, {}, 0}, kBadQos},
      {Enqueue{"c", 1, 0, 0, {}}, kBadQos},  // QoS 0 is never queued
      {Enqueue{"c", 1, 3, 0, {}}, kBadQos},
      {MessageRec{1, "t", {}, 1, 2, {}, 0, 0}, kBadFlag},
      {Enqueue{"c", 1, 1, 7, {}}, kBadFlag},
      {Subscribe{"c", "f", 0x03, 0}, kBadOptions},
      {Subscribe{"c", "f", 0x30, 0}, kBadOptions},
      {Subscribe{"c", "f", 0x40, 0}, kBadOptions},
      {Sent{"c", 1, 0}, kZeroPacketId},
      {PubrecReceived{"c", 0}, kZeroPacketId},
      {InboundQos2{"c", 0}, kZeroPacketId},
      {InboundReleased{"c", 0}, kZeroPacketId},
  };
  for (const Case& c : cases) {
    std::vector<std::uint8_t> buf(64);
    auto n = std::visit([&](const auto& r) { return encode(std::span(buf), r); }, c.bad);
    ASSERT_FALSE(n.ok()) << dump(c.bad);
    EXPECT_STREQ(n.status().message(), c.why);
    // Write the bytes anyway (the sizer is exact) and decode them.
    std::vector<std::uint8_t> raw;
    std::visit(
        [&](const auto& r) {
          raw.resize(encoded_size(r));
          (void)encode(std::span(raw), r);
        },
        c.bad);
    auto d = decode_any(type_of(c.bad), raw);
    ASSERT_FALSE(d.ok()) << dump(c.bad);
    EXPECT_STREQ(d.status().message(), c.why) << dump(c.bad);
  }
}

TEST(RecordsSchema, EncodeIntoAShortBuffer) {
  const SessionOpen r{"client", 10, 5, 0};
  std::vector<std::uint8_t> buf(encoded_size(r));
  EXPECT_EQ(encode(std::span(buf).first(buf.size() - 1), r).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_TRUE(encode(std::span(buf), r).ok());
}

TEST(RecordsSchema, FramedRecordsParseBack) {
  for (const AnyRecord& r : samples()) {
    const Encoded e = encode_any(r);
    std::vector<std::uint8_t> buf(framed_size(e.payload.size()) + 3, 0xEE);
    auto n = std::visit([&](const auto& rec) { return encode_framed(std::span(buf), rec); }, r);
    ASSERT_TRUE(n.ok()) << n.status().message();
    ASSERT_EQ(*n, framed_size(e.payload.size()));
    EXPECT_EQ(buf[*n], 0xEE) << "nothing written past the record";
    RecordView view;
    ASSERT_EQ(parse_record(buf, 0, &view), Frame::kOk);
    EXPECT_EQ(view.type, type_of(r));
    EXPECT_TRUE(
        std::equal(view.payload.begin(), view.payload.end(), e.payload.begin(), e.payload.end()));
    auto short_buf = std::span(buf).first(*n - 1);
    auto too_short = std::visit([&](const auto& rec) { return encode_framed(short_buf, rec); }, r);
    EXPECT_EQ(too_short.status().code(), StatusCode::kOutOfRange);
  }
}

TEST(RecordsSchema, UnknownTypesAreRejected) {
  const std::vector<std::uint8_t> empty;
  EXPECT_FALSE(decode_any(0, empty).ok());
  EXPECT_FALSE(decode_any(kLastRecordType + 1, empty).ok());
  EXPECT_FALSE(decode_any(255, empty).ok());
  EXPECT_STREQ(to_string(RecordType::kRetainedClear), "RetainedClear");
}

}  // namespace
}  // namespace rmq::persist
