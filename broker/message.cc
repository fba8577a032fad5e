#include "broker/message.h"

#include <cstring>

#include "codec/reader.h"
#include "codec/writer.h"

namespace rmq::broker {
namespace {

using codec::PropertyId;

// Flags byte of the compact property form.
constexpr std::uint8_t kHasFormat = 0x01;
constexpr std::uint8_t kHasExpiry = 0x02;
constexpr std::uint8_t kHasContentType = 0x04;
constexpr std::uint8_t kHasResponseTopic = 0x08;
constexpr std::uint8_t kHasCorrelation = 0x10;

std::uint8_t forward_flags(const codec::Properties& p) {
  std::uint8_t flags = 0;
  if (p.has(PropertyId::kPayloadFormatIndicator)) flags |= kHasFormat;
  if (p.has(PropertyId::kMessageExpiryInterval)) flags |= kHasExpiry;
  if (p.has(PropertyId::kContentType)) flags |= kHasContentType;
  if (p.has(PropertyId::kResponseTopic)) flags |= kHasResponseTopic;
  if (p.has(PropertyId::kCorrelationData)) flags |= kHasCorrelation;
  return flags;
}

// Writes the compact form through `w` (a codec::Writer or SizeCounter-like sink).
template <typename Sink>
void put_forward(Sink& w, const codec::Properties& p) {
  const std::uint8_t flags = forward_flags(p);
  if (flags == 0 && p.user_properties.empty()) return;
  w.u8(flags);
  if (flags & kHasFormat) w.u8(p.payload_format_indicator);
  if (flags & kHasExpiry) w.u32(p.message_expiry_interval);
  if (flags & kHasContentType) w.string(p.content_type);
  if (flags & kHasResponseTopic) w.string(p.response_topic);
  if (flags & kHasCorrelation) w.binary(p.correlation_data);
  w.u32(static_cast<std::uint32_t>(p.user_properties.size()));
  // User Properties in the MQTT 5.0 property encoding, so a WireList can read them back.
  for (const codec::StringPair& pair : p.user_properties) {
    w.u8(static_cast<std::uint8_t>(PropertyId::kUserProperty));
    w.string(pair.name);
    w.string(pair.value);
  }
}

struct CountingSink {
  std::size_t size = 0;
  void u8(std::uint8_t) { size += 1; }
  void u32(std::uint32_t) { size += 4; }
  void string(std::string_view s) { size += 2 + s.size(); }
  void binary(codec::BinaryView b) { size += 2 + b.size(); }
};

}  // namespace

std::size_t forward_properties_size(const codec::Properties& p) {
  CountingSink sink;
  put_forward(sink, p);
  return sink.size;
}

void encode_forward_properties(const codec::Properties& p, std::span<std::uint8_t> out) {
  codec::Writer w(out);
  put_forward(w, p);
  RMQ_DCHECK(w.ok() && w.position() == out.size());
}

codec::Properties decode_forward_properties(codec::BinaryView bytes) {
  codec::Properties p;
  if (bytes.empty()) return p;
  codec::Reader r(bytes);
  const std::uint8_t flags = r.u8();
  if (flags & kHasFormat) {
    p.payload_format_indicator = r.u8();
    p.mark(PropertyId::kPayloadFormatIndicator);
  }
  if (flags & kHasExpiry) {
    p.message_expiry_interval = r.u32();
    p.mark(PropertyId::kMessageExpiryInterval);
  }
  if (flags & kHasContentType) {
    p.content_type = r.string();
    p.mark(PropertyId::kContentType);
  }
  if (flags & kHasResponseTopic) {
    p.response_topic = r.string();
    p.mark(PropertyId::kResponseTopic);
  }
  if (flags & kHasCorrelation) {
    p.correlation_data = r.binary();
    p.mark(PropertyId::kCorrelationData);
  }
  const std::uint32_t users = r.u32();
  p.user_properties = codec::WireList<codec::StringPair>::FromWire(r.rest(), users);
  RMQ_DCHECK(r.ok());
  return p;
}

namespace {

constexpr std::size_t kTopicOffset = sizeof(MessageMeta) + kPacketPrefixRoom;

// Writes the fixed header and topic length of a 3.1.1 QoS 0 PUBLISH of `topic_size` and
// `payload_size` so that it ends at kTopicOffset; returns where it starts, 0 when the packet would
// exceed the protocol's maximum remaining length.
std::uint8_t put_packet_prefix(std::uint8_t* block, std::size_t topic_size,
                               std::size_t payload_size) {
  const std::size_t remaining = 2 + topic_size + payload_size;
  if (topic_size > codec::kMaxFieldLength || remaining > codec::kMaxRemainingLength) return 0;
  const auto remaining32 = static_cast<std::uint32_t>(remaining);
  const std::size_t start = kTopicOffset - 2 - codec::varint_size(remaining32) - 1;
  codec::Writer w({block + start, kTopicOffset - start});
  w.u8(static_cast<std::uint8_t>(codec::PacketType::kPublish) << 4);
  w.varint(remaining32);
  w.u16(static_cast<std::uint16_t>(topic_size));
  RMQ_DCHECK(w.ok() && w.position() == kTopicOffset - start);
  return static_cast<std::uint8_t>(start);
}

}  // namespace

Message Message::create(const MessageFields& f) {
  RMQ_DCHECK(f.properties == nullptr || f.encoded_properties.empty());
  const std::size_t props = f.properties != nullptr ? forward_properties_size(*f.properties)
                                                    : f.encoded_properties.size();
  const std::size_t total = kTopicOffset + f.topic.size() + f.payload.size() + props;
  SharedBytes::Builder builder(total);
  auto* out = reinterpret_cast<std::uint8_t*>(builder.writable().data());

  MessageMeta meta;
  meta.received_ns = f.received_at.time_since_epoch().count();
  meta.topic_size = static_cast<std::uint32_t>(f.topic.size());
  meta.payload_size = static_cast<std::uint32_t>(f.payload.size());
  meta.properties_size = static_cast<std::uint32_t>(props);
  meta.publisher_shard = f.publisher.shard;
  meta.publisher_session = f.publisher.session;
  meta.qos = static_cast<std::uint8_t>(f.qos);
  meta.retain = f.retain ? 1 : 0;
  meta.packet_offset = put_packet_prefix(out, f.topic.size(), f.payload.size());
  std::memcpy(out, &meta, sizeof(meta));
  std::size_t at = kTopicOffset;
  if (!f.topic.empty()) std::memcpy(out + at, f.topic.data(), f.topic.size());
  at += f.topic.size();
  if (!f.payload.empty()) std::memcpy(out + at, f.payload.data(), f.payload.size());
  at += f.payload.size();
  if (f.properties != nullptr) {
    encode_forward_properties(*f.properties, {out + at, props});
  } else if (props > 0) {
    std::memcpy(out + at, f.encoded_properties.data(), props);
  }
  return Message(std::move(builder).finish(total));
}

SharedBytes Message::v311_qos0_packet() const {
  const MessageMeta m = meta();
  if (m.packet_offset == 0) return {};
  return bytes_.slice(m.packet_offset,
                      kTopicOffset - m.packet_offset + m.topic_size + m.payload_size);
}

MessageMeta Message::meta() const {
  MessageMeta m;
  RMQ_DCHECK(bytes_.size() >= sizeof(m));
  std::memcpy(&m, base(), sizeof(m));
  return m;
}

std::string_view Message::topic() const {
  return {reinterpret_cast<const char*>(base()) + kTopicOffset, meta().topic_size};
}

codec::BinaryView Message::payload() const {
  const MessageMeta m = meta();
  return {base() + kTopicOffset + m.topic_size, m.payload_size};
}

codec::BinaryView Message::encoded_properties() const {
  const MessageMeta m = meta();
  return {base() + kTopicOffset + m.topic_size + m.payload_size, m.properties_size};
}

codec::Properties Message::properties() const {
  return decode_forward_properties(encoded_properties());
}

Publisher Message::publisher() const {
  const MessageMeta m = meta();
  return Publisher{m.publisher_shard, m.publisher_session};
}

std::optional<std::uint32_t> Message::expiry_interval() const {
  const codec::BinaryView props = encoded_properties();
  if (props.empty() || (props[0] & kHasExpiry) == 0) return std::nullopt;
  codec::Reader r(props);
  const std::uint8_t flags = r.u8();
  if (flags & kHasFormat) r.u8();
  return r.u32();
}

bool Message::expired(MonoTime now) const {
  const std::optional<std::uint32_t> interval = expiry_interval();
  if (!interval) return false;
  return now - received_at() >= std::chrono::seconds(*interval);
}

std::optional<std::uint32_t> Message::remaining_expiry(MonoTime now) const {
  const std::optional<std::uint32_t> interval = expiry_interval();
  if (!interval) return std::nullopt;
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - received_at());
  const auto left = static_cast<std::int64_t>(*interval) - waited.count();
  return left > 0 ? static_cast<std::uint32_t>(left) : 0u;
}

}  // namespace rmq::broker
