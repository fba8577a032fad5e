// The few MQTT frames ringmq-forwarder understands: framing, CONNECT's protocol level, SUBSCRIBE /
// UNSUBSCRIBE filters, the PUBLISH header (topic, packet id, 5.0 properties), and the replies.
// Every reader takes untrusted bytes and checks each length against the frame it was given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rmq::forwarder {

using Bytes = std::span<const std::uint8_t>;
using OutBuf = std::vector<std::uint8_t>;

inline constexpr std::uint8_t kConnect = 1, kPublish = 3, kPubAck = 4, kPubRec = 5, kPubRel = 6,
                              kPubComp = 7, kSubscribe = 8, kUnsubscribe = 10, kPingReq = 12,
                              kDisconnect = 14;

enum class FrameStatus : std::uint8_t { kComplete, kNeedMore, kMalformed, kTooLarge };

// One framed packet at the front of a buffer: `header` is the first byte, `body` the
// `remaining length` bytes after the fixed header, `size` the whole packet.
struct Frame {
  std::uint8_t header = 0;
  Bytes body;
  std::size_t size = 0;
  std::uint8_t type() const { return header >> 4; }
};

// Frames the packet at the front of `in`; kComplete fills `frame` (viewing `in`).
FrameStatus read_frame(Bytes in, std::size_t max_packet, Frame* frame);

// CONNECT: the protocol level (3 for "MQIsdp", 4 or 5 for "MQTT"), 0 when not a known protocol.
int connect_level(Bytes body);

// PUBLISH: `var_end` is where topic and packet id end, `payload` where the payload starts (after
// the 5.0 properties; equal to var_end for 3.1.1).
struct PublishView {
  std::string_view topic;
  std::uint16_t packet_id = 0;
  int qos = 0;
  std::size_t var_end = 0;
  std::size_t payload = 0;
};
bool parse_publish(const Frame& frame, bool v5, PublishView* view);

// Appends the PUBLISH `packet` (framed as `frame`, parsed as `view`) for a subscriber: the same
// bytes when both sides speak the same version, otherwise with the 5.0 properties added (empty)
// or removed.
void append_publish(OutBuf* out, Bytes packet, const Frame& frame, const PublishView& view,
                    bool from_v5, bool to_v5);

// SUBSCRIBE (filters with their requested QoS) or UNSUBSCRIBE (QoS 0): false when malformed.
struct Filter {
  std::string_view topic;
  std::uint8_t qos = 0;
};
bool parse_filters(const Frame& frame, bool v5, std::uint16_t* packet_id,
                   std::vector<Filter>* filters);

void append_connack(OutBuf* out, bool v5, std::uint8_t code);
// PUBACK, PUBREC, PUBREL or PUBCOMP with `packet_id` (success, no reason code).
void append_ack(OutBuf* out, std::uint8_t type, std::uint16_t packet_id);
// SUBACK or UNSUBACK with one reason code per filter (3.1.1 UNSUBACK carries none).
void append_sub_reply(OutBuf* out, std::uint8_t type, bool v5, std::uint16_t packet_id,
                      const std::vector<std::uint8_t>& codes);
void append_pingresp(OutBuf* out);

}  // namespace rmq::forwarder
