// The MQTT packets the load generator sends, laid out with the codec into a connection's output
// buffer. Each append_* returns false, writing nothing, when the buffer has no room.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "bench/loadgen/byte_buffer.h"
#include "codec/types.h"

namespace rmq::loadgen {

struct ConnectSettings {
  codec::ProtocolVersion version = codec::ProtocolVersion::kV311;
  std::string_view client_id;
  std::uint16_t keepalive_s = 60;
  bool clean = true;
  std::uint32_t session_expiry_s = 0;  // 5.0 only
};

bool append_connect(ByteBuffer& out, const ConnectSettings& s);
bool append_subscribe(ByteBuffer& out, codec::ProtocolVersion v, std::uint16_t packet_id,
                      std::string_view filter, codec::QoS qos);
// PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success.
bool append_ack(ByteBuffer& out, codec::PacketType type, std::uint16_t packet_id,
                codec::ProtocolVersion v);
bool append_pingreq(ByteBuffer& out);
bool append_disconnect(ByteBuffer& out, codec::ProtocolVersion v);

// Largest ack append_ack writes (5.0 short form is 4 bytes; 3.1.1 always 4).
inline constexpr std::uint32_t kMaxAckSize = 4;

// One publisher's PUBLISH, encoded once by the codec; each message is a copy with its stamp and
// packet identifier patched in, so the send path neither encodes nor allocates.
class PublishTemplate {
 public:
  // False if the codec cannot encode it (payload too large for the wire format).
  bool build(codec::ProtocolVersion v, std::string_view topic, codec::QoS qos,
             std::uint32_t payload_size);
  std::uint32_t size() const { return static_cast<std::uint32_t>(bytes_.size()); }
  // Writes one PUBLISH (size() bytes) into `out`.
  void write(std::uint8_t* out, std::uint64_t sequence, std::uint64_t sent_ns,
             std::uint16_t packet_id) const;

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint32_t payload_offset_ = 0;
  std::uint32_t packet_id_offset_ = 0;  // 0: QoS 0, no packet identifier
};

}  // namespace rmq::loadgen
