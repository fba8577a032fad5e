// Encoding what the broker sends into SharedBytes ready for Shard::send: outgoing PUBLISH packets
// (one per wire layout, shared by every subscriber with that layout) and control packets.
//
// Every function returns an empty SharedBytes when the packet cannot be encoded or, for PUBLISH,
// when it would exceed the receiver's Maximum Packet Size (the caller then drops the message
// [MQTT-3.1.2-25]).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "base/clock.h"
#include "broker/message.h"
#include "codec/packets.h"

namespace rmq::broker {

// Everything that makes one subscriber's copy of a PUBLISH differ from another's.
struct PublishLayout {
  codec::ProtocolVersion version = codec::ProtocolVersion::kV311;
  codec::QoS qos = codec::QoS::kAtMostOnce;
  bool retain = false;
  bool dup = false;
  std::uint16_t packet_id = 0;                      // QoS 1 and 2 only
  std::span<const std::uint32_t> subscription_ids;  // 5.0 only
  std::uint16_t topic_alias = 0;                    // 5.0 only; 0: none
  bool omit_topic = false;  // the alias is already mapped to the topic on this connection
};

// `max_packet_size` 0: no limit beyond the protocol's.
SharedBytes encode_publish(const Message& message, const PublishLayout& layout, MonoTime now,
                           std::uint32_t max_packet_size);

// A 5.0 Reason String for an acknowledgement or DISCONNECT, left out when it would make the
// packet larger than the receiver's Maximum Packet Size [MQTT-3.4.2-2] (0: no limit).
struct Diagnostics {
  std::string_view reason_string;  // empty: none
  std::uint32_t max_packet_size = 0;
};

SharedBytes encode_connack(codec::ConnackView connack, codec::ProtocolVersion version,
                           Diagnostics diagnostics = {});
// `type`: kPuback, kPubrec, kPubrel or kPubcomp.
SharedBytes encode_ack(codec::PacketType type, std::uint16_t packet_id, codec::ReasonCode reason,
                       codec::ProtocolVersion version, Diagnostics diagnostics = {});
// `type`: kSuback or kUnsuback.
SharedBytes encode_suback(codec::PacketType type, std::uint16_t packet_id,
                          std::span<const std::uint8_t> codes, codec::ProtocolVersion version,
                          Diagnostics diagnostics = {});
SharedBytes encode_disconnect(codec::ReasonCode reason, codec::ProtocolVersion version,
                              Diagnostics diagnostics = {});
SharedBytes encode_pingresp();
SharedBytes encode_auth(const codec::AuthView& auth);

// The first byte of an encoded PUBLISH with DUP set (for retransmission of stored bytes).
inline constexpr std::uint8_t kPublishDupFlag = 0x08;

}  // namespace rmq::broker
