// A catalogue of representative MQTT packets for tests, fuzz seed corpora and benchmarks:
// every packet type for 3.1, 3.1.1 and 5.0, including packets carrying every property allowed in
// them, many user properties, several subscription identifiers, empty payloads and strings at the
// 65535-byte limit.
//
// Every sample is a valid packet for its version: decode(encode(sample)) gives the sample back.
// All backing storage (strings, payloads, lists) is static and lives for the whole program, so
// the views in a SamplePacket (sample_packet_builders.h) never dangle. Header-only; built once,
// on first use.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "codec/encode.h"
#include "codec/packets.h"
#include "codec/types.h"
#include "tests/codec/sample_packet_builders.h"
#include "tests/codec/sample_packets_v5.h"

namespace rmq::codec::testing {

// Every sample of every version, in a fixed order.
const std::vector<SamplePacket>& all_sample_packets();
// The samples of one version, in catalogue order.
std::vector<SamplePacket> sample_packets(ProtocolVersion version);
// GoogleTest prints a sample by its name.
inline void PrintTo(const SamplePacket& sample, std::ostream* os) { *os << sample.name; }
// The sample encoded for its version (empty if encode failed).
std::vector<std::uint8_t> encode_sample(const SamplePacket& sample);

namespace sample_detail {

// CONNECT and CONNACK valid in every version (3.1 has no Session Present flag).
inline void add_connect_packets(Catalogue& c, ProtocolVersion v) {
  const Storage& s = storage();
  c.add(v, "connect_minimal", PacketType::kConnect, connect(v, "c", 60, true));
  ConnectView full = connect(v, "client-123", 65535, false);
  full.will = will(QoS::kAtLeastOnce, true, "will/topic", "gone");
  full.username = "user";
  full.password = as_bytes(std::string_view("\x00\x01\xFFsecret", 9));
  c.add(v, "connect_will_username_password", PacketType::kConnect, full);
  ConnectView will_qos2 = connect(v, "w", 0, true);
  will_qos2.will = will(QoS::kExactlyOnce, false, s.utf8, "");
  will_qos2.username = s.utf8;
  c.add(v, "connect_will_qos2_empty_payload", PacketType::kConnect, will_qos2);
  if (v != ProtocolVersion::kV31) {
    c.add(v, "connect_empty_client_id", PacketType::kConnect, connect(v, "", 30, true));
    ConnectView long_id = connect(v, s.max_string, 10, true);
    long_id.username = s.max_string;
    long_id.password = as_bytes(s.max_string);
    c.add(v, "connect_max_strings", PacketType::kConnect, long_id);
  }
  c.add(v, "connack_accepted", PacketType::kConnack, ConnackView{});
  ConnackView refused;
  refused.reason_code = is_v5(v) ? static_cast<std::uint8_t>(ReasonCode::kNotAuthorized)
                                 : static_cast<std::uint8_t>(ConnackReturnCode::kNotAuthorized);
  c.add(v, "connack_refused", PacketType::kConnack, refused);
  if (v != ProtocolVersion::kV31) {
    ConnackView present;
    present.session_present = true;
    c.add(v, "connack_session_present", PacketType::kConnack, present);
  }
}

// PUBLISH and its acknowledgements, without properties.
inline void add_publish_packets(Catalogue& c, ProtocolVersion v) {
  const Storage& s = storage();
  c.add(v, "publish_qos0", PacketType::kPublish, publish(QoS::kAtMostOnce, 0, "a/b", "hello"));
  PublishView retained = publish(QoS::kAtLeastOnce, 10, "sensors/1/temp", "21.5");
  retained.retain = true;
  c.add(v, "publish_qos1_retain", PacketType::kPublish, retained);
  PublishView dup = publish(QoS::kExactlyOnce, 65535, "a", "\x01\x02\x03");
  dup.dup = true;
  c.add(v, "publish_qos2_dup", PacketType::kPublish, dup);
  c.add(v, "publish_empty_payload", PacketType::kPublish, publish(QoS::kAtMostOnce, 0, "e", ""));
  c.add(v, "publish_utf8_topic", PacketType::kPublish, publish(QoS::kAtLeastOnce, 1, s.utf8, "u"));
  c.add(v, "publish_max_topic", PacketType::kPublish,
        publish(QoS::kAtMostOnce, 0, s.max_topic, "x"));
  c.add(v, "publish_payload_70k", PacketType::kPublish,
        publish(QoS::kAtLeastOnce, 7, "big", s.payload_70k));
  if (v != ProtocolVersion::kV31) {
    c.add(v, "publish_payload_2m", PacketType::kPublish,
          publish(QoS::kAtMostOnce, 0, "huge", s.payload_2m));
  }
  c.add(v, "puback", PacketType::kPuback, ack(1));
  c.add(v, "pubrec", PacketType::kPubrec, ack(2));
  c.add(v, "pubrel", PacketType::kPubrel, ack(65535));
  c.add(v, "pubcomp", PacketType::kPubcomp, ack(256));
}

// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGs and DISCONNECT, without properties.
inline void add_session_packets(Catalogue& c, ProtocolVersion v) {
  const Storage& s = storage();
  auto sub1 = with_packet_id<SubscribeView>(1);
  sub1.subscriptions = std::span<const Subscription>(s.one_subscription);
  c.add(v, "subscribe_one", PacketType::kSubscribe, sub1);
  auto sub_many = with_packet_id<SubscribeView>(65535);
  sub_many.subscriptions = std::span<const Subscription>(s.subscriptions_v3);
  c.add(v, "subscribe_many", PacketType::kSubscribe, sub_many);
  auto suback = with_packet_id<SubackView>(65535);
  suback.reason_codes = v == ProtocolVersion::kV31 ? std::span<const std::uint8_t>(s.suback_v31)
                                                   : std::span<const std::uint8_t>(s.suback_v311);
  c.add(v, "suback", PacketType::kSuback, suback);
  auto unsub1 = with_packet_id<UnsubscribeView>(2);
  unsub1.filters = std::span<const std::string_view>(s.one_filter);
  c.add(v, "unsubscribe_one", PacketType::kUnsubscribe, unsub1);
  auto unsub_many = with_packet_id<UnsubscribeView>(3);
  unsub_many.filters = std::span<const std::string_view>(s.filters);
  c.add(v, "unsubscribe_many", PacketType::kUnsubscribe, unsub_many);
  if (!is_v5(v)) {
    c.add(v, "unsuback", PacketType::kUnsuback, with_packet_id<SubackView>(3));
  }
  c.add(v, "pingreq", PacketType::kPingreq, EmptyView{});
  c.add(v, "pingresp", PacketType::kPingresp, EmptyView{});
  c.add(v, "disconnect", PacketType::kDisconnect, DisconnectView{});
}

}  // namespace sample_detail

inline const std::vector<SamplePacket>& all_sample_packets() {
  static const std::vector<SamplePacket> samples = [] {
    std::vector<SamplePacket> out;
    sample_detail::Catalogue c(&out);
    for (ProtocolVersion v :
         {ProtocolVersion::kV31, ProtocolVersion::kV311, ProtocolVersion::kV5}) {
      sample_detail::add_connect_packets(c, v);
      sample_detail::add_publish_packets(c, v);
      sample_detail::add_session_packets(c, v);
      if (is_v5(v)) sample_detail::add_v5_packets(c);
    }
    return out;
  }();
  return samples;
}

inline std::vector<SamplePacket> sample_packets(ProtocolVersion version) {
  std::vector<SamplePacket> out;
  for (const SamplePacket& s : all_sample_packets()) {
    if (s.version == version) out.push_back(s);
  }
  return out;
}

inline std::vector<std::uint8_t> encode_sample(const SamplePacket& sample) {
  std::vector<std::uint8_t> out(encoded_size(sample.packet, sample.version));
  if (encode(sample.packet, sample.version, out) != out.size()) out.clear();
  return out;
}

}  // namespace rmq::codec::testing
