// RecoveredState: the durable broker state rebuilt by replaying write-ahead-log records (see
// records_schema.h) in log order. Owns copies of everything; no views into the log survive.
//
// Replay rules. A record that does not fit the state is counted in Anomalies and skipped; replay
// never fails on content:
//  - SessionOpen creates the session, or updates an open one of the same generation (expiry,
//    version, flags) keeping its state, and clears its offline time. For an open session of
//    another generation the old state is dropped first, unless kOpenContinues says the new
//    generation continues it (then the state is kept). kOpenReset starts a snapshot: a pending
//    session that the records for the client id build until a SessionOpen with kOpenCommit
//    replaces the open session with it; finish() drops a snapshot never committed (counted in
//    `incomplete_snapshots`), so the state before it stands. A session opened with
//    kOpenContinues and no state here is marked `continues` (its state is in another log; see
//    recovery.h). Every other session record for a client id with no open session is an anomaly
//    (`no_session`), including records after its SessionEnd.
//  - SessionEnd drops the session with its subscriptions, will, queue and inbound packet ids,
//    unless the open session is of a newer generation (a late end of a moved session: ignored).
//  - Enqueue naming a message id with no Message record is `unknown_message`.
//  - Sent marks the first still-queued entry with its message id (the broker sends a queue in
//    order); a packet id already held by a sent entry of the session is `duplicate_packet_id`.
//    PubrecReceived finds the sent QoS 2 entry by packet id (awaiting PUBREC); Ack with a packet
//    id finds the sent entry with that packet id and message id, Ack with packet id 0 the first
//    still-queued entry with the message id. None found: `no_entry`.
//  - InboundQos2 for an id already held: `duplicate_packet_id`; InboundReleased for one not held:
//    `no_entry`.
//  - A second Message record with an id already known: `duplicate_message` (the first is kept).
//    RetainedSet of an unknown id: `unknown_message`. RetainedClear of no topic: `no_entry`.
//    Unsubscribe of a filter not held: `no_entry`. WillClear without a will: `no_entry`.
// Messages are reference counted by queue entries and the retained map; one whose count falls to
// zero is dropped (to reference it again the broker writes its Message record again). A Message
// never referenced is kept until finish() drops it (a Message record precedes the records that
// reference it).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "broker/persist/records_schema.h"

namespace rmq::persist {

enum class EntryStage : std::uint8_t {
  kQueued,       // not sent yet (no packet id)
  kAwaitAck,     // sent with packet_id: awaits PUBACK (QoS 1) or PUBREC (QoS 2)
  kAwaitPubcomp  // QoS 2: PUBREC received, PUBREL sent
};

struct QueueEntry {
  std::uint64_t message_id = 0;
  std::uint8_t qos = 1;
  std::uint8_t retain = 0;
  std::vector<std::uint32_t> subscription_ids;
  EntryStage stage = EntryStage::kQueued;
  std::uint16_t packet_id = 0;  // nonzero once sent
  friend bool operator==(const QueueEntry&, const QueueEntry&) = default;
};

struct RecoveredSubscription {
  std::uint8_t options = 0;  // MQTT 5.0 subscription options byte
  std::uint32_t subscription_id = 0;
  friend bool operator==(const RecoveredSubscription&, const RecoveredSubscription&) = default;
};

struct RecoveredWill {
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  std::vector<std::uint8_t> properties;
  std::uint32_t delay_s = 0;
  friend bool operator==(const RecoveredWill&, const RecoveredWill&) = default;
};

struct RecoveredSession {
  std::uint32_t expiry_s = 0;
  std::uint8_t protocol_version = 5;
  std::uint8_t flags = 0;  // without kOpenReset / kOpenContinues
  std::uint64_t generation = 0;
  bool continues = false;             // opened with kOpenContinues and no older state in this log
  std::uint64_t offline_wall_ms = 0;  // 0: was connected when the log ends
  std::map<std::string, RecoveredSubscription, std::less<>> subscriptions;
  std::optional<RecoveredWill> will;
  std::deque<QueueEntry> queue;          // in enqueue order (the broker sends in this order)
  std::set<std::uint16_t> inbound_qos2;  // PUBREC sent, PUBREL not yet received
  friend bool operator==(const RecoveredSession&, const RecoveredSession&) = default;
};

struct RecoveredMessage {
  std::string topic;
  std::vector<std::uint8_t> payload;
  std::uint8_t qos = 0;
  std::uint8_t retain = 0;
  std::vector<std::uint8_t> properties;
  std::uint64_t expiry_wall_ms = 0;
  std::uint64_t received_wall_ms = 0;
  std::uint32_t refs = 0;  // queue entries + retained topics naming it
  friend bool operator==(const RecoveredMessage&, const RecoveredMessage&) = default;
};

// Records skipped because they do not fit the state (see the rules above).
struct Anomalies {
  std::uint64_t malformed = 0;  // apply_payload(): undecodable payload or unknown type
  std::uint64_t no_session = 0;
  std::uint64_t unknown_message = 0;
  std::uint64_t duplicate_message = 0;
  std::uint64_t no_entry = 0;
  std::uint64_t duplicate_packet_id = 0;
  std::uint64_t unreferenced_messages = 0;  // dropped by finish()
  std::uint64_t incomplete_snapshots = 0;   // kOpenReset without kOpenCommit, dropped by finish()
  std::uint64_t total() const {
    return malformed + no_session + unknown_message + duplicate_message + no_entry +
           duplicate_packet_id;
  }
  friend bool operator==(const Anomalies&, const Anomalies&) = default;
  Anomalies& operator+=(const Anomalies& o) {
    malformed += o.malformed;
    no_session += o.no_session;
    unknown_message += o.unknown_message;
    duplicate_message += o.duplicate_message;
    no_entry += o.no_entry;
    duplicate_packet_id += o.duplicate_packet_id;
    unreferenced_messages += o.unreferenced_messages;
    incomplete_snapshots += o.incomplete_snapshots;
    return *this;
  }
};

// The wall clock in milliseconds since the Unix epoch (what the log's wall_ms fields hold).
inline std::uint64_t wall_now_ms() {
  return static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch() /
                                    std::chrono::milliseconds(1));
}

// What recovery reports.
struct RecoverySummary {
  std::size_t sessions = 0;
  std::size_t subscriptions = 0;
  std::size_t wills = 0;
  std::size_t queued = 0;             // entries not yet sent
  std::size_t inflight_outbound = 0;  // entries sent, awaiting PUBACK/PUBREC/PUBCOMP
  std::size_t inflight_inbound = 0;   // inbound QoS 2 packet ids awaiting PUBREL
  std::size_t messages = 0;
  std::size_t message_bytes = 0;  // topic + payload + properties
  std::size_t retained = 0;
  RecoverySummary& operator+=(const RecoverySummary& o) {
    sessions += o.sessions;
    subscriptions += o.subscriptions;
    wills += o.wills;
    queued += o.queued;
    inflight_outbound += o.inflight_outbound;
    inflight_inbound += o.inflight_inbound;
    messages += o.messages;
    message_bytes += o.message_bytes;
    retained += o.retained;
    return *this;
  }
};

// Used by one thread (recovery of one shard's log), then read to rebuild the live sessions and
// retained store, or to write a snapshot with emit_snapshot().
class RecoveredState {
 public:
  using SessionMap = std::map<std::string, RecoveredSession, std::less<>>;
  using MessageMap = std::map<std::uint64_t, RecoveredMessage>;
  using RetainedMap = std::map<std::string, std::uint64_t, std::less<>>;

  // Applies one decoded record.
  void apply(const AnyRecord& record);
  // Decodes and applies one record; a malformed payload or unknown type is counted in
  // anomalies().malformed, skipped, and its decode error returned.
  Status apply_payload(std::uint8_t type, Bytes payload);
  // Drops messages no queue entry or retained topic references (call when the log is replayed).
  void finish();

  // For recovery's merge of several shards' states (recovery.cc): direct access.
  SessionMap& mutable_sessions() { return sessions_; }
  MessageMap& mutable_messages() { return messages_; }
  RetainedMap& mutable_retained() { return retained_; }

  const SessionMap& sessions() const { return sessions_; }
  // Snapshots opened by kOpenReset and not committed yet (finish() drops them).
  const SessionMap& pending() const { return pending_; }
  const MessageMap& messages() const { return messages_; }
  const RetainedMap& retained() const { return retained_; }
  const Anomalies& anomalies() const { return anomalies_; }
  RecoverySummary summary() const;

  // The largest message id any Message record named, held or dropped since (0 when none).
  std::uint64_t max_seen_message_id() const { return max_seen_id_; }
  // The largest message id held (0 when none).
  std::uint64_t max_message_id() const { return messages_.empty() ? 0 : messages_.rbegin()->first; }

  // Calls `emit` with the minimal records that, applied in that order to an empty RecoveredState
  // and finished, rebuild this state as finish() leaves it (sessions, messages, retained; not the
  // anomaly counters); messages nothing references are not emitted. Views in each
  // record point into this state and are valid during the call only. Order: referenced Messages,
  // then per session SessionOpen (with kOpenReset), Subscribe..., WillSet, per entry Enqueue [Sent
  // [PubrecReceived]], InboundQos2..., SessionOffline; then RetainedSet.
  void emit_snapshot(const std::function<void(const AnyRecord&)>& emit) const;

  // Equal sessions, messages and retained maps (anomaly counters are not compared).
  bool same_state(const RecoveredState& other) const {
    return sessions_ == other.sessions_ && messages_ == other.messages_ &&
           retained_ == other.retained_;
  }

 private:
  friend struct Applier;
  RecoveredSession* find_session(std::string_view client_id);
  void ref(std::uint64_t message_id);
  void unref(std::uint64_t message_id);
  void drop_session(SessionMap::iterator it);
  void drop_pending(SessionMap::iterator it);

  SessionMap sessions_;
  SessionMap pending_;  // snapshots opened by kOpenReset, not yet committed
  MessageMap messages_;
  RetainedMap retained_;
  Anomalies anomalies_;
  std::uint64_t max_seen_id_ = 0;
};

}  // namespace rmq::persist
