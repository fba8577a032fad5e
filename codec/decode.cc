// decode(): the fixed header (MQTT 5.0 2.1), the per-type checks that need only its first byte,
// the packet size limit, and the one dispatch to the body decoder of each packet type.
#include "codec/decode.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "codec/decode_internal.h"

namespace rmq::codec {
namespace {

using detail::MaybeError;

// The fixed-header flag rules of every packet type but PUBLISH (MQTT 5.0 Table 2-2): the value
// the low nibble must hold, and the statement that says so.
struct FlagRule {
  std::uint8_t required;
  std::string_view statement;
};
constexpr FlagRule flag_rule(PacketType type) {
  switch (type) {
    case PacketType::kPubrel: return {0x2, "MQTT-3.6.1-1"};
    case PacketType::kSubscribe: return {0x2, "MQTT-3.8.1-1"};
    case PacketType::kUnsubscribe: return {0x2, "MQTT-3.10.1-1"};
    case PacketType::kDisconnect: return {0x0, "MQTT-3.14.1-1"};
    case PacketType::kAuth: return {0x0, "MQTT-3.15.1-1"};
    default: return {0x0, "MQTT-2.1.3-1"};
  }
}

// Everything byte 1 of the fixed header can tell: a packet type this version defines, and flags
// as Table 2-2 lists them.
MaybeError check_first_byte(PacketType type, std::uint8_t flags, ProtocolVersion version) {
  if (type == PacketType::kReserved) {
    return detail::malformed("2.1.2", "reserved packet type 0");
  }
  if (type == PacketType::kAuth && !is_v5(version)) {
    return detail::malformed("2.1.2", "AUTH before MQTT 5.0 (reserved packet type 15)");
  }
  if (type == PacketType::kPublish) {
    const unsigned qos = (flags >> 1) & 0x3u;
    if (qos == 3) return detail::malformed("MQTT-3.3.1-4", "PUBLISH with QoS 3");
    if (qos == 0 && (flags & 0x8u) != 0) {
      return detail::malformed("MQTT-3.3.1-2", "PUBLISH with DUP set and QoS 0");
    }
    return std::nullopt;
  }
  const FlagRule rule = flag_rule(type);
  if (flags != rule.required)
    return detail::malformed(rule.statement, "invalid fixed header flags");
  return std::nullopt;
}

// The one switch from packet type to body decoder.
MaybeError decode_body(const FixedHeader& header, detail::Body body, ProtocolVersion version,
                       PacketView* out) {
  out->type = header.type;
  PacketBody& b = out->body;
  switch (header.type) {
    case PacketType::kConnect: return detail::decode_connect(body, &b.emplace<ConnectView>());
    case PacketType::kConnack:
      return detail::decode_connack(body, version, &b.emplace<ConnackView>());
    case PacketType::kPublish:
      return detail::decode_publish(header.flags, body, version, &b.emplace<PublishView>());
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp:
      return detail::decode_ack(header.type, body, version, &b.emplace<AckView>());
    case PacketType::kSubscribe:
      return detail::decode_subscribe(body, version, &b.emplace<SubscribeView>());
    case PacketType::kSuback:
    case PacketType::kUnsuback:
      return detail::decode_suback(header.type, body, version, &b.emplace<SubackView>());
    case PacketType::kUnsubscribe:
      return detail::decode_unsubscribe(body, version, &b.emplace<UnsubscribeView>());
    case PacketType::kPingreq:
    case PacketType::kPingresp:
      b.emplace<EmptyView>();
      return detail::decode_empty(header.type, body);
    case PacketType::kDisconnect:
      return detail::decode_disconnect(body, version, &b.emplace<DisconnectView>());
    case PacketType::kAuth: return detail::decode_auth(body, &b.emplace<AuthView>());
    case PacketType::kReserved: break;  // rejected by check_first_byte
  }
  return detail::malformed("2.1.2", "reserved packet type 0");
}

DecodeResult malformed_result(DecodeError error, PacketType type, ProtocolVersion version) {
  DecodeResult result;
  result.status = DecodeStatus::kMalformed;
  result.error = error;
  result.error.packet_type = type;
  result.error.version = version;
  return result;
}

// The version an error is reported under: the connection's, or the one a CONNECT announces in
// the bytes that follow its fixed header (`after_header`, possibly incomplete).
ProtocolVersion error_version(PacketType type, detail::Body after_header, ProtocolVersion version) {
  if (type != PacketType::kConnect) return version;
  return detail::connect_version(after_header).value_or(ProtocolVersion::kV311);
}

}  // namespace

HeaderStatus decode_fixed_header(std::span<const std::uint8_t> bytes, FixedHeader* out) {
  if (bytes.empty()) return HeaderStatus::kNeedMore;
  std::uint32_t remaining = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    if (bytes.size() < i + 2) return HeaderStatus::kNeedMore;
    const std::uint8_t byte = bytes[i + 1];
    remaining |= std::uint32_t{static_cast<std::uint8_t>(byte & 0x7F)} << (7 * i);
    if ((byte & 0x80) == 0) {
      out->type = static_cast<PacketType>(bytes[0] >> 4);
      out->flags = bytes[0] & 0x0F;
      out->remaining = remaining;
      out->header_size = static_cast<std::uint8_t>(i + 2);
      return HeaderStatus::kComplete;
    }
  }
  return HeaderStatus::kMalformed;  // a continuation bit on the fourth length byte
}

DecodeResult decode(std::span<const std::uint8_t> bytes, const DecodeOptions& options) {
  DecodeResult result;
  if (bytes.empty()) return result;
  const auto type = static_cast<PacketType>(bytes[0] >> 4);
  const auto flags = static_cast<std::uint8_t>(bytes[0] & 0x0F);
  if (auto e = check_first_byte(type, flags, options.version)) {
    return malformed_result(*e, type, error_version(type, {}, options.version));
  }
  FixedHeader header;
  switch (decode_fixed_header(bytes, &header)) {
    case HeaderStatus::kNeedMore: return result;
    case HeaderStatus::kMalformed:
      return malformed_result(detail::malformed("1.5.5", "Remaining Length longer than 4 bytes"),
                              type, error_version(type, {}, options.version));
    case HeaderStatus::kComplete: break;
  }
  const detail::Body after_header = bytes.subspan(header.header_size);
  if (header.packet_size() > options.max_packet_size) {
    return malformed_result(detail::fail(ReasonCode::kPacketTooLarge, "MQTT-3.2.2-15",
                                         "packet larger than the Maximum Packet Size"),
                            type, error_version(type, after_header, options.version));
  }
  if (bytes.size() < header.packet_size()) {
    result.needed = header.packet_size();
    return result;
  }
  const detail::Body body = after_header.first(header.remaining);
  if (auto e = decode_body(header, body, options.version, &result.packet)) {
    return malformed_result(*e, type, error_version(type, body, options.version));
  }
  result.status = DecodeStatus::kComplete;
  result.consumed = header.packet_size();
  return result;
}

namespace detail {

DecodeError utf8_error(TextError error, std::string_view what) {
  if (error == TextError::kNullCharacter) return malformed("MQTT-1.5.4-2", what);
  return malformed("MQTT-1.5.4-1", what);
}

MaybeError check_utf8_field(std::string_view text, std::string_view what) {
  const TextError e = check_utf8(text);
  if (e == TextError::kNone) return std::nullopt;
  return utf8_error(e, what);
}

MaybeError check_topic_name_field(std::string_view topic, std::string_view wildcard_statement,
                                  std::string_view what) {
  switch (check_topic_name(topic)) {
    case TextError::kNone: return std::nullopt;
    case TextError::kEmpty: return malformed("MQTT-4.7.3-1", what);
    case TextError::kWildcardInTopic: return malformed(wildcard_statement, what);
    case TextError::kNullCharacter: return utf8_error(TextError::kNullCharacter, what);
    default: return utf8_error(TextError::kInvalidUtf8, what);
  }
}

}  // namespace detail
}  // namespace rmq::codec
