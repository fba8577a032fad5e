#include "bench/loadgen/protocol.h"

#include "bench/loadgen/payload.h"
#include "codec/decode.h"
#include "codec/encode.h"
#include "codec/packets.h"

namespace rmq::loadgen {
namespace {

using codec::ProtocolVersion;

// Encodes `packet` at the back of `out` if it fits.
template <typename EncodeSize, typename Encode>
bool append_encoded(ByteBuffer& out, EncodeSize size_fn, Encode encode_fn) {
  const std::size_t size = size_fn();
  if (size == 0 || !out.reserve(static_cast<std::uint32_t>(size))) return false;
  const std::size_t written = encode_fn(out.writable());
  if (written != size) return false;
  out.commit(static_cast<std::uint32_t>(written));
  return true;
}

}  // namespace

bool append_connect(ByteBuffer& out, const ConnectSettings& s) {
  codec::ConnectView c;
  c.version = s.version;
  c.clean_start = s.clean;
  c.keep_alive = s.keepalive_s;
  c.client_id = s.client_id;
  if (codec::is_v5(s.version) && s.session_expiry_s != 0) {
    c.properties.session_expiry_interval = s.session_expiry_s;
    c.properties.mark(codec::PropertyId::kSessionExpiryInterval);
  }
  return append_encoded(
      out, [&] { return codec::encoded_size(c); },
      [&](auto span) { return codec::encode(c, span); });
}

bool append_subscribe(ByteBuffer& out, ProtocolVersion v, std::uint16_t packet_id,
                      std::string_view filter, codec::QoS qos) {
  codec::Subscription sub;
  sub.filter = filter;
  sub.options.max_qos = qos;
  codec::SubscribeView s;
  s.packet_id = packet_id;
  s.subscriptions =
      codec::WireList<codec::Subscription>(std::span<const codec::Subscription>(&sub, 1));
  return append_encoded(
      out, [&] { return codec::encoded_size(s, v); },
      [&](auto span) { return codec::encode(s, v, span); });
}

// Once per QoS 1/2 delivery: one encode pass into a reserved upper bound (encode sizes the packet
// itself and writes nothing when it does not fit), not a size pass and then an encode pass.
bool append_ack(ByteBuffer& out, codec::PacketType type, std::uint16_t packet_id,
                ProtocolVersion v) {
  codec::AckView a;
  a.packet_id = packet_id;
  if (!out.reserve(kMaxAckSize)) return false;
  const std::size_t written = codec::encode(type, a, v, out.writable());
  if (written == 0) return false;
  out.commit(static_cast<std::uint32_t>(written));
  return true;
}

bool append_pingreq(ByteBuffer& out) {
  return append_encoded(
      out, [] { return std::size_t{2}; },
      [](auto span) { return codec::encode_ping(codec::PacketType::kPingreq, span); });
}

bool append_disconnect(ByteBuffer& out, ProtocolVersion v) {
  codec::DisconnectView d;
  return append_encoded(
      out, [&] { return codec::encoded_size(d, v); },
      [&](auto span) { return codec::encode(d, v, span); });
}

bool PublishTemplate::build(ProtocolVersion v, std::string_view topic, codec::QoS qos,
                            std::uint32_t payload_size) {
  std::vector<std::uint8_t> payload(payload_size, 0);
  codec::PublishView p;
  p.qos = qos;
  p.topic = topic;
  p.packet_id = qos == codec::QoS::kAtMostOnce ? 0 : 1;
  p.payload = payload;
  const std::size_t size = codec::encoded_size(p, v);
  if (size == 0 || payload_size < kStampSize) return false;
  bytes_.assign(size, 0);
  if (codec::encode(p, v, bytes_) != size) return false;
  // Find the fields to patch by decoding what was encoded.
  codec::DecodeOptions options;
  options.version = v;
  const codec::DecodeResult r = codec::decode(bytes_, options);
  if (r.status != codec::DecodeStatus::kComplete || r.packet.type != codec::PacketType::kPublish) {
    return false;
  }
  const auto& view = r.packet.as<codec::PublishView>();
  payload_offset_ = static_cast<std::uint32_t>(view.payload.data() - bytes_.data());
  packet_id_offset_ =
      qos == codec::QoS::kAtMostOnce
          ? 0
          : static_cast<std::uint32_t>(reinterpret_cast<const std::uint8_t*>(view.topic.data()) +
                                       view.topic.size() - bytes_.data());
  return true;
}

void PublishTemplate::write(std::uint8_t* out, std::uint64_t sequence, std::uint64_t sent_ns,
                            std::uint16_t packet_id) const {
  std::memcpy(out, bytes_.data(), bytes_.size());
  write_stamp({out + payload_offset_, kStampSize}, Stamp{sequence, sent_ns});
  if (packet_id_offset_ != 0) {
    out[packet_id_offset_] = static_cast<std::uint8_t>(packet_id >> 8);
    out[packet_id_offset_ + 1] = static_cast<std::uint8_t>(packet_id);
  }
}

}  // namespace rmq::loadgen
