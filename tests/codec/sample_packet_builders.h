// Building blocks of the sample packet catalogue (sample_packets.h): the SamplePacket type, the
// static storage every sample points into, and small constructors for packet views.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "codec/packets.h"
#include "codec/properties.h"
#include "codec/types.h"

namespace rmq::codec::testing {

struct SamplePacket {
  std::string name;         // unique, [a-z0-9_]: "v5_publish_all_properties"
  ProtocolVersion version;  // the version to encode and decode it with
  PacketView packet;
};

namespace sample_detail {

inline BinaryView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <typename T>
void set(Properties& p, PropertyId id, T Properties::*member, std::type_identity_t<T> value) {
  p.*member = value;
  p.mark(id);
}

// The static bytes every sample points into. Never resized after construction.
struct Storage {
  std::string max_string = std::string(65535, 'm');              // longest string field
  std::string max_topic = std::string(65535, 't');               // longest topic name
  std::string payload_70k = std::string(70'000, 'p');            // 3-byte remaining length
  std::string payload_2m = std::string(2'100'000, 'q');          // 4-byte remaining length
  std::string utf8 = "A\xF0\xAA\x9B\x94/\xC3\xBC/\xE3\x83\x86";  // U+2A6D4, U+00FC, U+30C6
  std::vector<std::string> names;
  std::vector<StringPair> few_user_properties;
  std::vector<StringPair> many_user_properties;  // 100, with repeated names and an empty pair
  std::vector<StringPair> max_user_property;
  std::array<std::uint32_t, 6> subscription_ids = {1, 127, 128, 16'383, 16'384, 268'435'455};
  std::array<std::uint32_t, 1> one_subscription_id = {42};
  std::vector<Subscription> one_subscription;
  std::vector<Subscription> subscriptions_v3;
  std::vector<Subscription> subscriptions_v5;
  std::array<std::string_view, 1> one_filter = {"a/+"};
  std::array<std::string_view, 4> filters = {"a/b", "+/+/#", "$share/g/x/#", "#"};
  std::array<std::uint8_t, 4> suback_v311 = {0x00, 0x01, 0x02, 0x80};
  std::array<std::uint8_t, 3> suback_v31 = {0x00, 0x01, 0x02};
  std::array<std::uint8_t, 12> suback_v5 = {0x00, 0x01, 0x02, 0x80, 0x83, 0x87,
                                            0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2};
  std::array<std::uint8_t, 7> unsuback_v5 = {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91};
  std::array<std::uint8_t, 1> one_code = {0x00};

  Storage() {
    names.reserve(100);
    for (int i = 0; i < 100; ++i) names.push_back("key-" + std::to_string(i % 37));
    few_user_properties = {{"region", "eu-west"}, {"a", "1"}, {"a", "2"}};
    many_user_properties.reserve(100);
    many_user_properties.push_back({"", ""});
    for (int i = 1; i < 100; ++i) many_user_properties.push_back({names[i], names[99 - i]});
    max_user_property = {{max_string, max_string}};
    one_subscription = {
        {"a/+", {QoS::kAtLeastOnce, false, false, RetainHandling::kSendOnSubscribe}}};
    subscriptions_v3 = {
        {"a/b", {QoS::kAtMostOnce, false, false, RetainHandling::kSendOnSubscribe}},
        {"+/+/#", {QoS::kAtLeastOnce, false, false, RetainHandling::kSendOnSubscribe}},
        {"#", {QoS::kExactlyOnce, false, false, RetainHandling::kSendOnSubscribe}},
        {utf8, {QoS::kAtLeastOnce, false, false, RetainHandling::kSendOnSubscribe}},
    };
    subscriptions_v5 = {
        {"a/b", {QoS::kAtMostOnce, true, false, RetainHandling::kSendOnSubscribe}},
        {"+/+/#", {QoS::kAtLeastOnce, false, true, RetainHandling::kSendIfNewSubscription}},
        {"#", {QoS::kExactlyOnce, true, true, RetainHandling::kDoNotSend}},
        {"$share/group/s/+", {QoS::kAtLeastOnce, false, true, RetainHandling::kDoNotSend}},
        {utf8, {QoS::kExactlyOnce, false, false, RetainHandling::kSendOnSubscribe}},
    };
  }
};

inline const Storage& storage() {
  static const Storage s;
  return s;
}

inline std::string_view version_prefix(ProtocolVersion v) {
  switch (v) {
    case ProtocolVersion::kV31: return "v31_";
    case ProtocolVersion::kV311: return "v311_";
    case ProtocolVersion::kV5: return "v5_";
  }
  return "v_";
}

class Catalogue {
 public:
  explicit Catalogue(std::vector<SamplePacket>* out) : out_(out) {}
  void add(ProtocolVersion v, std::string_view name, PacketType type, PacketBody body) {
    out_->push_back({std::string(version_prefix(v)) + std::string(name), v, {type, body}});
  }

 private:
  std::vector<SamplePacket>* out_;
};

inline ConnectView connect(ProtocolVersion v, std::string_view client_id, std::uint16_t keep_alive,
                           bool clean_start) {
  ConnectView c;
  c.version = v;
  c.client_id = client_id;
  c.keep_alive = keep_alive;
  c.clean_start = clean_start;
  return c;
}

inline WillView will(QoS qos, bool retain, std::string_view topic, std::string_view payload) {
  WillView w;
  w.qos = qos;
  w.retain = retain;
  w.topic = topic;
  w.payload = as_bytes(payload);
  return w;
}

inline PublishView publish(QoS qos, std::uint16_t packet_id, std::string_view topic,
                           std::string_view payload) {
  PublishView p;
  p.qos = qos;
  p.packet_id = packet_id;
  p.topic = topic;
  p.payload = as_bytes(payload);
  return p;
}

inline AckView ack(std::uint16_t packet_id, ReasonCode code = ReasonCode::kSuccess) {
  AckView a;
  a.packet_id = packet_id;
  a.reason_code = code;
  return a;
}

template <typename View>
View with_packet_id(std::uint16_t packet_id) {
  View v;
  v.packet_id = packet_id;
  return v;
}

}  // namespace sample_detail
}  // namespace rmq::codec::testing
