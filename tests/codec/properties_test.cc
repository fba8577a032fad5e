// The MQTT 5.0 property table (Table 2-4) and property-block decoding: every identifier, where
// each is allowed, which may repeat, and the lazily read repeating properties.
#include "codec/properties.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <vector>

#include "codec/decode_internal.h"
#include "tests/codec/hand_bytes.h"

namespace rmq::codec::test {
namespace {

using S = PropertyScope;
using T = PropertyType;

struct Expected {
  std::uint8_t id;
  PropertyType type;
  std::vector<PropertyScope> scopes;
};

// Table 2-4 of MQTT 5.0, written out independently of the decoder's table.
const std::vector<Expected>& spec_table() {
  static const std::vector<Expected> table = {
      {0x01, T::kByte, {S::kPublish, S::kWill}},
      {0x02, T::kFourByteInteger, {S::kPublish, S::kWill}},
      {0x03, T::kUtf8String, {S::kPublish, S::kWill}},
      {0x08, T::kUtf8String, {S::kPublish, S::kWill}},
      {0x09, T::kBinary, {S::kPublish, S::kWill}},
      {0x0B, T::kVarInt, {S::kPublish, S::kSubscribe}},
      {0x11, T::kFourByteInteger, {S::kConnect, S::kConnack, S::kDisconnect}},
      {0x12, T::kUtf8String, {S::kConnack}},
      {0x13, T::kTwoByteInteger, {S::kConnack}},
      {0x15, T::kUtf8String, {S::kConnect, S::kConnack, S::kAuth}},
      {0x16, T::kBinary, {S::kConnect, S::kConnack, S::kAuth}},
      {0x17, T::kByte, {S::kConnect}},
      {0x18, T::kFourByteInteger, {S::kWill}},
      {0x19, T::kByte, {S::kConnect}},
      {0x1A, T::kUtf8String, {S::kConnack}},
      {0x1C, T::kUtf8String, {S::kConnack, S::kDisconnect}},
      {0x1F,
       T::kUtf8String,
       {S::kConnack, S::kPuback, S::kPubrec, S::kPubrel, S::kPubcomp, S::kSuback, S::kUnsuback,
        S::kDisconnect, S::kAuth}},
      {0x21, T::kTwoByteInteger, {S::kConnect, S::kConnack}},
      {0x22, T::kTwoByteInteger, {S::kConnect, S::kConnack}},
      {0x23, T::kTwoByteInteger, {S::kPublish}},
      {0x24, T::kByte, {S::kConnack}},
      {0x25, T::kByte, {S::kConnack}},
      {0x26,
       T::kUtf8StringPair,
       {S::kConnect, S::kConnack, S::kPublish, S::kWill, S::kPuback, S::kPubrec, S::kPubrel,
        S::kPubcomp, S::kSubscribe, S::kSuback, S::kUnsubscribe, S::kUnsuback, S::kDisconnect,
        S::kAuth}},
      {0x27, T::kFourByteInteger, {S::kConnect, S::kConnack}},
      {0x28, T::kByte, {S::kConnack}},
      {0x29, T::kByte, {S::kConnack}},
      {0x2A, T::kByte, {S::kConnack}},
  };
  return table;
}

constexpr PropertyScope kAllScopes[] = {
    S::kConnect,     S::kConnack,  S::kPublish,    S::kWill,      S::kPuback,
    S::kPubrec,      S::kPubrel,   S::kPubcomp,    S::kSubscribe, S::kSuback,
    S::kUnsubscribe, S::kUnsuback, S::kDisconnect, S::kAuth,
};

std::uint16_t mask_of(const std::vector<PropertyScope>& scopes) {
  std::uint16_t m = 0;
  for (PropertyScope s : scopes) m = static_cast<std::uint16_t>(m | scope_bit(s));
  return m;
}

// One valid value of `type`.
Bytes valid_value(PropertyType type) {
  switch (type) {
    case T::kByte: return {1};
    case T::kTwoByteInteger: return u16(1);
    case T::kFourByteInteger: return u32(1);
    case T::kVarInt: return vbi(1);
    case T::kUtf8String: return str("a/b");
    case T::kBinary: return bin({1});
    case T::kUtf8StringPair: return str("n") + str("v");
  }
  return {};
}

// A property block decoded for `scope`. `properties` points into `wire`, so a Block is never
// copied or moved.
struct Block {
  Block(const Bytes& block, PropertyScope scope) : wire(props(block)) {
    Reader r(wire);
    error = detail::decode_properties(r, scope, &properties);
    if (!error) {
      EXPECT_TRUE(r.at_end());
    }
  }
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  Bytes wire;
  Properties properties;
  detail::MaybeError error;
};

TEST(PropertyTable, EveryIdentifierOfTable2_4) {
  ASSERT_EQ(spec_table().size(), 27u);
  for (const Expected& e : spec_table()) {
    const PropertyInfo* info = find_property(e.id);
    ASSERT_NE(info, nullptr) << int{e.id};
    EXPECT_EQ(static_cast<std::uint8_t>(info->id), e.id);
    EXPECT_EQ(info->type, e.type) << info->name;
    EXPECT_EQ(info->allowed_scopes, mask_of(e.scopes)) << info->name;
    EXPECT_EQ(info->may_repeat, e.id == 0x26 || e.id == 0x0B) << info->name;
    EXPECT_FALSE(info->name.empty());
  }
}

TEST(PropertyTable, UndefinedIdentifiers) {
  int defined = 0;
  for (int id = 0; id < 256; ++id) {
    if (find_property(static_cast<std::uint8_t>(id)) != nullptr) ++defined;
  }
  EXPECT_EQ(defined, 27);
  for (int id : {0x00, 0x04, 0x07, 0x0A, 0x0C, 0x10, 0x14, 0x1B, 0x1D, 0x20, 0x2B, 0x7F, 0xFF}) {
    EXPECT_EQ(find_property(static_cast<std::uint8_t>(id)), nullptr) << id;
  }
}

TEST(PropertyBlock, EachPropertyIsAcceptedExactlyWhereTable2_4AllowsIt) {
  for (const Expected& e : spec_table()) {
    for (PropertyScope scope : kAllScopes) {
      Bytes block = Bytes{e.id} + valid_value(e.type);
      // Authentication Data needs an Authentication Method in CONNECT (3.1.2.11.10).
      if (e.id == 0x16 && scope == S::kConnect) block = Bytes{0x15} + str("M") + block;
      const Block b(block, scope);
      const detail::MaybeError& err = b.error;
      const bool allowed = (mask_of(e.scopes) & scope_bit(scope)) != 0;
      EXPECT_EQ(!err.has_value(), allowed) << "id " << int{e.id} << " scope " << int(scope);
      if (err) {
        EXPECT_EQ(err->reason, ReasonCode::kMalformedPacket);
        EXPECT_EQ(err->statement, "2.2.2.2");
      }
    }
  }
}

TEST(PropertyBlock, OnlyUserPropertyAndPublishSubscriptionIdentifierRepeat) {
  for (const Expected& e : spec_table()) {
    for (PropertyScope scope : e.scopes) {
      const Bytes one = Bytes{e.id} + valid_value(e.type);
      Bytes block = one + one;
      if (e.id == 0x16 && scope == S::kConnect) block = Bytes{0x15} + str("M") + block;
      const Block b(block, scope);
      const detail::MaybeError& err = b.error;
      const bool may_repeat = e.id == 0x26 || (e.id == 0x0B && scope == S::kPublish);
      EXPECT_EQ(!err.has_value(), may_repeat) << "id " << int{e.id} << " scope " << int(scope);
      if (err) {
        EXPECT_EQ(err->reason, ReasonCode::kProtocolError);
      }
    }
  }
}

TEST(PropertyBlock, RepeatingPropertiesAreReadLazilyAmongTheOthers) {
  const Bytes block = Bytes{0x26} + str("a") + str("1") + Bytes{0x0B} + vbi(300) + Bytes{0x02} +
                      u32(9) + Bytes{0x26} + str("b") + str("") + Bytes{0x0B} + vbi(2) +
                      Bytes{0x09} + bin({}) + Bytes{0x26} + str("a") + str("3");
  const Block b(block, S::kPublish);
  ASSERT_FALSE(b.error);
  const Properties& out = b.properties;
  EXPECT_EQ(std::vector<StringPair>(out.user_properties.begin(), out.user_properties.end()),
            (std::vector<StringPair>{{"a", "1"}, {"b", ""}, {"a", "3"}}));
  EXPECT_EQ(std::vector<std::uint32_t>(out.subscription_identifiers.begin(),
                                       out.subscription_identifiers.end()),
            (std::vector<std::uint32_t>{300, 2}));
  EXPECT_EQ(out.message_expiry_interval, 9u);
  EXPECT_TRUE(out.has(PropertyId::kCorrelationData));
  EXPECT_TRUE(out.correlation_data.empty());
}

TEST(PropertyBlock, EmptyBlockLeavesDefaults) {
  const Block b({}, S::kConnack);
  ASSERT_FALSE(b.error);
  const Properties& out = b.properties;
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(out.receive_maximum, 65535);
  EXPECT_EQ(out.maximum_qos, 2);
  EXPECT_EQ(out.retain_available, 1);
  EXPECT_EQ(out.wildcard_subscription_available, 1);
  EXPECT_EQ(out.subscription_identifier_available, 1);
  EXPECT_EQ(out.shared_subscription_available, 1);
}

TEST(PropertyBlock, LongBlockWithTwoBytePropertyLength) {
  Bytes block;
  for (int i = 0; i < 40; ++i) block = block + Bytes{0x26} + str("name") + str("value");
  ASSERT_GT(block.size(), 127u);
  const Block b(block, S::kDisconnect);
  ASSERT_FALSE(b.error);
  const Properties& out = b.properties;
  EXPECT_EQ(out.user_properties.size(), 40u);
  std::size_t n = 0;
  for (const StringPair& p : out.user_properties) {
    EXPECT_EQ(p.name, "name");
    EXPECT_EQ(p.value, "value");
    ++n;
  }
  EXPECT_EQ(n, 40u);
}

TEST(PropertyBlock, SubscriptionIdentifierBounds) {
  const Block max(Bytes{0x0B} + vbi(268'435'455), S::kSubscribe);
  EXPECT_FALSE(max.error);
  EXPECT_EQ(*max.properties.subscription_identifiers.begin(), 268'435'455u);
  // A five-byte Variable Byte Integer cannot hold a larger value: it is unreadable.
  const Block too_long(Bytes{0x0B, 0xFF, 0xFF, 0xFF, 0xFF, 0x01}, S::kSubscribe);
  ASSERT_TRUE(too_long.error);
  EXPECT_EQ(too_long.error->statement, "2.2.2.2");
}

TEST(PropertyBlock, ZeroOrOneBytesAcceptBoth) {
  for (std::uint8_t id : {0x24, 0x25, 0x28, 0x29, 0x2A}) {
    for (std::uint8_t v : {0, 1}) {
      const Block b({id, v}, S::kConnack);
      EXPECT_FALSE(b.error) << int{id} << "=" << int{v};
    }
  }
}

}  // namespace
}  // namespace rmq::codec::test
