// The typed records of the write-ahead log: what each record type means, when the broker writes
// it, and its payload encoding. The framing around a payload is record.h's.
//
// Payload encoding: fields in declaration order, no padding. Fixed integers are little-endian
// (u8, u16, u32, u64); `varint` is an unsigned LEB128 (7 bits per byte, low group first) in its
// shortest form, at most 5 bytes for a u32; strings and byte fields are a varint length followed
// by the bytes. A payload must be consumed exactly (trailing bytes are malformed).
//
// What is logged: persistent sessions (5.0: Session Expiry Interval > 0; 3.1.1: Clean Session 0),
// their subscriptions and will, the QoS 1/2 messages queued or inflight to them, the inbound QoS 2
// packet ids awaiting PUBREL, and retained messages. QoS 0 deliveries and clean sessions are
// never written. Client ids name sessions; message ids are per shard, never reused by a shard.
//
//  type  record           fields                                 written when
//  1     SessionOpen      client_id, expiry_s u32, version u8,   a persistent session is created,
//                         flags u8, generation u64               resumed, or its expiry changes
//                                                                (see the flags below)
//  2     SessionEnd       client_id, generation u64              the session ends (expiry, Clean
//                                                                Start 1, taken by another shard);
//                                                                its queue and will go with it
//  3     SessionOffline   client_id, wall_ms u64                 its connection is lost (session
//                                                                expiry counts from wall_ms)
//  4     Subscribe        client_id, filter, options u8,         SUBSCRIBE granted (replaces an
//                         subscription_id varint (0: none)       existing filter)
//  5     Unsubscribe      client_id, filter                      UNSUBSCRIBE of a held filter
//  6     WillSet          client_id, topic, payload, qos u8,     CONNECT with a will
//                         retain u8, properties, delay_s u32
//  7     WillClear        client_id                              the will is published or dropped
//  8     Message          message_id u64, topic, payload,        once before the first Enqueue or
//                         qos u8, retain u8, properties,         RetainedSet naming it, however
//                         expiry_wall_ms u64 (0: none),          many sessions it is queued for
//                         received_wall_ms u64
//  9     Enqueue          client_id, message_id u64, qos u8,     a QoS 1/2 copy is queued to the
//                         retain u8, subscription ids            session (qos: the delivered QoS)
//                         (varint count, then varints)
//  10    Sent             client_id, message_id u64,             the entry is sent with a packet
//                         packet_id u16 (nonzero)                id (now awaits PUBACK or PUBREC)
//  11    PubrecReceived   client_id, packet_id u16 (nonzero)     QoS 2: PUBREC received, PUBREL
//                                                                sent; awaits PUBCOMP
//  12    Ack              client_id, message_id u64,             the entry is gone: PUBACK or
//                         packet_id u16 (0: never sent)          PUBCOMP received, or dropped
//                                                                (expired, PUBREC with an error)
//  13    InboundQos2      client_id, packet_id u16 (nonzero)     QoS 2 PUBLISH received, PUBREC
//                                                                sent (awaits PUBREL)
//  14    InboundReleased  client_id, packet_id u16 (nonzero)     PUBREL received, PUBCOMP sent
//  15    RetainedSet      topic, message_id u64                  a retained message is stored
//                                                                (replaces the topic's previous)
//  16    RetainedClear    topic                                  the topic's retained message is
//                                                                removed (empty payload, expiry)
//
// Generations: every session the broker creates has a generation unique across restarts; a
// session that moves between shards is a new generation in the new shard's log. SessionOpen flags:
// kOpenReset (a snapshot of the session follows; it replaces the state held for the client id
// once a SessionOpen with kOpenCommit closes it, so a snapshot cut short by a crash changes
// nothing) and kOpenContinues (the session continues an older generation whose state arrives
// later, possibly from another shard's log). The other flag bits are the broker's, opaque here.
//
// `properties` are MQTT 5.0 properties in the broker's compact form (Message::encoded_properties),
// opaque here. A qos field is 0..2 (1..2 for Enqueue); options is the MQTT 5.0 subscription
// options byte (reserved bits 6-7 zero, retain handling 0..2); retain fields are 0 or 1.
//
// encode() writes into a caller buffer and never allocates; decode() returns views into the
// payload span (valid as long as it is). Pure: no I/O, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "broker/persist/record.h"

namespace rmq::persist {

enum class RecordType : std::uint8_t {
  kSessionOpen = 1,
  kSessionEnd,
  kSessionOffline,
  kSubscribe,
  kUnsubscribe,
  kWillSet,
  kWillClear,
  kMessage,
  kEnqueue,
  kSent,
  kPubrecReceived,
  kAck,
  kInboundQos2,
  kInboundReleased,
  kRetainedSet,
  kRetainedClear,
};
inline constexpr std::uint8_t kLastRecordType = 16;
const char* to_string(RecordType type);

using Bytes = std::span<const std::uint8_t>;

// A list of subscription identifiers: either a span of u32 (to encode) or the varints of a decoded
// payload (validated by decode()).
class SubscriptionIds {
 public:
  SubscriptionIds() = default;
  SubscriptionIds(std::span<const std::uint32_t> ids)  // NOLINT: implicit from a span
      : ids_(ids), count_(static_cast<std::uint32_t>(ids.size())) {}
  static SubscriptionIds wire(Bytes varints, std::uint32_t count) {
    SubscriptionIds s;
    s.wire_ = varints;
    s.count_ = count;
    return s;
  }
  std::uint32_t size() const { return count_; }
  bool from_wire() const { return ids_.empty() && count_ != 0; }
  Bytes wire_bytes() const { return wire_; }
  std::span<const std::uint32_t> ids() const { return ids_; }
  std::vector<std::uint32_t> to_vector() const;

 private:
  std::span<const std::uint32_t> ids_;
  Bytes wire_;
  std::uint32_t count_ = 0;
};

// Field lists: each record's `fields(self, v)` names its fields once, in wire order; the encoder,
// the sizer and the decoder walk it.
inline constexpr std::uint8_t kOpenReset = 0x80;
inline constexpr std::uint8_t kOpenContinues = 0x40;
inline constexpr std::uint8_t kOpenCommit = 0x20;
struct SessionOpen {
  static constexpr RecordType kType = RecordType::kSessionOpen;
  std::string_view client_id;
  std::uint32_t expiry_s = 0;
  std::uint8_t protocol_version = 5;
  std::uint8_t flags = 0;  // kOpenReset, kOpenContinues; other bits broker-defined
  std::uint64_t generation = 0;
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.u32(self.expiry_s), v.u8(self.protocol_version), v.u8(self.flags);
    v.u64(self.generation);
  }
};
struct SessionEnd {
  static constexpr RecordType kType = RecordType::kSessionEnd;
  std::string_view client_id;
  std::uint64_t generation = 0;  // ends the open session if its generation is not newer
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.u64(self.generation); }
};
struct SessionOffline {
  static constexpr RecordType kType = RecordType::kSessionOffline;
  std::string_view client_id;
  std::uint64_t wall_ms = 0;
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.u64(self.wall_ms); }
};
struct Subscribe {
  static constexpr RecordType kType = RecordType::kSubscribe;
  std::string_view client_id;
  std::string_view filter;
  std::uint8_t options = 0;
  std::uint32_t subscription_id = 0;
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.str(self.filter), v.options(self.options);
    v.varint(self.subscription_id);
  }
};
struct Unsubscribe {
  static constexpr RecordType kType = RecordType::kUnsubscribe;
  std::string_view client_id;
  std::string_view filter;
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.str(self.filter); }
};
struct WillSet {
  static constexpr RecordType kType = RecordType::kWillSet;
  std::string_view client_id;
  std::string_view topic;
  Bytes payload;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  Bytes properties;
  std::uint32_t delay_s = 0;
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.str(self.topic), v.bytes(self.payload), v.qos(self.qos, 0);
    v.flag(self.retain), v.bytes(self.properties), v.u32(self.delay_s);
  }
};
struct WillClear {
  static constexpr RecordType kType = RecordType::kWillClear;
  std::string_view client_id;
  static void fields(auto& self, auto& v) { v.str(self.client_id); }
};
struct MessageRec {
  static constexpr RecordType kType = RecordType::kMessage;
  std::uint64_t message_id = 0;
  std::string_view topic;
  Bytes payload;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  Bytes properties;
  std::uint64_t expiry_wall_ms = 0;  // absolute; 0: never expires
  std::uint64_t received_wall_ms = 0;
  static void fields(auto& self, auto& v) {
    v.u64(self.message_id), v.str(self.topic), v.bytes(self.payload), v.qos(self.qos, 0);
    v.flag(self.retain), v.bytes(self.properties), v.u64(self.expiry_wall_ms);
    v.u64(self.received_wall_ms);
  }
};
struct Enqueue {
  static constexpr RecordType kType = RecordType::kEnqueue;
  std::string_view client_id;
  std::uint64_t message_id = 0;
  std::uint8_t qos = 1;
  std::uint8_t retain = 0;
  SubscriptionIds subscription_ids;
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.u64(self.message_id), v.qos(self.qos, 1), v.flag(self.retain);
    v.ids(self.subscription_ids);
  }
};
struct Sent {
  static constexpr RecordType kType = RecordType::kSent;
  std::string_view client_id;
  std::uint64_t message_id = 0;
  std::uint16_t packet_id = 0;
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.u64(self.message_id), v.packet_id(self.packet_id);
  }
};
struct PubrecReceived {
  static constexpr RecordType kType = RecordType::kPubrecReceived;
  std::string_view client_id;
  std::uint16_t packet_id = 0;
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.packet_id(self.packet_id); }
};
struct Ack {
  static constexpr RecordType kType = RecordType::kAck;
  std::string_view client_id;
  std::uint64_t message_id = 0;
  std::uint16_t packet_id = 0;  // 0: the entry was never sent
  static void fields(auto& self, auto& v) {
    v.str(self.client_id), v.u64(self.message_id), v.u16(self.packet_id);
  }
};
struct InboundQos2 {
  static constexpr RecordType kType = RecordType::kInboundQos2;
  std::string_view client_id;
  std::uint16_t packet_id = 0;
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.packet_id(self.packet_id); }
};
struct InboundReleased {
  static constexpr RecordType kType = RecordType::kInboundReleased;
  std::string_view client_id;
  std::uint16_t packet_id = 0;
  static void fields(auto& self, auto& v) { v.str(self.client_id), v.packet_id(self.packet_id); }
};
struct RetainedSet {
  static constexpr RecordType kType = RecordType::kRetainedSet;
  std::string_view topic;
  std::uint64_t message_id = 0;
  static void fields(auto& self, auto& v) { v.str(self.topic), v.u64(self.message_id); }
};
struct RetainedClear {
  static constexpr RecordType kType = RecordType::kRetainedClear;
  std::string_view topic;
  static void fields(auto& self, auto& v) { v.str(self.topic); }
};

// Every record, in type order (index + 1 == type).
using AnyRecord = std::variant<SessionOpen, SessionEnd, SessionOffline, Subscribe, Unsubscribe,
                               WillSet, WillClear, MessageRec, Enqueue, Sent, PubrecReceived, Ack,
                               InboundQos2, InboundReleased, RetainedSet, RetainedClear>;

// The payload size of `r` (what encode() writes).
template <typename R>
std::size_t encoded_size(const R& r);
// Writes r's payload at the start of `out`; returns its size. kOutOfRange if `out` is short,
// kInvalidArgument if a field is out of its range (qos, packet id 0, options, retain > 1).
template <typename R>
Result<std::size_t> encode(std::span<std::uint8_t> out, const R& r);
// Writes r as one framed record (record.h: header, then the payload) at the start of `out`; returns
// framed_size(encoded_size(r)). The errors of encode(), and kInvalidArgument for a payload over
// kMaxRecordPayload.
template <typename R>
Result<std::size_t> encode_framed(std::span<std::uint8_t> out, const R& r);
// Decodes a payload of type R. Errors are kInvalidArgument with one of the reasons below.
template <typename R>
Result<R> decode(Bytes payload);
// Decodes a payload whose type byte is `type`; kInvalidArgument "unknown record type" for a type
// outside 1..kLastRecordType.
Result<AnyRecord> decode_any(std::uint8_t type, Bytes payload);
std::uint8_t type_of(const AnyRecord& r);

// The reasons decode() names (Status::message()).
inline constexpr const char* kTruncated = "record truncated";
inline constexpr const char* kOverlongVarint = "overlong varint";
inline constexpr const char* kLengthPastEnd = "length past the end of the record";
inline constexpr const char* kBadQos = "bad qos";
inline constexpr const char* kBadFlag = "bad retain flag";
inline constexpr const char* kBadOptions = "bad subscription options";
inline constexpr const char* kZeroPacketId = "packet id 0";
inline constexpr const char* kTrailingBytes = "trailing bytes after the record";

}  // namespace rmq::persist
