// SUBSCRIBE (MQTT 5.0 3.8), SUBACK (3.9), UNSUBSCRIBE (3.10) and UNSUBACK (3.11).
//
// The topic filter lists are validated here in full and handed out as WireLists over the payload
// bytes, so the views iterate them again without allocating and without failing.
#include <cstdint>
#include <string_view>

#include "codec/decode_internal.h"

namespace rmq::codec {
namespace detail {
namespace {

// Subscription Options byte (3.8.3.1).
constexpr std::uint8_t kQosMask = 0x03;
constexpr std::uint8_t kNoLocal = 0x04;
constexpr std::uint8_t kRetainAsPublished = 0x08;
constexpr unsigned kRetainHandlingShift = 4;
constexpr std::uint8_t kReservedV5 = 0xC0;    // bits 6-7 [MQTT-3.8.3-5]
constexpr std::uint8_t kReservedV311 = 0xFC;  // bits 2-7 [MQTT-3-8.3-4]

Subscription read_subscription(Reader& r) {
  Subscription s;
  s.filter = r.string();
  const std::uint8_t options = r.u8();
  s.options.max_qos = static_cast<QoS>(options & kQosMask);
  s.options.no_local = (options & kNoLocal) != 0;
  s.options.retain_as_published = (options & kRetainAsPublished) != 0;
  s.options.retain_handling = static_cast<RetainHandling>((options >> kRetainHandlingShift) & 0x3);
  return s;
}

// A Topic Filter of SUBSCRIBE or UNSUBSCRIBE (4.7.1, 4.7.3, 4.8.2).
MaybeError check_filter_field(std::string_view filter) {
  switch (check_topic_filter(filter)) {
    case TextError::kNone: return std::nullopt;
    case TextError::kEmpty: return malformed("MQTT-4.7.3-1", "empty Topic Filter");
    case TextError::kBadMultiLevel: return malformed("MQTT-4.7.1-1", "misplaced '#' wildcard");
    case TextError::kBadSingleLevel: return malformed("MQTT-4.7.1-2", "misplaced '+' wildcard");
    case TextError::kBadShareName: {
      // An empty ShareName is 4.8.2-1; a ShareName with '+' or '#', or one not followed by
      // "/{filter}", is 4.8.2-2.
      const bool empty_group = filter.size() == 7 || filter[7] == '/';
      return malformed(empty_group ? "MQTT-4.8.2-1" : "MQTT-4.8.2-2",
                       "invalid shared subscription filter");
    }
    case TextError::kNullCharacter:
      return utf8_error(TextError::kNullCharacter, "Topic Filter is not valid UTF-8");
    default: return utf8_error(TextError::kInvalidUtf8, "Topic Filter is not valid UTF-8");
  }
}

MaybeError check_options(std::uint8_t options, std::string_view filter, ProtocolVersion version) {
  if (!is_v5(version)) {
    if ((options & kReservedV311) != 0 || (options & kQosMask) == 3) {
      return malformed("MQTT-3-8.3-4", "reserved Requested QoS bits or QoS 3");
    }
    return std::nullopt;
  }
  if ((options & kReservedV5) != 0) {
    return malformed("MQTT-3.8.3-5", "reserved Subscription Options bits set");
  }
  if ((options & kQosMask) == 3) return protocol_error("3.8.3.1", "Maximum QoS 3");
  if (((options >> kRetainHandlingShift) & 0x3) == 3) {
    return protocol_error("3.8.3.1", "Retain Handling 3");
  }
  if ((options & kNoLocal) != 0 && !split_shared(filter).group.empty()) {
    return protocol_error("MQTT-3.8.3-4", "No Local on a Shared Subscription");
  }
  return std::nullopt;
}

// Packet Identifier, then (5.0) properties: the variable header of SUBSCRIBE and UNSUBSCRIBE.
MaybeError read_request_header(Reader& r, PropertyScope scope, ProtocolVersion version,
                               std::uint16_t* packet_id, Properties* properties) {
  *packet_id = r.u16();
  if (!r.ok()) return malformed("2.2.1", "missing Packet Identifier");
  if (*packet_id == 0) return protocol_error("MQTT-2.2.1-3", "Packet Identifier 0");
  if (is_v5(version)) return decode_properties(r, scope, properties);
  return std::nullopt;
}

}  // namespace

MaybeError decode_subscribe(Body body, ProtocolVersion version, SubscribeView* out) {
  Reader r(body);
  if (auto e = read_request_header(r, PropertyScope::kSubscribe, version, &out->packet_id,
                                   &out->properties)) {
    return e;
  }
  const std::size_t payload_start = r.position();
  std::size_t count = 0;
  while (!r.at_end()) {
    const std::string_view filter = r.string();
    const std::uint8_t options = r.u8();
    if (!r.ok()) return malformed("3.8.3", "Topic Filter or Subscription Options truncated");
    if (auto e = check_filter_field(filter)) return e;
    if (auto e = check_options(options, filter, version)) return e;
    ++count;
  }
  if (count == 0) return protocol_error("MQTT-3.8.3-2", "SUBSCRIBE without a Topic Filter");
  out->subscriptions = WireList<Subscription>::FromWire(body.subspan(payload_start), count);
  return std::nullopt;
}

MaybeError decode_unsubscribe(Body body, ProtocolVersion version, UnsubscribeView* out) {
  Reader r(body);
  if (auto e = read_request_header(r, PropertyScope::kUnsubscribe, version, &out->packet_id,
                                   &out->properties)) {
    return e;
  }
  const std::size_t payload_start = r.position();
  std::size_t count = 0;
  while (!r.at_end()) {
    const std::string_view filter = r.string();
    if (!r.ok()) return malformed("3.10.3", "Topic Filter truncated");
    if (auto e = check_filter_field(filter)) return e;
    ++count;
  }
  if (count == 0) return protocol_error("MQTT-3.10.3-2", "UNSUBSCRIBE without a Topic Filter");
  out->filters = WireList<std::string_view>::FromWire(body.subspan(payload_start), count);
  return std::nullopt;
}

MaybeError decode_suback(PacketType type, Body body, ProtocolVersion version, SubackView* out) {
  const bool suback = type == PacketType::kSuback;
  Reader r(body);
  out->packet_id = r.u16();
  if (!r.ok()) return malformed("2.2.1", "missing Packet Identifier");
  if (out->packet_id == 0) return protocol_error("MQTT-2.2.1-6", "Packet Identifier 0");
  if (is_v5(version)) {
    const PropertyScope scope = suback ? PropertyScope::kSuback : PropertyScope::kUnsuback;
    if (auto e = decode_properties(r, scope, &out->properties)) return e;
  }
  out->reason_codes = r.rest();
  if (!suback && !is_v5(version)) {
    if (!out->reason_codes.empty()) return malformed("3.11.3", "3.1.1 UNSUBACK with a payload");
    return std::nullopt;
  }
  if (suback && out->reason_codes.empty()) {
    return protocol_error("MQTT-3.8.4-6", "SUBACK without a reason code");
  }
  for (const std::uint8_t code : out->reason_codes) {
    const bool ok = is_v5(version) ? reason_code_allowed(type, code)
                                   : (code <= 2 || code == kSubackFailureV311);
    if (!ok) {
      return protocol_error(suback ? "MQTT-3.9.3-2" : "MQTT-3.11.3-2",
                            "reason code not allowed in this acknowledgement");
    }
  }
  return std::nullopt;
}

}  // namespace detail

Subscription WireElement<Subscription>::read(Reader& r) { return detail::read_subscription(r); }

std::string_view WireElement<std::string_view>::read(Reader& r) { return r.string(); }

}  // namespace rmq::codec
