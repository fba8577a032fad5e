// Valid PUBACK/PUBREC/PUBREL/PUBCOMP, SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ,
// PINGRESP, DISCONNECT and AUTH packets of 3.1.1 and 5.0 decode to the fields they carry.
#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "codec/decode.h"
#include "tests/codec/hand_bytes.h"
#include "tests/codec/valid_packets.h"

namespace rmq::codec::test {
namespace {

using namespace samples;  // NOLINT(google-build-using-namespace)

std::vector<StringPair> pairs_of(const WireList<StringPair>& list) {
  return std::vector<StringPair>(list.begin(), list.end());
}


TEST(DecodeAck, V311AllFourTypes) {
  struct Case {
    Bytes bytes;
    PacketType type;
    std::uint16_t id;
  };
  for (const Case& c :
       {Case{puback_v311(), PacketType::kPuback, 1}, Case{pubrec_v311(), PacketType::kPubrec, 2},
        Case{pubrel_v311(), PacketType::kPubrel, 3},
        Case{pubcomp_v311(), PacketType::kPubcomp, 4}}) {
    const PacketView p = decode_whole(c.bytes, ProtocolVersion::kV311, c.type);
    EXPECT_EQ(std::get<AckView>(p.body).packet_id, c.id);
    EXPECT_EQ(std::get<AckView>(p.body).reason_code, ReasonCode::kSuccess);
    EXPECT_TRUE(std::get<AckView>(p.body).properties.empty());
  }
}

TEST(DecodeAck, V5RemainingLength2IsSuccessWithoutProperties) {
  const Bytes in = puback_v5_short();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPuback);
  EXPECT_EQ(std::get<AckView>(p.body).packet_id, 11);
  EXPECT_EQ(std::get<AckView>(p.body).reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(std::get<AckView>(p.body).properties.empty());
}

TEST(DecodeAck, V5RemainingLength3IsReasonCodeWithoutProperties) {
  const Bytes in = pubrec_v5_reason_only();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPubrec);
  EXPECT_EQ(std::get<AckView>(p.body).packet_id, 12);
  EXPECT_EQ(std::get<AckView>(p.body).reason_code, ReasonCode::kNoMatchingSubscribers);
  EXPECT_TRUE(std::get<AckView>(p.body).properties.empty());
}

TEST(DecodeAck, V5ReasonCodeAndProperties) {
  const Bytes in = pubrel_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPubrel);
  const auto& a = std::get<AckView>(p.body);
  EXPECT_EQ(a.packet_id, 13);
  EXPECT_EQ(a.reason_code, ReasonCode::kPacketIdentifierNotFound);
  EXPECT_EQ(a.properties.reason_string, "gone");
  EXPECT_EQ(pairs_of(a.properties.user_properties), (std::vector<StringPair>{{"k", "v"}}));
}

TEST(DecodeAck, V5EmptyPropertyBlock) {
  const Bytes in = pubcomp_v5_empty_properties();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kPubcomp);
  EXPECT_EQ(std::get<AckView>(p.body).packet_id, 14);
  EXPECT_TRUE(std::get<AckView>(p.body).properties.empty());
}

TEST(DecodeSubscribe, V311SeveralFilters) {
  const Bytes in = subscribe_v311();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kSubscribe);
  const auto& s = std::get<SubscribeView>(p.body);
  EXPECT_EQ(s.packet_id, 5);
  ASSERT_EQ(s.subscriptions.size(), 3u);
  const std::vector<Subscription> subs(s.subscriptions.begin(), s.subscriptions.end());
  EXPECT_EQ(subs[0].filter, "a/+");
  EXPECT_EQ(subs[0].options.max_qos, QoS::kAtLeastOnce);
  EXPECT_EQ(subs[1].filter, "b/#");
  EXPECT_EQ(subs[1].options.max_qos, QoS::kExactlyOnce);
  EXPECT_EQ(subs[2].filter, "c");
  EXPECT_EQ(subs[2].options, SubscriptionOptions{});
  for (const Subscription& sub : subs) EXPECT_TRUE(points_into(sub.filter, in));
}

TEST(DecodeSubscribe, V5OptionsPropertiesAndSharedFilter) {
  const Bytes in = subscribe_v5();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kSubscribe);
  const auto& s = std::get<SubscribeView>(p.body);
  EXPECT_EQ(s.packet_id, 6);
  EXPECT_EQ(std::vector<std::uint32_t>(s.properties.subscription_identifiers.begin(),
                                       s.properties.subscription_identifiers.end()),
            (std::vector<std::uint32_t>{42}));
  EXPECT_EQ(pairs_of(s.properties.user_properties), (std::vector<StringPair>{{"s", "t"}}));
  const std::vector<Subscription> subs(s.subscriptions.begin(), s.subscriptions.end());
  ASSERT_EQ(subs.size(), 3u);
  EXPECT_EQ(subs[0].filter, "a/b");
  EXPECT_EQ(subs[0].options.max_qos, QoS::kAtLeastOnce);
  EXPECT_TRUE(subs[0].options.no_local);
  EXPECT_TRUE(subs[0].options.retain_as_published);
  EXPECT_EQ(subs[0].options.retain_handling, RetainHandling::kDoNotSend);
  EXPECT_EQ(subs[1].filter, "$share/grp/x/+");
  EXPECT_EQ(subs[1].options.max_qos, QoS::kExactlyOnce);
  EXPECT_FALSE(subs[1].options.no_local);
  EXPECT_EQ(subs[1].options.retain_handling, RetainHandling::kSendOnSubscribe);
  EXPECT_EQ(subs[2].filter, "#");
  EXPECT_EQ(subs[2].options.retain_handling, RetainHandling::kSendIfNewSubscription);
}

TEST(DecodeSubscribe, WireListIteratesTwiceTheSame) {
  const Bytes in = subscribe_v5();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kSubscribe);
  const auto& list = std::get<SubscribeView>(p.body).subscriptions;
  const std::vector<Subscription> once(list.begin(), list.end());
  const std::vector<Subscription> twice(list.begin(), list.end());
  EXPECT_EQ(once, twice);
  EXPECT_TRUE(list == list);
}

TEST(DecodeSuback, V311ReturnCodes) {
  const Bytes in = suback_v311();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kSuback);
  const auto& s = std::get<SubackView>(p.body);
  EXPECT_EQ(s.packet_id, 5);
  EXPECT_EQ(Bytes(s.reason_codes.begin(), s.reason_codes.end()), (Bytes{1, 2, 0x80, 0}));
  EXPECT_TRUE(points_into(s.reason_codes, in));
}

TEST(DecodeSuback, V5PropertiesThenReasonCodes) {
  const Bytes in = suback_v5();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kSuback);
  const auto& s = std::get<SubackView>(p.body);
  EXPECT_EQ(s.packet_id, 6);
  EXPECT_EQ(s.properties.reason_string, "r");
  EXPECT_EQ(pairs_of(s.properties.user_properties), (std::vector<StringPair>{{"x", "y"}}));
  EXPECT_EQ(Bytes(s.reason_codes.begin(), s.reason_codes.end()), (Bytes{0x01, 0x8F, 0xA2}));
}

TEST(DecodeUnsubscribe, V311) {
  const Bytes in = unsubscribe_v311();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kUnsubscribe);
  const auto& u = std::get<UnsubscribeView>(p.body);
  EXPECT_EQ(u.packet_id, 7);
  EXPECT_EQ(std::vector<std::string_view>(u.filters.begin(), u.filters.end()),
            (std::vector<std::string_view>{"a/+", "b"}));
}

TEST(DecodeUnsubscribe, V5) {
  const Bytes in = unsubscribe_v5();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kUnsubscribe);
  const auto& u = std::get<UnsubscribeView>(p.body);
  EXPECT_EQ(u.packet_id, 8);
  EXPECT_EQ(pairs_of(u.properties.user_properties), (std::vector<StringPair>{{"u", "v"}}));
  EXPECT_EQ(std::vector<std::string_view>(u.filters.begin(), u.filters.end()),
            (std::vector<std::string_view>{"$share/g/a"}));
}

TEST(DecodeUnsuback, V311PacketIdentifierOnly) {
  const Bytes in = unsuback_v311();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kUnsuback);
  EXPECT_EQ(std::get<SubackView>(p.body).packet_id, 7);
  EXPECT_TRUE(std::get<SubackView>(p.body).reason_codes.empty());
}

TEST(DecodeUnsuback, V5ReasonCodes) {
  const Bytes in = unsuback_v5();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kUnsuback);
  const auto& s = std::get<SubackView>(p.body);
  EXPECT_EQ(s.packet_id, 8);
  EXPECT_EQ(Bytes(s.reason_codes.begin(), s.reason_codes.end()), (Bytes{0x00, 0x11}));
}

TEST(DecodePing, RequestAndResponse) {
  const Bytes req_in = pingreq();
  const PacketView req = decode_whole(req_in, ProtocolVersion::kV311, PacketType::kPingreq);
  EXPECT_TRUE(std::holds_alternative<EmptyView>(req.body));
  const Bytes resp_in = pingresp();
  const PacketView resp = decode_whole(resp_in, ProtocolVersion::kV5, PacketType::kPingresp);
  EXPECT_TRUE(std::holds_alternative<EmptyView>(resp.body));
}

TEST(DecodeDisconnect, V311) {
  const Bytes in = disconnect_v311();
  const PacketView p = decode_whole(in, ProtocolVersion::kV311, PacketType::kDisconnect);
  EXPECT_EQ(std::get<DisconnectView>(p.body).reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(std::get<DisconnectView>(p.body).properties.empty());
}

TEST(DecodeDisconnect, V5RemainingLength0IsNormalDisconnection) {
  const Bytes in = disconnect_v5_short();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kDisconnect);
  EXPECT_EQ(std::get<DisconnectView>(p.body).reason_code, ReasonCode::kSuccess);
}

TEST(DecodeDisconnect, V5ReasonCodeOnly) {
  const Bytes in = disconnect_v5_reason_only();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kDisconnect);
  EXPECT_EQ(std::get<DisconnectView>(p.body).reason_code, ReasonCode::kDisconnectWithWill);
  EXPECT_TRUE(std::get<DisconnectView>(p.body).properties.empty());
}

TEST(DecodeDisconnect, V5ReasonCodeAndProperties) {
  const Bytes in = disconnect_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kDisconnect);
  const auto& d = std::get<DisconnectView>(p.body);
  EXPECT_EQ(d.reason_code, ReasonCode::kUseAnotherServer);
  EXPECT_TRUE(d.properties.has(PropertyId::kSessionExpiryInterval));
  EXPECT_EQ(d.properties.session_expiry_interval, 0u);
  EXPECT_EQ(d.properties.reason_string, "moving");
  EXPECT_EQ(d.properties.server_reference, "srv2");
  EXPECT_EQ(pairs_of(d.properties.user_properties), (std::vector<StringPair>{{"d", "e"}}));
}

TEST(DecodeAuth, V5RemainingLength0IsSuccess) {
  const Bytes in = auth_v5_short();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kAuth);
  EXPECT_EQ(std::get<AuthView>(p.body).reason_code, ReasonCode::kSuccess);
  EXPECT_TRUE(std::get<AuthView>(p.body).properties.empty());
}

TEST(DecodeAuth, V5ContinueAuthentication) {
  const Bytes in = auth_v5_full();
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kAuth);
  const auto& a = std::get<AuthView>(p.body);
  EXPECT_EQ(a.reason_code, ReasonCode::kContinueAuthentication);
  EXPECT_EQ(a.properties.authentication_method, "SCRAM");
  EXPECT_EQ(Bytes(a.properties.authentication_data.begin(), a.properties.authentication_data.end()),
            (Bytes{1}));
  EXPECT_EQ(a.properties.reason_string, "more");
  EXPECT_EQ(pairs_of(a.properties.user_properties), (std::vector<StringPair>{{"a", "u"}}));
  EXPECT_TRUE(points_into(a.properties.authentication_data, in));
}

TEST(DecodeAuth, V5ReAuthenticate) {
  const Bytes in = packet(0xF0, Bytes{0x19} + props(Bytes{0x15} + str("M")));
  const PacketView p = decode_whole(in, ProtocolVersion::kV5, PacketType::kAuth);
  EXPECT_EQ(std::get<AuthView>(p.body).reason_code, ReasonCode::kReAuthenticate);
}

TEST(DecodeV31, EveryV311LayoutReadsTheSameAs31) {
  std::size_t compared = 0;
  for (const samples::Sample& s : samples::all()) {
    if (s.version != ProtocolVersion::kV311 || s.bytes[0] == 0x10) continue;
    if (s.bytes[0] == 0x20 && s.bytes[2] != 0) continue;  // 3.1 CONNACK has no Session Present
    const DecodeResult v311 = decode_as(s.bytes, ProtocolVersion::kV311);
    const DecodeResult v31 = decode_as(s.bytes, ProtocolVersion::kV31);
    ASSERT_EQ(v31.status, DecodeStatus::kComplete) << s.name;
    EXPECT_EQ(v31.consumed, v311.consumed) << s.name;
    EXPECT_TRUE(v31.packet == v311.packet) << s.name;
    ++compared;
  }
  EXPECT_GE(compared, 14u);
}

TEST(DecodeV31, ConnackFirstByteIsReservedAndIgnored) {
  const Bytes bytes = {0x20, 0x02, 0x01, 0x00};
  const DecodeResult v31 = decode_as(bytes, ProtocolVersion::kV31);
  ASSERT_EQ(v31.status, DecodeStatus::kComplete);
  EXPECT_FALSE(v31.packet.as<ConnackView>().session_present);
  const DecodeResult v311 = decode_as(bytes, ProtocolVersion::kV311);
  ASSERT_EQ(v311.status, DecodeStatus::kComplete);
  EXPECT_TRUE(v311.packet.as<ConnackView>().session_present);
}

}  // namespace
}  // namespace rmq::codec::test
