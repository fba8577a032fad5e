// Broker: the MQTT logic of one shard, plugged into the engine as its ShardHandler
// (ARCHITECTURE.md sections 2 and 3).
//
// Received bytes are decoded in place (broker.cc: framing), each packet goes through one switch
// (dispatch.cc) to one handler per packet type (handle_*.cc), and every error is turned into an
// action by one map (errors.h). Sessions and connections are private to the shard; other shards
// are reached only through the mailbox (takeover.cc, fanout.cc). Publishing matches the shared
// topic index once and sends one mailbox message per destination shard; each shard encodes a
// PUBLISH once per wire layout and queues the same bytes to every subscriber with that layout.
//
// Threading: every method runs on the shard's thread (engine callbacks).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "broker/ack_waits.h"
#include "broker/auth_worker.h"
#include "broker/broker_shared.h"
#include "broker/durable_log.h"
#include "broker/errors.h"
#include "broker/outgoing.h"
#include "broker/session.h"
#include "broker/slot_table.h"
#include "broker/sys_load.h"
#include "codec/decode.h"
#include "engine/block_pool.h"
#include "engine/shard.h"
#include "router/delivery.h"
#include "router/match_result.h"
#include "router/retained_message.h"

namespace rmq::broker {

// The messages shards post to each other (MailboxMessage::type).
enum class MailType : std::uint16_t {
  kDeliver = 1,      // bytes: the Message; ptr: DeliveryBatch* for the destination's sessions
  kTakeoverRequest,  // ptr: TakeoverRequest*
  kTakeoverReply,    // ptr: SessionState* or null; u32: new session handle; u64: its generation
  kDeliverOne,       // bytes: the Message; u32: session; u64: pack_delivery() (no allocation)
  kAuthVerdict = kAuthVerdictMail,  // from the auth worker; ptr: AuthRequest*
  kDurableAck,                      // u32: the receiver's AckWaits id; one part of it is durable
  kRetainLog,      // bytes: a retained Message; u64: DeliveryBatch::ack; log the topic's state
  kLogSessionEnd,  // ptr: SessionEndNote*; log the end of a session that moved away
};

// A session that moved to another shard: its old owner logs its end once the new owner's log
// holds it (takeover.cc).
struct SessionEndNote {
  SharedString client_id;
  std::uint64_t generation = 0;
};

// One message's deliveries on one shard (deliveries' ids_begin index `ids`). A batch posted to
// another shard is made on the sender and deleted on the receiver: the object and its vectors
// come from the block pool (engine/block_pool.h), so neither side touches the heap once warm.
struct DeliveryBatch {
  template <typename T>
  using Vector = std::vector<T, engine::PoolAllocator<T>>;

  static void* operator new(std::size_t size) { return engine::pool_allocate(size); }
  static void operator delete(void* p) noexcept { engine::pool_free(p); }

  Vector<router::Delivery> deliveries;
  Vector<std::uint32_t> ids;
  // Who waits for these deliveries to be durable (--durability sync): origin shard << 32 | its
  // AckWaits id; 0: nobody. Not cleared by clear().
  std::uint64_t ack = 0;
  std::span<const std::uint32_t> ids_of(const router::Delivery& d) const {
    return std::span<const std::uint32_t>(ids).subspan(d.ids_begin, d.ids_count);
  }
  void clear() {
    deliveries.clear();
    ids.clear();
  }
};

// A retained message as the fields of a Message with RETAIN set (retained.cc).
MessageFields retained_fields(const router::RetainedMessage& r);

// The MQTT 5.0 subscription options byte, and back (the log's Subscribe records).
std::uint8_t options_byte(const codec::SubscriptionOptions& o);
codec::SubscriptionOptions options_from_byte(std::uint8_t b);

// "3.1", "3.1.1" or "5.0", for logs.
const char* version_name(codec::ProtocolVersion v);

// A delivery with at most one subscription identifier, packed into MailboxMessage::u64, so the
// common case of one subscriber on a shard crosses the mailbox without an allocation.
bool fits_in_mail(const DeliveryBatch& batch);
std::uint64_t pack_delivery(const router::Delivery& d, std::span<const std::uint32_t> ids);
void unpack_delivery(std::uint32_t session, std::uint64_t packed, DeliveryBatch& out);

class Broker final : public engine::ShardHandler {
 public:
  Broker(engine::Shard& shard, BrokerShared& shared);
  ~Broker() override;
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  void on_start() override;
  void on_open(engine::ConnId id, const engine::PeerAddress& peer) override;
  engine::RecvResult on_data(engine::ConnId id, const engine::RecvView& data) override;
  void on_close(engine::ConnId id, engine::CloseReason reason) override;
  void on_mailbox(const engine::MailboxMessage& message) override;
  void on_timer(engine::Timer& timer) override;
  void on_stop() override;
  void on_shutdown(engine::ConnId id) override;
  void on_turn_end() override;
  void on_log_progress(engine::LogFile& file, std::uint64_t durable_offset) override;
  void on_log_error(engine::LogFile& file, int error) override;
  // This shard's write-ahead log; null without --data-dir.
  const DurableLog* durable_log() const { return log_.get(); }

 private:
  // Framing (broker.cc).
  engine::RecvResult consume(ClientConn& c, std::span<const std::uint8_t> bytes);
  void replay_held(ClientConn& c);
  std::vector<std::uint8_t>& hold(ClientConn& c);  // c.held, created if needed
  ClientConn* conn_of(engine::ConnId id);
  // While a CONNECT waits (for its password check or its session), received bytes are held.
  static bool input_parked(const ClientConn& c) {
    return c.phase == ConnPhase::kAwaitSession || c.phase == ConnPhase::kAwaitVerdict;
  }

  // The one dispatch switch (dispatch.cc).
  void dispatch(ClientConn& c, const codec::PacketView& packet);

  // One handler per packet type (handle_*.cc).
  void handle_connect(ClientConn& c, const codec::ConnectView& p);
  void handle_publish(ClientConn& c, const codec::PublishView& p);
  codec::ReasonCode publish_message(ClientConn& c, Session& s, const codec::PublishView& p,
                                    std::string_view topic);
  void handle_puback(ClientConn& c, const codec::AckView& p);
  void handle_pubrec(ClientConn& c, const codec::AckView& p);
  void handle_pubrel(ClientConn& c, const codec::AckView& p);
  void handle_pubcomp(ClientConn& c, const codec::AckView& p);
  void handle_subscribe(ClientConn& c, const codec::SubscribeView& p);
  void handle_unsubscribe(ClientConn& c, const codec::UnsubscribeView& p);
  void handle_pingreq(ClientConn& c);
  void handle_disconnect(ClientConn& c, const codec::DisconnectView& p);
  void handle_auth(ClientConn& c, const codec::AuthView& p);
  void run_auth_step(ClientConn& c, codec::BinaryView client_data);

  // Connect (handle_connect.cc, connack.cc).
  bool check_connect(ClientConn& c, const codec::ConnectView& p);
  void take_client_limits(ClientConn& c, const codec::ConnectView& p);
  // User name and password, anonymous clients, the transport's identity; false when refused or
  // parked for the auth worker.
  bool authenticate(ClientConn& c, Credentials& credentials);
  // The identity the transport verified for `c` (client certificate or PSK); empty if none.
  std::string_view transport_identity(const ClientConn& c) const;
  // Hands the password check to the auth worker; false when it cannot take it.
  bool park_connect(ClientConn& c, const Credentials& credentials);
  void on_auth_verdict(std::unique_ptr<AuthRequest> request);
  void refuse_credentials(ClientConn& c, std::string_view client_id,
                          std::optional<std::string_view> username, AuthVerdict verdict);
  void open_session(ClientConn& c);
  void finish_connect(ClientConn& c, bool session_present);
  void send_connack(ClientConn& c, bool session_present);

  // Errors and output (connection.cc).
  void fail(ClientConn& c, BrokerError error);
  void fail_decode(ClientConn& c, const codec::DecodeError& error);
  // `reason`: a static text for the log; `detail`: the Reason String sent (default: `reason`).
  void apply(ClientConn& c, const codec::ErrorOutcome& outcome, const char* reason,
             std::string_view detail = {});
  bool send(ClientConn& c, SharedBytes bytes);
  // Acknowledgements with the 5.0 Reason String of a code that is not plain success.
  void send_ack(ClientConn& c, codec::PacketType type, std::uint16_t packet_id,
                codec::ReasonCode reason);
  void send_suback(ClientConn& c, codec::PacketType type, std::uint16_t packet_id,
                   std::span<const std::uint8_t> codes);
  // The Reason String `c` may get on a packet: on CONNACK and DISCONNECT always (`always`), on
  // other packets unless it set Request Problem Information to 0 [MQTT-3.1.2-29].
  Diagnostics diagnostics(const ClientConn& c, std::string_view text, bool always) const;
  void close(ClientConn& c, const char* reason, engine::CloseMode mode = engine::CloseMode::kFlush);
  void on_connection_timer(ClientConn& c);
  void log_disconnect(const ClientConn& c, engine::CloseReason reason) const;

  // Sessions (sessions.cc).
  // Null when the shard has no session handle left.
  Session* create_session(const SharedString& client_id, std::uint64_t generation);
  Session* find_session(std::uint32_t handle);
  void connection_lost(Session& s);
  void end_session(Session& s);
  void on_session_timer(Session& s, TimerKind kind);
  void drop_subscriptions(Session& s);
  void update_presence(Session& s);

  // Takeover and session hand-over between shards (takeover.cc).
  void on_takeover_request(std::unique_ptr<TakeoverRequest> request);
  void on_takeover_reply(std::uint32_t handle, std::uint64_t generation,
                         std::unique_ptr<SessionState> state);
  std::unique_ptr<SessionState> hand_over(Session& s, const TakeoverRequest& request);
  std::unique_ptr<SessionState> export_state(Session& s);
  void import_state(Session& s, SessionState& state);
  void move_subscriptions(Session& s, const TakeoverRequest& request);
  void remember_move(std::uint32_t old_handle, std::uint32_t shard, std::uint32_t session);
  // Sends a delivery for a session that moved away on to its new place, if it moved.
  void forward_moved(const Message& message, const router::Delivery& d,
                     std::span<const std::uint32_t> ids);

  // Routing and delivery (fanout.cc, delivery.cc).
  // Delivers `message` to every matching session; returns the number of deliveries.
  std::size_t route(const Message& message);
  void post_batch(std::uint32_t shard, const Message& message, const DeliveryBatch& batch);
  void deliver_batch(const Message& message, const DeliveryBatch& batch);
  void deliver_each(const Message& message, const DeliveryBatch& batch);
  void deliver(Session& s, OutboundMessage m);
  // A QoS 0 copy for one subscriber, borrowed from the caller (nothing is allocated for it).
  struct Qos0Copy {
    const Message& message;
    bool retain = false;
    std::span<const std::uint32_t> subscription_ids;
  };
  void send_qos0(ClientConn& c, const Qos0Copy& copy, SharedBytes encoded);
  bool send_inflight(Session& s, ClientConn& c, OutboundMessage m);
  void pump_queue(Session& s);
  void resume(Session& s);
  SharedBytes encode_for(ClientConn& c, const OutboundMessage& m, std::uint16_t packet_id,
                         bool dup);
  // `layout` with the version, topic alias and (for 3.1.1) no subscription ids filled in for `c`.
  SharedBytes encode_for(ClientConn& c, const Message& message, PublishLayout layout);
  bool can_receive(const Session& s) const;
  // Records whether a message to `c` was just dropped for a limit (`dropped`) or delivered, and
  // disconnects a client that has been dropping for longer than the slow-subscriber timeout.
  void note_backlog(ClientConn& c, bool dropped);

  // Retained messages and wills (retained.cc).
  void store_retained(const Message& message);
  void send_retained(Session& s, std::string_view filter, const SubscriptionRecord& sub);
  void publish_will(Session& s);

  // Persistence: what is written to the log (persist_log.cc), recovery at start
  // (recovery_import.cc), held acknowledgements (durable_acks.cc), compaction (compaction.cc).
  bool logs(const Session& s) const { return log_ != nullptr && s.durable; }
  void open_durable_log();
  void import_recovered(persist::RecoveredShard& recovered);
  void import_session(const std::string& client, const persist::RecoveredSession& rs,
                      const std::unordered_map<std::uint64_t, Message>& messages);
  std::uint64_t wall_ms_of(MonoTime t) const;
  std::uint64_t log_message(const Message& m);
  void log_session_open(Session& s, std::uint8_t flags);
  void log_session_end(Session& s);
  void log_session_offline(Session& s);
  void log_will(Session& s);
  void log_subscribe(Session& s, std::string_view filter, const SubscriptionRecord& r);
  void log_unsubscribe(Session& s, std::string_view filter);
  void log_enqueue(Session& s, OutboundMessage& m);
  void log_sent(Session& s, std::uint64_t log_id, std::uint16_t packet_id);
  void log_ack(Session& s, std::uint64_t log_id, std::uint16_t packet_id);
  void log_pubrec(Session& s, std::uint16_t packet_id);
  void log_inbound(Session& s, std::uint16_t packet_id, bool released);
  void log_session_snapshot(Session& s);
  void log_snapshot_head(Session& s);
  void log_snapshot_entry(Session& s, OutboundMessage& m);
  void log_snapshot_tail(Session& s);
  // The offline session whose snapshot compaction is writing in slices; null when none.
  Session* chunked_session();
  bool continue_chunk(std::uint64_t max_bytes);
  void finish_chunk_of(Session& s);
  void note_retained(const Message& message);
  void log_retained_now(std::string_view topic);
  void on_log_session_end(std::unique_ptr<SessionEndNote> note);
  void end_moved_session(const SessionState& state, const SharedString& client_id,
                         std::uint64_t start);
  bool holds_acks() const { return log_ != nullptr && log_->waits_for_sync(); }
  std::uint32_t hold_ack(ClientConn& c, codec::PacketType type, std::uint16_t packet_id);
  void release_hold(std::uint32_t id, std::uint64_t start);
  std::uint64_t attach_ack();
  std::uint32_t begin_relay(std::uint64_t ack);
  void ack_part_done(std::uint32_t id);
  void complete_wait(std::uint32_t id);
  void flush_held_acks(ClientConn& c);
  void orphan_held_acks(ClientConn& c);
  void maybe_compact();
  void start_compaction(const char* why);
  void compact_slice();
  void compaction_progress();

  // $SYS (sys_topics.cc).
  void publish_sys();
  void publish_sys_value(std::string_view topic, std::string_view value);
  // Mailbox posting with retry (fanout.cc).
  void post(std::uint32_t shard, const engine::MailboxMessage& message, bool droppable);
  void retry_outbox();
  void discard_outbox();

  engine::Shard& shard_;
  BrokerShared& shared_;
  const BrokerConfig& config_;
  BrokerStats& stats_;
  const std::uint32_t self_;
  // Every session's queue limits (from the config); declared before sessions_, which use them.
  const QueueLimits queue_limits_;
  // Connections by engine slot and sessions by presence slot (both dense, reused): an 8-byte cell
  // each instead of a hash node and bucket.
  SlotTable<ClientConn> conns_;
  SlotTable<Session> sessions_;
  std::uint64_t assigned_ids_ = 0;

  // Sessions handed over to another shard or handle, by old handle (takeover.cc).
  struct MovedSession {
    std::uint32_t shard;
    std::uint32_t session;
  };
  struct MovedExpiry {
    std::uint32_t handle;
    MonoTime until;
  };
  std::unordered_map<std::uint32_t, MovedSession> moved_;
  std::deque<MovedExpiry> moved_order_;

  // Scratch reused by route() so matching allocates nothing once grown.
  router::MatchResult match_;
  router::DeliveryList merged_;
  DeliveryBatch local_batch_;
  DeliveryBatch incoming_;  // kDeliverOne unpacked

  struct PendingPost {
    std::uint32_t shard;
    engine::MailboxMessage message;
  };
  std::deque<PendingPost> outbox_;
  std::size_t outbox_bytes_ = 0;  // message bytes the outbox's posts reference
  BrokerTimer outbox_timer_{TimerKind::kOutbox, this};
  BrokerTimer sys_timer_{TimerKind::kSys, this};
  SysLoads sys_loads_;  // $SYS/broker/load/... (sys_topics.cc; shard 0 only)
  // Persistence (null/idle without --data-dir).
  std::unique_ptr<DurableLog> log_;
  AckWaits acks_;
  std::uint32_t current_ack_ = 0;       // the wait routing attaches to posts (attach_ack)
  const void* logged_block_ = nullptr;  // deliver_batch: the message whose record is written
  std::uint64_t logged_id_ = 0;         // ... and its id
  MonoTime last_log_warning_{};
  BrokerTimer sync_timer_{TimerKind::kLogSync, this};
  BrokerTimer compact_timer_{TimerKind::kLogSync, this};
  struct Compaction {
    bool running = false;
    bool written = false;  // every slice written; waiting for them to be durable
    std::size_t slot = 0;  // next session slot
    std::size_t sessions = 0;
    std::vector<router::RetainedPtr> retained;  // owned topics when it started
    std::size_t next_retained = 0;
    // A large offline session snapshotted over several slices: its handle and generation, the
    // next queue index, and the waits for its records (released at its commit).
    std::uint32_t chunk_handle = 0;
    std::uint64_t chunk_generation = 0;
    std::size_t chunk_next = 0;
    std::vector<std::uint32_t> chunk_waits;
    std::uint64_t start = 0;  // position of the new segment's first snapshot record
    std::uint64_t end = 0;    // position after the last slice
    MonoTime started{};
  };
  Compaction compaction_;
  std::uint64_t compact_threshold_ = 0;  // segment bytes that start the next compaction
  bool chunk_touched_ = false;           // a copy joined the chunked session's queue (release_hold)
  bool stopping_ = false;
  bool index_reader_online_ = false;  // between the turn's first match and on_turn_end()
};

}  // namespace rmq::broker
