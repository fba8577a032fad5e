// Session and ClientConn: the per-shard state of one MQTT session and of one network connection.
//
// A Session lives on one shard from CONNECT until it ends (clean disconnect with expiry 0, expiry,
// clean start, takeover); a ClientConn lives from accept to close. While connected they point at
// each other; an offline persistent session has no ClientConn. Both belong to their shard's
// thread; only SessionState (below) crosses shards.
//
// Memory: an idle connection is the unit the broker scales by, so both stay small (their sizes are
// pinned by static_asserts at the end): everything a plain idle client does not use (enhanced
// authentication, topic aliases, QoS 1/2 state, queued messages, subscriptions, will, expiry
// timer) is allocated when first needed, strings are SharedString (one block shared by the
// connection, the session and the client registry) and the peer address is kept in binary.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/assert.h"
#include "base/clock.h"
#include "broker/access.h"
#include "broker/inflight.h"
#include "broker/message.h"
#include "broker/message_queue.h"
#include "broker/packet_ids.h"
#include "broker/peer_name.h"
#include "broker/shared_string.h"
#include "broker/topic_alias.h"
#include "codec/packets.h"
#include "engine/timer_wheel.h"
#include "engine/types.h"

namespace rmq::broker {

struct Session;
struct ClientConn;

inline constexpr std::uint32_t kNeverExpires = 0xFFFFFFFF;

enum class TimerKind : std::uint8_t {
  kConnection,     // ClientConn: connect timeout, then keep alive
  kSessionExpiry,  // Session: Session Expiry Interval after its connection closed
  kWillDelay,      // Session: Will Delay Interval after its connection closed
  kOutbox,         // Broker: retry mailbox posts that found a full queue
  kSys,            // Broker (shard 0): $SYS update
  kLogSync,        // Broker: --durability batch interval, and log compaction slices
};

// Every timer the broker arms is a BrokerTimer, so on_timer can find its owner. The owner (at
// least 8-aligned) and the kind share Timer::tag, so a BrokerTimer is no larger than a Timer.
struct BrokerTimer : engine::Timer {
  BrokerTimer(TimerKind timer_kind, void* timer_owner) {
    const auto bits = reinterpret_cast<std::uintptr_t>(timer_owner);
    RMQ_ASSERT((bits & kKindMask) == 0);
    tag = bits | static_cast<std::uint64_t>(timer_kind);
  }
  TimerKind kind() const { return static_cast<TimerKind>(tag & kKindMask); }
  void* owner() const {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(tag & ~kKindMask));
  }

 private:
  static constexpr std::uint64_t kKindMask = 7;
};
static_assert(sizeof(BrokerTimer) == sizeof(engine::Timer));

// An optional MonoTime in 8 bytes (std::optional takes 16); MonoTime::min() stands for unset.
class OptionalTime {
 public:
  explicit operator bool() const { return time_ != MonoTime::min(); }
  const MonoTime& operator*() const { return time_; }
  OptionalTime& operator=(MonoTime time) {
    time_ = time;
    return *this;
  }
  void reset() { time_ = MonoTime::min(); }

 private:
  MonoTime time_ = MonoTime::min();
};

struct SubscriptionRecord {
  codec::SubscriptionOptions options;
  std::uint32_t id = 0;  // Subscription Identifier; 0: none
};

// A session's will; the timer runs the Will Delay Interval after the connection is lost and is
// cancelled with the will (destroying an armed timer cancels it).
struct WillMessage {
  WillMessage(Message will, std::uint32_t delay, Session* session)
      : message(std::move(will)), delay_s(delay), timer(TimerKind::kWillDelay, session) {}
  Message message;
  std::uint32_t delay_s = 0;  // Will Delay Interval
  BrokerTimer timer;
};

// A session's subscriptions by filter. The map is allocated by the first insertion: a session
// without subscriptions holds 8 bytes (an empty std::map takes 48).
class SubscriptionMap {
 public:
  using Map = std::map<std::string, SubscriptionRecord, std::less<>>;
  using iterator = Map::iterator;
  using const_iterator = Map::const_iterator;

  bool empty() const { return map_ == nullptr || map_->empty(); }
  std::size_t size() const { return map_ == nullptr ? 0 : map_->size(); }
  iterator begin() { return map().begin(); }
  iterator end() { return map().end(); }
  const_iterator begin() const { return map().begin(); }
  const_iterator end() const { return map().end(); }
  iterator find(std::string_view filter) { return map().find(filter); }
  iterator erase(iterator it) { return map_->erase(it); }  // `it` from find(), not end()
  auto insert_or_assign(std::string filter, const SubscriptionRecord& record) {
    return owned().insert_or_assign(std::move(filter), record);
  }
  auto emplace(const std::string& filter, const SubscriptionRecord& record) {
    return owned().emplace(filter, record);
  }
  void clear() {
    if (map_ != nullptr) map_->clear();
  }

 private:
  // Before the first insertion iterators come from one shared empty map that is never written
  // (reading it from several shards at once is safe).
  static Map& empty_map() {
    static Map empty;
    return empty;
  }
  Map& map() const { return map_ != nullptr ? *map_ : empty_map(); }
  Map& owned() {
    if (map_ == nullptr) map_ = std::make_unique<Map>();
    return *map_;
  }

  std::unique_ptr<Map> map_;
};

// A takeover request: the shard where `client_id` connected again asks the previous owner for its
// session. Posted by pointer; the receiver owns it.
struct TakeoverRequest {
  SharedString client_id;
  std::uint32_t old_session = 0;
  std::uint64_t old_generation = 0;
  std::uint32_t new_shard = 0;
  std::uint32_t new_session = 0;
  std::uint64_t new_generation = 0;
  bool wants_state = false;  // the new connection has Clean Start 0
};

// A session's state copied out for another shard (the answer to a TakeoverRequest). Everything
// in it is owned; messages are shared by reference count, which is safe across threads.
struct SessionState {
  std::vector<std::pair<std::string, SubscriptionRecord>> subscriptions;
  std::vector<std::pair<std::uint16_t, InflightEntry>> inflight;  // in send order
  std::deque<OutboundMessage> queued;
  std::vector<std::uint16_t> inbound_qos2;
  std::uint16_t last_packet_id = 0;
  // The session was in the old owner's log: the new owner logs it, then has the old owner log
  // its end (SessionEnd of from_generation) once that is durable.
  bool durable = false;
  std::uint32_t from_shard = 0;
  std::uint64_t from_generation = 0;
  SharedString client_id;
};

// The parts of a session that most never use, allocated together on first need (Session::rare).
struct SessionRare {
  explicit SessionRare(Session* session) : expiry_timer(TimerKind::kSessionExpiry, session) {}
  // A takeover request that arrived while this session was itself awaiting its state.
  std::unique_ptr<TakeoverRequest> chained_takeover;
  // Armed while the session is offline with a finite expiry.
  BrokerTimer expiry_timer;
  // The session's compiled --acl-file rules (session_acl() in access.h); null without one.
  std::unique_ptr<SessionAcl> acl;
};

enum class SessionPhase : std::uint8_t {
  kAuthenticating,  // created on CONNECT; enhanced authentication runs (no identifier claimed)
  kAwaitingState,   // the previous owner of the identifier has not answered yet
  kActive,
};

struct Session {
  // `limits`: the shard's queue limits; they outlive the session.
  Session(std::uint32_t session_handle, std::uint64_t registry_generation, SharedString id,
          const QueueLimits* limits)
      : generation(registry_generation),
        client_id(std::move(id)),
        handle(session_handle),
        queue(limits) {}

  const std::uint64_t generation;
  const SharedString client_id;
  ClientConn* conn = nullptr;
  const std::uint32_t handle;
  SessionPhase phase = SessionPhase::kAwaitingState;
  bool presence_ready = false;  // last value given to SessionPresence::set_ready
  bool will_pending = false;    // connection lost; the will waits for its delay or the session end
  bool durable = false;         // persistent and written to the shard's log (SessionOpen logged)
  // [[no_unique_address]]: the two fields after it fill its tail padding.
  [[no_unique_address]] InflightWindow inflight;
  PacketIdAllocator packet_ids;
  std::uint32_t expiry_interval = 0;  // seconds; kNeverExpires
  MessageQueue queue;
  SubscriptionMap subscriptions;
  InboundQos2 inbound_qos2;
  std::unique_ptr<WillMessage> will;
  // What few sessions need (SessionRare); null until one of its parts is.
  std::unique_ptr<SessionRare> rare;
};

enum class ConnPhase : std::uint8_t {
  kAwaitConnect,  // accepted, no CONNECT yet
  kAwaitVerdict,  // CONNECT parked (kept in `held`) while the auth worker checks its password
  kAwaitAuth,     // CONNECT accepted so far, an enhanced-authentication exchange runs
  kAwaitSession,  // CONNECT accepted, waiting for the previous owner of the client id
  kConnected,     // CONNACK sent
  kClosed,        // closing: nothing more is read or sent
};

// Bytes most connections never hold (the server's Authentication Data): 8 bytes until first used.
// Reads as a span; a callee that fills a std::vector& gets one, created on demand.
class LazyBytes {
 public:
  bool empty() const { return bytes_ == nullptr || bytes_->empty(); }
  void clear() {
    if (bytes_ != nullptr) bytes_->clear();
  }
  operator std::vector<std::uint8_t>&() {  // NOLINT: filled in place by AuthExchange::step
    if (bytes_ == nullptr) bytes_ = std::make_unique<std::vector<std::uint8_t>>();
    return *bytes_;
  }
  operator std::span<const std::uint8_t>() const {  // NOLINT: read as a BinaryView
    return bytes_ == nullptr ? std::span<const std::uint8_t>() : std::span(*bytes_);
  }

 private:
  std::unique_ptr<std::vector<std::uint8_t>> bytes_;
};

struct ClientConn {
  ClientConn(engine::ConnId conn_id, const engine::PeerAddress& peer)
      : id(conn_id), address(peer) {}

  // Read by every delivery to this client: kept together in the first 64 bytes. The alias tables
  // are [[no_unique_address]] so the small fields after each fill its tail padding.
  const engine::ConnId id;
  Session* session = nullptr;
  [[no_unique_address]] OutboundAliases out_aliases;  // 5.0
  ConnPhase phase = ConnPhase::kAwaitConnect;
  codec::ProtocolVersion version = codec::ProtocolVersion::kV311;
  std::uint32_t maximum_packet_size = 0;  // 5.0 CONNECT property; 0: none beyond the protocol's
  // Since when messages to this client have been dropped for its send queue or session queue
  // limits without a delivery in between (slow subscriber); unset while it keeps up.
  OptionalTime lagging_since;
  MonoTime last_packet{};
  [[no_unique_address]] InboundAliases in_aliases;  // 5.0
  std::uint16_t receive_maximum = 65535;            // 5.0 CONNECT property
  std::uint16_t keep_alive = 0;                     // seconds; 0: none
  bool request_problem_information : 1 = true;      // 5.0 CONNECT property
  bool connacked : 1 = false;                       // a successful CONNACK was sent
  bool clean_start : 1 = true;
  bool assigned_id : 1 = false;
  bool server_keep_alive : 1 = false;  // Keep Alive was capped: announce it in CONNACK
  bool send_will : 1 = true;           // cleared by DISCONNECT with reason 0x00
  bool taken_over : 1 = false;         // the session moved to a newer connection
  bool password_verified : 1 = false;  // the auth worker accepted the parked CONNECT
  // PUBACK/PUBREC held until the log records they depend on are durable (--durability sync), in
  // the order their PUBLISH arrived: a list of AckWaits ids (ack_waits.h); 0: none.
  std::uint32_t acks_head = 0;
  std::uint32_t acks_tail = 0;

  SharedString client_id;
  SharedString username;
  SharedString auth_method;            // 5.0 Authentication Method of CONNECT
  std::unique_ptr<AuthExchange> auth;  // the running enhanced-authentication exchange
  LazyBytes auth_reply;                // the server's last Authentication Data
  BrokerTimer timer{TimerKind::kConnection, this};
  // Bytes received while kAwaitSession, then any partial packet left after replaying them; null
  // while there are none.
  std::unique_ptr<std::vector<std::uint8_t>> held;
  const char* close_reason = nullptr;  // why the broker closed it, for the log
  const PeerName address;
  std::uint32_t session_expiry = 0;  // requested in CONNECT
};

// What an idle connection costs the broker: one ClientConn and one Session, each within one
// allocator size class (tests/broker/idle_memory_test.cc measures the whole).
static_assert(sizeof(Session) <= 96, "Session: keep rarely used state out of line");
static_assert(sizeof(ClientConn) <= 192, "ClientConn: keep rarely used state out of line");

}  // namespace rmq::broker
