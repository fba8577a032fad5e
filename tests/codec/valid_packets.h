// Hand-written valid packets of every type, for 3.1, 3.1.1 and 5.0. decode_test.cc checks every
// field of each; need_more_test.cc truncates and mutates all of them (kAllSamples).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "codec/types.h"
#include "tests/codec/hand_bytes.h"

namespace rmq::codec::test::samples {

// "héllo": valid UTF-8 with a two-byte sequence.
inline Bytes hello_utf8() { return raw("h\xC3\xA9llo"); }

// 3.1: all flags but the reserved one; Will QoS 1, retained.
inline Bytes connect_v31() {
  return packet(0x10, str("MQIsdp") + Bytes{3, 0xEE} + u16(30) + str("c31") + str("w/31") +
                          str("bye") + str("u") + str("p"));
}
inline Bytes connect_v311_minimal() {
  return packet(0x10, str("MQTT") + Bytes{4, 0x02} + u16(60) + str("client-1"));
}
// Clean Session 0 and a zero-length Client Identifier: valid on the wire (3.1.3.1).
inline Bytes connect_v311_empty_client_id() {
  return packet(0x10, str("MQTT") + Bytes{4, 0x00} + u16(0) + str(""));
}

inline Bytes connect_v5_properties() {
  return Bytes{0x11} + u32(3600) + Bytes{0x21} + u16(100) + Bytes{0x27} + u32(65536) + Bytes{0x22} +
         u16(10) + Bytes{0x19, 1} + Bytes{0x17, 0} + Bytes{0x26} + str("k1") + str("v1") +
         Bytes{0x26} + str("k2") + str("v2") + Bytes{0x15} + str("SCRAM") + Bytes{0x16} +
         bin({1, 2, 3});
}
inline Bytes will_v5_properties() {
  return Bytes{0x18} + u32(5) + Bytes{0x01, 1} + Bytes{0x02} + u32(60) + Bytes{0x03} +
         str("text/plain") + Bytes{0x08} + str("resp/t") + Bytes{0x09} + bin({9, 8}) + Bytes{0x26} +
         str("wk") + str("wv");
}
// User Name, Password, Will QoS 2 (not retained), Clean Start; every CONNECT and Will property.
inline Bytes connect_v5_full() {
  return packet(0x10, str("MQTT") + Bytes{5, 0xD6} + u16(0x1234) + props(connect_v5_properties()) +
                          str("c5") + props(will_v5_properties()) + str("will/t") +
                          bin(hello_utf8()) + str("user") + bin({0, 1, 2}));
}
// 5.0 allows a Password without a User Name (3.1.2.9).
inline Bytes connect_v5_password_only() {
  return packet(0x10,
                str("MQTT") + Bytes{5, 0x42} + u16(10) + props({}) + str("p") + str("secret"));
}

inline Bytes connack_v311_session_present() { return packet(0x20, {0x01, 0x00}); }
inline Bytes connack_v311_not_authorized() { return packet(0x20, {0x00, 0x05}); }
inline Bytes connack_v5_minimal() { return packet(0x20, {0x00, 0x00, 0x00}); }
inline Bytes connack_v5_properties() {
  return Bytes{0x11} + u32(7200) + Bytes{0x21} + u16(20) + Bytes{0x24, 1} + Bytes{0x25, 0} +
         Bytes{0x27} + u32(1024) + Bytes{0x12} + str("assigned-1") + Bytes{0x22} + u16(5) +
         Bytes{0x1F} + str("ok") + Bytes{0x26} + str("a") + str("b") + Bytes{0x28, 0} +
         Bytes{0x29, 0} + Bytes{0x2A, 0} + Bytes{0x13} + u16(30) + Bytes{0x1A} + str("resp/info") +
         Bytes{0x1C} + str("other:1883") + Bytes{0x15} + str("SCRAM") + Bytes{0x16} + bin({7});
}
inline Bytes connack_v5_full() {
  return packet(0x20, Bytes{0x00, 0x00} + props(connack_v5_properties()));
}

inline Bytes publish_v311_qos0() { return packet(0x30, str("a/b") + raw("hello")); }
// DUP, QoS 1, RETAIN, empty payload.
inline Bytes publish_v311_qos1_dup_retain() { return packet(0x3B, str("x") + u16(10)); }
inline Bytes publish_v311_qos2() {
  return packet(0x34, str("sensors/1") + u16(0xFFFF) + Bytes{0, 1, 2, 0xFF});
}
inline Bytes publish_v31_qos1() { return packet(0x32, str("t") + u16(1) + raw("p")); }
// Interleaved User Properties and Subscription Identifiers, among the other PUBLISH properties.
inline Bytes publish_v5_properties() {
  return Bytes{0x01, 1} + Bytes{0x02} + u32(30) + Bytes{0x23} + u16(3) + Bytes{0x08} +
         str("reply/to") + Bytes{0x09} + bin({0xCA, 0xFE}) + Bytes{0x26} + str("first") + str("1") +
         Bytes{0x0B} + vbi(1) + Bytes{0x26} + str("second") + str("2") + Bytes{0x0B} +
         vbi(268'435'455) + Bytes{0x03} + str("text/plain") + Bytes{0x26} + str("first") +
         str("3") + Bytes{0x0B} + vbi(16384);
}
// QoS 2, RETAIN.
inline Bytes publish_v5_full() {
  return packet(0x35, str("a/b") + u16(7) + props(publish_v5_properties()) + hello_utf8());
}
// Empty Topic Name standing in for Topic Alias 3.
inline Bytes publish_v5_alias_only() {
  return packet(0x30, str("") + props(Bytes{0x23} + u16(3)) + raw("x"));
}

inline Bytes puback_v311() { return packet(0x40, u16(1)); }
inline Bytes pubrec_v311() { return packet(0x50, u16(2)); }
inline Bytes pubrel_v311() { return packet(0x62, u16(3)); }
inline Bytes pubcomp_v311() { return packet(0x70, u16(4)); }
inline Bytes puback_v5_short() { return packet(0x40, u16(11)); }
inline Bytes pubrec_v5_reason_only() { return packet(0x50, u16(12) + Bytes{0x10}); }
inline Bytes pubrel_v5_full() {
  return packet(0x62, u16(13) + Bytes{0x92} +
                          props(Bytes{0x1F} + str("gone") + Bytes{0x26} + str("k") + str("v")));
}
inline Bytes pubcomp_v5_empty_properties() {
  return packet(0x70, u16(14) + Bytes{0x00} + props({}));
}

inline Bytes subscribe_v311() {
  return packet(0x82, u16(5) + str("a/+") + Bytes{1} + str("b/#") + Bytes{2} + str("c") + Bytes{0});
}
// Options: QoS 1 + No Local + Retain As Published + Retain Handling 2; a shared subscription at
// QoS 2; "#" with Retain Handling 1.
inline Bytes subscribe_v5() {
  return packet(0x82, u16(6) + props(Bytes{0x0B} + vbi(42) + Bytes{0x26} + str("s") + str("t")) +
                          str("a/b") + Bytes{0x2D} + str("$share/grp/x/+") + Bytes{0x02} +
                          str("#") + Bytes{0x10});
}
inline Bytes suback_v311() { return packet(0x90, u16(5) + Bytes{1, 2, 0x80, 0}); }
inline Bytes suback_v5() {
  return packet(0x90, u16(6) + props(Bytes{0x1F} + str("r") + Bytes{0x26} + str("x") + str("y")) +
                          Bytes{0x01, 0x8F, 0xA2});
}
inline Bytes unsubscribe_v311() { return packet(0xA2, u16(7) + str("a/+") + str("b")); }
inline Bytes unsubscribe_v5() {
  return packet(0xA2, u16(8) + props(Bytes{0x26} + str("u") + str("v")) + str("$share/g/a"));
}
inline Bytes unsuback_v311() { return packet(0xB0, u16(7)); }
inline Bytes unsuback_v5() { return packet(0xB0, u16(8) + props({}) + Bytes{0x00, 0x11}); }

inline Bytes pingreq() { return {0xC0, 0x00}; }
inline Bytes pingresp() { return {0xD0, 0x00}; }

inline Bytes disconnect_v311() { return {0xE0, 0x00}; }
inline Bytes disconnect_v5_short() { return {0xE0, 0x00}; }
inline Bytes disconnect_v5_reason_only() { return {0xE0, 0x01, 0x04}; }
inline Bytes disconnect_v5_full() {
  return packet(
      0xE0, Bytes{0x9C} + props(Bytes{0x11} + u32(0) + Bytes{0x1F} + str("moving") + Bytes{0x1C} +
                                str("srv2") + Bytes{0x26} + str("d") + str("e")));
}
inline Bytes auth_v5_short() { return {0xF0, 0x00}; }
inline Bytes auth_v5_full() {
  return packet(
      0xF0, Bytes{0x18} + props(Bytes{0x15} + str("SCRAM") + Bytes{0x16} + bin({1}) + Bytes{0x1F} +
                                str("more") + Bytes{0x26} + str("a") + str("u")));
}

struct Sample {
  std::string name;
  ProtocolVersion version;
  Bytes bytes;
};

// Every sample above, plus each 3.1.1 sample but CONNECT (which announces its own version) read
// as 3.1, whose layouts are the same.
inline std::vector<Sample> all() {
  constexpr auto k31 = ProtocolVersion::kV31;
  constexpr auto k311 = ProtocolVersion::kV311;
  constexpr auto k5 = ProtocolVersion::kV5;
  std::vector<Sample> list = {
      {"connect_v31", k31, connect_v31()},
      {"connect_v311_minimal", k311, connect_v311_minimal()},
      {"connect_v311_empty_client_id", k311, connect_v311_empty_client_id()},
      {"connect_v5_full", k5, connect_v5_full()},
      {"connect_v5_password_only", k5, connect_v5_password_only()},
      {"connack_v311_session_present", k311, connack_v311_session_present()},
      {"connack_v311_not_authorized", k311, connack_v311_not_authorized()},
      {"connack_v5_minimal", k5, connack_v5_minimal()},
      {"connack_v5_full", k5, connack_v5_full()},
      {"publish_v311_qos0", k311, publish_v311_qos0()},
      {"publish_v311_qos1_dup_retain", k311, publish_v311_qos1_dup_retain()},
      {"publish_v311_qos2", k311, publish_v311_qos2()},
      {"publish_v31_qos1", k31, publish_v31_qos1()},
      {"publish_v5_full", k5, publish_v5_full()},
      {"publish_v5_alias_only", k5, publish_v5_alias_only()},
      {"puback_v311", k311, puback_v311()},
      {"pubrec_v311", k311, pubrec_v311()},
      {"pubrel_v311", k311, pubrel_v311()},
      {"pubcomp_v311", k311, pubcomp_v311()},
      {"puback_v5_short", k5, puback_v5_short()},
      {"pubrec_v5_reason_only", k5, pubrec_v5_reason_only()},
      {"pubrel_v5_full", k5, pubrel_v5_full()},
      {"pubcomp_v5_empty_properties", k5, pubcomp_v5_empty_properties()},
      {"subscribe_v311", k311, subscribe_v311()},
      {"subscribe_v5", k5, subscribe_v5()},
      {"suback_v311", k311, suback_v311()},
      {"suback_v5", k5, suback_v5()},
      {"unsubscribe_v311", k311, unsubscribe_v311()},
      {"unsubscribe_v5", k5, unsubscribe_v5()},
      {"unsuback_v311", k311, unsuback_v311()},
      {"unsuback_v5", k5, unsuback_v5()},
      {"pingreq", k311, pingreq()},
      {"pingresp", k5, pingresp()},
      {"disconnect_v311", k311, disconnect_v311()},
      {"disconnect_v5_short", k5, disconnect_v5_short()},
      {"disconnect_v5_reason_only", k5, disconnect_v5_reason_only()},
      {"disconnect_v5_full", k5, disconnect_v5_full()},
      {"auth_v5_short", k5, auth_v5_short()},
      {"auth_v5_full", k5, auth_v5_full()},
  };
  const std::size_t original = list.size();
  for (std::size_t i = 0; i < original; ++i) {
    if (list[i].version != k311 || list[i].bytes[0] == 0x10) continue;
    list.push_back({list[i].name + "_read_as_v31", k31, list[i].bytes});
  }
  return list;
}

}  // namespace rmq::codec::test::samples
