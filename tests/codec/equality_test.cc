// operator== of the packet views: spans compare by content, Properties compare only the
// properties present plus the repeating lists (element-wise, in order, whatever backs them).
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "codec/decode.h"
#include "codec/encode.h"
#include "codec/packets.h"
#include "codec/properties.h"

namespace rmq::codec {
namespace {

BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

TEST(PropertiesEquality, FieldsOfAbsentPropertiesAreIgnored) {
  Properties a;
  Properties b;
  a.reason_string = "not marked";
  b.receive_maximum = 1;
  EXPECT_TRUE(a == b);
  a.mark(PropertyId::kReasonString);
  EXPECT_FALSE(a == b);  // present on one side only
  b.mark(PropertyId::kReasonString);
  b.reason_string = "other";
  EXPECT_FALSE(a == b);  // present on both, different values
  b.reason_string = "not marked";
  EXPECT_TRUE(a == b);
}

TEST(PropertiesEquality, PresentBitsThatNameNoSingleValuedPropertyAreIgnored) {
  Properties a;
  Properties b;
  b.mark(PropertyId::kUserProperty);
  b.mark(PropertyId::kSubscriptionIdentifier);
  b.present |= std::uint64_t{1} << 60;
  EXPECT_TRUE(a == b);
}

TEST(PropertiesEquality, BinaryComparesByContent) {
  const std::string x = "\x01\x02";
  const std::string y = "\x01\x02";
  const std::string z = "\x01\x03";
  Properties a;
  Properties b;
  a.correlation_data = as_bytes(x);
  b.correlation_data = as_bytes(y);
  a.mark(PropertyId::kCorrelationData);
  b.mark(PropertyId::kCorrelationData);
  EXPECT_TRUE(a == b);
  b.correlation_data = as_bytes(z);
  EXPECT_FALSE(a == b);
}

TEST(PropertiesEquality, ListsCompareElementWiseInOrder) {
  const StringPair ab[] = {{"a", "1"}, {"b", "2"}};
  const StringPair ba[] = {{"b", "2"}, {"a", "1"}};
  const std::uint32_t ids1[] = {1, 2};
  const std::uint32_t ids2[] = {1, 3};
  Properties a;
  Properties b;
  a.user_properties = std::span<const StringPair>(ab);
  b.user_properties = std::span<const StringPair>(ab);
  EXPECT_TRUE(a == b);
  b.user_properties = std::span<const StringPair>(ba);
  EXPECT_FALSE(a == b);
  b.user_properties = std::span<const StringPair>(ab).first(1);
  EXPECT_FALSE(a == b);
  b.user_properties = std::span<const StringPair>(ab);
  a.subscription_identifiers = std::span<const std::uint32_t>(ids1);
  b.subscription_identifiers = std::span<const std::uint32_t>(ids2);
  EXPECT_FALSE(a == b);
  b.subscription_identifiers = std::span<const std::uint32_t>(ids1);
  EXPECT_TRUE(a == b);
}

TEST(PropertiesEquality, WireBackedListEqualsTheArrayItWasEncodedFrom) {
  const StringPair pairs[] = {{"k", "v"}, {"k", "w"}, {"", ""}};
  const std::uint32_t ids[] = {5, 268'435'455};
  PublishView p;
  p.topic = "t";
  p.properties.user_properties = std::span<const StringPair>(pairs);
  p.properties.subscription_identifiers = std::span<const std::uint32_t>(ids);
  std::vector<std::uint8_t> bytes(encoded_size(p, ProtocolVersion::kV5));
  ASSERT_EQ(encode(p, ProtocolVersion::kV5, bytes), bytes.size());
  DecodeOptions options;
  options.version = ProtocolVersion::kV5;
  const DecodeResult r = decode(bytes, options);
  ASSERT_EQ(r.status, DecodeStatus::kComplete);
  const auto* decoded = std::get_if<PublishView>(&r.packet.body);
  ASSERT_NE(decoded, nullptr);
  EXPECT_FALSE(decoded->properties.user_properties.wire().empty());
  EXPECT_TRUE(decoded->properties == p.properties);
  EXPECT_TRUE(p.properties == decoded->properties);
  Properties fewer = p.properties;
  fewer.user_properties = std::span<const StringPair>(pairs).first(2);
  EXPECT_FALSE(decoded->properties == fewer);
}

TEST(WillEquality, PayloadByContentAndEveryField) {
  const std::string one = "payload";
  const std::string two = "payload";
  WillView a{QoS::kAtLeastOnce, true, {}, "t", as_bytes(one)};
  WillView b{QoS::kAtLeastOnce, true, {}, "t", as_bytes(two)};
  EXPECT_TRUE(a == b);
  b.retain = false;
  EXPECT_FALSE(a == b);
  b = a;
  b.qos = QoS::kExactlyOnce;
  EXPECT_FALSE(a == b);
  b = a;
  b.topic = "u";
  EXPECT_FALSE(a == b);
  b = a;
  b.payload = as_bytes("payloaD");
  EXPECT_FALSE(a == b);
  b = a;
  b.properties.mark(PropertyId::kWillDelayInterval);
  EXPECT_FALSE(a == b);
}

TEST(ConnectEquality, OptionalFieldsDistinguishAbsentFromEmpty) {
  const std::string pw1 = "secret";
  const std::string pw2 = "secret";
  ConnectView a;
  a.client_id = "c";
  a.username = "u";
  a.password = as_bytes(pw1);
  ConnectView b = a;
  b.password = as_bytes(pw2);
  EXPECT_TRUE(a == b);
  b.password = as_bytes("");
  EXPECT_FALSE(a == b);
  b.password.reset();
  EXPECT_FALSE(a == b);
  b = a;
  b.username = "";
  EXPECT_FALSE(a == b);
  b.username.reset();
  EXPECT_FALSE(a == b);
  b = a;
  b.will = WillView{};
  EXPECT_FALSE(a == b);
  b = a;
  b.version = ProtocolVersion::kV5;
  EXPECT_FALSE(a == b);
  b = a;
  b.keep_alive = 1;
  EXPECT_FALSE(a == b);
  b = a;
  b.clean_start = !a.clean_start;
  EXPECT_FALSE(a == b);
}

TEST(PublishEquality, PayloadByContentAndEveryField) {
  const std::string x = "data";
  const std::string y = "data";
  PublishView a;
  a.topic = "t";
  a.qos = QoS::kAtLeastOnce;
  a.packet_id = 3;
  a.payload = as_bytes(x);
  PublishView b = a;
  b.payload = as_bytes(y);
  EXPECT_TRUE(a == b);
  b.payload = as_bytes("dat");
  EXPECT_FALSE(a == b);
  b = a;
  b.dup = true;
  EXPECT_FALSE(a == b);
  b = a;
  b.packet_id = 4;
  EXPECT_FALSE(a == b);
  b = a;
  b.retain = true;
  EXPECT_FALSE(a == b);
}

TEST(SubackEquality, ReasonCodesByContent) {
  const std::uint8_t x[] = {0, 1, 0x80};
  const std::uint8_t y[] = {0, 1, 0x80};
  const std::uint8_t z[] = {0, 2, 0x80};
  SubackView a;
  a.reason_codes = x;
  SubackView b;
  b.reason_codes = y;
  EXPECT_TRUE(a == b);
  b.reason_codes = z;
  EXPECT_FALSE(a == b);
  b.reason_codes = std::span<const std::uint8_t>(y).first(2);
  EXPECT_FALSE(a == b);
}

}  // namespace
}  // namespace rmq::codec
