// PUBLISH (MQTT 5.0 3.3; 3.1.1 3.3). The fixed-header flags were checked by decode() already
// (QoS 3 [MQTT-3.3.1-4], DUP on QoS 0 [MQTT-3.3.1-2]).
#include <cstdint>

#include "codec/decode_internal.h"

namespace rmq::codec::detail {
namespace {

constexpr std::uint8_t kDupFlag = 0x08;
constexpr std::uint8_t kRetainFlag = 0x01;

// The Topic Name rules (3.3.2.1): a valid UTF-8 string without wildcards, at least one character
// unless (5.0 only) a Topic Alias stands in for it.
MaybeError check_publish_topic(const PublishView& p, ProtocolVersion version) {
  if (p.topic.empty()) {
    if (!is_v5(version)) return malformed("MQTT-4.7.3-1", "PUBLISH with an empty Topic Name");
    if (p.properties.has(PropertyId::kTopicAlias)) return std::nullopt;
    return protocol_error("3.3.2.1", "PUBLISH with an empty Topic Name and no Topic Alias");
  }
  return check_topic_name_field(p.topic, "MQTT-3.3.2-2", "invalid PUBLISH Topic Name");
}

}  // namespace

MaybeError decode_publish(std::uint8_t flags, Body body, ProtocolVersion version,
                          PublishView* out) {
  out->dup = (flags & kDupFlag) != 0;
  out->qos = static_cast<QoS>((flags >> 1) & 0x3u);
  out->retain = (flags & kRetainFlag) != 0;
  Reader r(body);
  out->topic = r.string();
  if (out->qos != QoS::kAtMostOnce) out->packet_id = r.u16();
  if (!r.ok()) return malformed("3.3.2", "PUBLISH variable header truncated");
  if (auto e = check_utf8_field(out->topic, "PUBLISH Topic Name is not valid UTF-8")) return e;
  if (out->qos != QoS::kAtMostOnce && out->packet_id == 0) {
    return protocol_error("MQTT-2.2.1-3", "PUBLISH with QoS > 0 and Packet Identifier 0");
  }
  if (is_v5(version)) {
    if (auto e = decode_properties(r, PropertyScope::kPublish, &out->properties)) return e;
  }
  out->payload = r.rest();
  if (auto e = check_publish_topic(*out, version)) return e;
  if (out->properties.payload_format_indicator == 1 && !is_well_formed_utf8(out->payload)) {
    return fail(ReasonCode::kPayloadFormatInvalid, "3.3.2.3.2",
                "payload is not the UTF-8 its Payload Format Indicator announces");
  }
  return std::nullopt;
}

}  // namespace rmq::codec::detail
