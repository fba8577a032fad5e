// Encode-only behaviour: the writer, minimal variable byte integers, fixed-header flags, the
// fields each protocol version keeps or drops, short forms, property order and the limits of the
// wire format. Exact bytes are written out by hand from the specifications.
#include "codec/encode.h"

#include <gtest/gtest.h>
#include <sys/mman.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "codec/packets.h"
#include "codec/writer.h"

namespace rmq::codec {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr ProtocolVersion kV311 = ProtocolVersion::kV311;
constexpr ProtocolVersion kV5 = ProtocolVersion::kV5;

BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Encodes `packet` for `v`, checking that encode() writes exactly encoded_size() bytes.
Bytes encode_bytes(const PacketView& packet, ProtocolVersion v) {
  const std::size_t size = encoded_size(packet, v);
  Bytes out(size);
  const std::size_t written = encode(packet, v, out);
  EXPECT_EQ(written, size);
  return out;
}

PacketView publish_packet(const PublishView& p) { return {PacketType::kPublish, p}; }

TEST(VarintSize, BoundariesOfEachLength) {
  EXPECT_EQ(varint_size(0), 1u);
  EXPECT_EQ(varint_size(127), 1u);
  EXPECT_EQ(varint_size(128), 2u);
  EXPECT_EQ(varint_size(16'383), 2u);
  EXPECT_EQ(varint_size(16'384), 3u);
  EXPECT_EQ(varint_size(2'097'151), 3u);
  EXPECT_EQ(varint_size(2'097'152), 4u);
  EXPECT_EQ(varint_size(268'435'455), 4u);
  EXPECT_EQ(varint_size(268'435'456), 0u);
}

struct VarintCase {
  std::uint32_t value;
  Bytes bytes;
};

// MQTT 5.0 1.5.5 Table 1-1 (the same table is 3.1.1 2.2.3 Table 2.4).
const std::vector<VarintCase>& spec_varints() {
  static const std::vector<VarintCase> cases = {
      {0, {0x00}},
      {127, {0x7F}},
      {128, {0x80, 0x01}},
      {16'383, {0xFF, 0x7F}},
      {16'384, {0x80, 0x80, 0x01}},
      {2'097'151, {0xFF, 0xFF, 0x7F}},
      {2'097'152, {0x80, 0x80, 0x80, 0x01}},
      {268'435'455, {0xFF, 0xFF, 0xFF, 0x7F}},
  };
  return cases;
}

TEST(Writer, VarintIsMinimalAtEveryBoundary) {
  for (const VarintCase& c : spec_varints()) {
    std::array<std::uint8_t, 4> buf{};
    Writer w(buf);
    w.varint(c.value);
    ASSERT_TRUE(w.ok()) << c.value;
    EXPECT_EQ(Bytes(buf.begin(), buf.begin() + w.position()), c.bytes) << c.value;
    SizeCounter counter;
    counter.varint(c.value);
    EXPECT_EQ(counter.size(), c.bytes.size());
  }
}

TEST(Writer, VarintAboveMaximumFails) {
  std::array<std::uint8_t, 8> buf{};
  Writer w(buf);
  w.varint(kMaxVarInt + 1);
  EXPECT_FALSE(w.ok());
  EXPECT_EQ(w.position(), 0u);
  SizeCounter counter;
  counter.varint(kMaxVarInt + 1);
  EXPECT_FALSE(counter.ok());
}

TEST(Writer, FieldsAreBigEndianWithLengthPrefixes) {
  std::array<std::uint8_t, 16> buf{};
  Writer w(buf);
  w.u8(0xAB);
  w.u16(0x1234);
  w.u32(0xDEADBEEF);
  w.string("hi");
  const std::uint8_t raw[] = {9};
  w.binary(raw);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(Bytes(buf.begin(), buf.begin() + w.position()),
            (Bytes{0xAB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x02, 'h', 'i', 0x00, 0x01, 9}));
}

TEST(Writer, NeverWritesPastItsSpanAndFailsSticky) {
  std::array<std::uint8_t, 6> buf;
  buf.fill(0xEE);
  Writer w(std::span<std::uint8_t>(buf).first(3));
  w.u16(0x0102);
  w.u16(0x0304);  // needs bytes 2..3; only byte 2 is in the span
  EXPECT_FALSE(w.ok());
  w.u8(0x05);  // would fit, but the writer has already failed
  EXPECT_EQ(w.position(), 2u);
  EXPECT_EQ(buf, (std::array<std::uint8_t, 6>{0x01, 0x02, 0xEE, 0xEE, 0xEE, 0xEE}));
}

TEST(Writer, StringLongerThan65535Fails) {
  const std::string too_long(65'536, 'x');
  std::vector<std::uint8_t> buf(70'000);
  Writer w(buf);
  w.string(too_long);
  EXPECT_FALSE(w.ok());
  SizeCounter counter;
  counter.string(too_long);
  EXPECT_FALSE(counter.ok());
  Writer at_limit(buf);
  at_limit.string(std::string_view(too_long).substr(1));
  EXPECT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit.position(), 65'537u);
}

// PUBLISH QoS 0 to "t": remaining length = 3 (topic) + payload. Sizes the payload to hit each
// boundary of the remaining length's encoding and checks the fixed header bytes.
TEST(EncodeRemainingLength, MinimalAtEveryBoundary) {
  const std::string payload(2'097'152, 'p');
  for (const VarintCase& c : spec_varints()) {
    if (c.value < 3 || c.value > payload.size() + 3) continue;
    PublishView p;
    p.topic = "t";
    p.payload = as_bytes(std::string_view(payload).substr(0, c.value - 3));
    const Bytes out = encode_bytes(publish_packet(p), kV311);
    ASSERT_EQ(out.size(), 1 + c.bytes.size() + c.value) << c.value;
    EXPECT_EQ(out[0], 0x30);
    EXPECT_EQ(Bytes(out.begin() + 1, out.begin() + 1 + c.bytes.size()), c.bytes) << c.value;
    EXPECT_EQ(out[1 + c.bytes.size()], 0x00);  // topic length MSB
  }
}

// Views of a payload too large to allocate, over reserved but never touched address space.
class HugePayload : public ::testing::Test {
 protected:
  static constexpr std::size_t kSize = kMaxRemainingLength;
  void SetUp() override {
    void* p = mmap(nullptr, kSize, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    ASSERT_NE(p, MAP_FAILED);
    base_ = static_cast<const std::uint8_t*>(p);
  }
  void TearDown() override {
    if (base_ != nullptr) munmap(const_cast<std::uint8_t*>(base_), kSize);
  }
  BinaryView payload(std::size_t n) const { return {base_, n}; }
  const std::uint8_t* base_ = nullptr;
};

TEST_F(HugePayload, LargestRemainingLengthIsSizedAndOneMoreIsRefused) {
  PublishView p;
  p.topic = "t";
  p.payload = payload(kMaxRemainingLength - 3);
  EXPECT_EQ(encoded_size(p, kV311), 1 + 4 + std::size_t{kMaxRemainingLength});
  p.topic = "tt";
  EXPECT_EQ(encoded_size(p, kV311), 0u);
  std::array<std::uint8_t, 16> small{};
  EXPECT_EQ(encode(p, kV311, small), 0u);
}

TEST(EncodeLimits, FieldsLongerThanTheirPrefixAreRefused) {
  const std::string too_long(65'536, 'x');
  std::vector<std::uint8_t> buf(200'000);
  PublishView p;
  p.topic = too_long;
  EXPECT_EQ(encoded_size(p, kV311), 0u);
  EXPECT_EQ(encode(p, kV311, buf), 0u);

  PublishView with_property;
  with_property.topic = "t";
  const StringPair pair{"k", too_long};
  with_property.properties.user_properties = std::span<const StringPair>(&pair, 1);
  EXPECT_EQ(encoded_size(with_property, kV5), 0u);
  EXPECT_EQ(encode(with_property, kV5, buf), 0u);
  EXPECT_NE(encoded_size(with_property, kV311), 0u);  // 3.1.1 drops the property

  ConnectView c;
  c.client_id = "c";
  c.username = "u";
  c.password = as_bytes(too_long);
  EXPECT_EQ(encoded_size(c), 0u);
  EXPECT_EQ(encode(c, buf), 0u);
}

}  // namespace
}  // namespace rmq::codec
