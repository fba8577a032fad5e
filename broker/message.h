// Message: one published application message, owned and immutable, in a single SharedBytes block
// (the payload is made shareable once, ARCHITECTURE.md section 3 step 6).
//
// Layout of the block: MessageMeta, room for an MQTT 3.1.1 fixed header and topic length
// (kPacketPrefixRoom), then the topic, the payload and the forwardable MQTT 5.0 properties in the
// broker's own compact form (see encode_forward_properties). The fixed header and topic length
// are written right before the topic, so the block holds a complete 3.1.1 QoS 0 PUBLISH
// (RETAIN 0) of the message: v311_qos0_packet() shares it with every such subscriber, and the
// payload is copied once per message, on the publisher's shard, however many subscribers get it.
// Only the properties a server passes on to subscribers are kept: Payload Format Indicator, Message
// Expiry Interval, Content Type, Response Topic, Correlation Data and the User Properties in order
// [MQTT-3.3.2-17], [MQTT-3.3.2-18]. Topic Alias and Subscription Identifiers are per connection
// and never stored.
//
// Lifetime: share() adds a reference; the bytes live until the last reference is released, on any
// thread. A Message may sit in send queues, sessions' queues and mailboxes of many shards at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/clock.h"
#include "codec/packets.h"
#include "engine/shared_bytes.h"

namespace rmq::broker {

using engine::SharedBytes;

// Who published a message: the session's shard and handle (for No Local), or nobody ($SYS).
struct Publisher {
  static constexpr std::uint32_t kNobody = UINT32_MAX;
  std::uint32_t shard = kNobody;
  std::uint32_t session = 0;
  bool known() const { return shard != kNobody; }
};

struct MessageMeta {
  std::int64_t received_ns = 0;  // MonoTime the message arrived (message expiry counts from it)
  std::uint32_t topic_size = 0;
  std::uint32_t payload_size = 0;
  std::uint32_t properties_size = 0;
  std::uint32_t publisher_shard = Publisher::kNobody;
  std::uint32_t publisher_session = 0;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  std::uint8_t packet_offset = 0;  // where the 3.1.1 QoS 0 PUBLISH starts; 0: there is none
};

// Bytes between MessageMeta and the topic: a fixed header (1 + up to 4) and the topic length (2).
inline constexpr std::size_t kPacketPrefixRoom = 7;

// What a Message is built from. `properties` are the PUBLISH (or will) properties of a 5.0
// sender, or null; `encoded_properties` is the broker's compact form (from another Message or the
// retained store). At most one of the two is set.
struct MessageFields {
  std::string_view topic;
  codec::BinaryView payload;
  codec::QoS qos = codec::QoS::kAtMostOnce;
  bool retain = false;
  const codec::Properties* properties = nullptr;
  codec::BinaryView encoded_properties;
  MonoTime received_at{};
  Publisher publisher;
};

class Message {
 public:
  Message() = default;
  // Copies `fields` into one new block.
  static Message create(const MessageFields& fields);
  // Adopts a block made by create() (e.g. one that crossed a mailbox).
  static Message adopt(SharedBytes bytes) { return Message(std::move(bytes)); }

  Message share() const { return Message(bytes_.share()); }
  bool empty() const { return bytes_.empty(); }
  const SharedBytes& bytes() const { return bytes_; }
  SharedBytes take_bytes() && { return std::move(bytes_); }

  MessageMeta meta() const;
  std::string_view topic() const;
  codec::BinaryView payload() const;
  codec::QoS qos() const { return static_cast<codec::QoS>(meta().qos); }
  bool retain() const { return meta().retain != 0; }
  MonoTime received_at() const { return MonoTime(Duration(meta().received_ns)); }
  Publisher publisher() const;
  // The message as an MQTT 3.1.1 PUBLISH with QoS 0, DUP 0 and RETAIN 0, sharing this message's
  // block; empty when it cannot be encoded (a remaining length over the protocol's maximum).
  SharedBytes v311_qos0_packet() const;
  // The compact property bytes (what the retained store keeps).
  codec::BinaryView encoded_properties() const;
  // The stored properties as a codec::Properties whose views point into this message.
  codec::Properties properties() const;

  // Message Expiry Interval handling (MQTT 5.0 3.3.2.3.3): the interval received, if any; whether
  // it has passed at `now`; and the interval to send at `now` (received minus time waited).
  std::optional<std::uint32_t> expiry_interval() const;
  bool expired(MonoTime now) const;
  std::optional<std::uint32_t> remaining_expiry(MonoTime now) const;

  // Bytes this message counts against queue limits.
  std::size_t size_bytes() const { return bytes_.size(); }

 private:
  explicit Message(SharedBytes bytes) : bytes_(std::move(bytes)) {}
  const std::uint8_t* base() const { return reinterpret_cast<const std::uint8_t*>(bytes_.data()); }

  SharedBytes bytes_;
};

// The compact form of the forwardable properties of `p`: its size, and writing it to `out`
// (exactly that many bytes). Parsed back by decode_forward_properties, which trusts its input.
std::size_t forward_properties_size(const codec::Properties& p);
void encode_forward_properties(const codec::Properties& p, std::span<std::uint8_t> out);
codec::Properties decode_forward_properties(codec::BinaryView bytes);

}  // namespace rmq::broker
