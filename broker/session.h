// Session and ClientConn: the per-shard state of one MQTT session and of one network connection.
//
// A Session lives on one shard from CONNECT until it ends (clean disconnect with expiry 0, expiry,
// clean start, takeover); a ClientConn lives from accept to close. While connected they point at
// each other; an offline persistent session has no ClientConn. Both belong to their shard's
// thread; only SessionState (below) crosses shards.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "broker/access.h"
#include "broker/inflight.h"
#include "broker/message.h"
#include "broker/message_queue.h"
#include "broker/packet_ids.h"
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
};

// Every timer the broker arms is a BrokerTimer, so on_timer can find its owner.
struct BrokerTimer : engine::Timer {
  BrokerTimer(TimerKind timer_kind, void* timer_owner) : kind(timer_kind), owner(timer_owner) {}
  const TimerKind kind;
  void* const owner;
};

struct SubscriptionRecord {
  codec::SubscriptionOptions options;
  std::uint32_t id = 0;  // Subscription Identifier; 0: none
};

struct WillMessage {
  Message message;
  std::uint32_t delay_s = 0;  // Will Delay Interval
};

// A takeover request: the shard where `client_id` connected again asks the previous owner for its
// session. Posted by pointer; the receiver owns it.
struct TakeoverRequest {
  std::string client_id;
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
};

enum class SessionPhase : std::uint8_t {
  kAuthenticating,  // created on CONNECT; enhanced authentication runs (no identifier claimed)
  kAwaitingState,   // the previous owner of the identifier has not answered yet
  kActive,
};

struct Session {
  Session(std::uint32_t session_handle, std::uint64_t registry_generation, std::string id,
          const QueueLimits& limits)
      : handle(session_handle),
        generation(registry_generation),
        client_id(std::move(id)),
        queue(limits) {}

  const std::uint32_t handle;
  const std::uint64_t generation;
  const std::string client_id;
  SessionPhase phase = SessionPhase::kAwaitingState;
  ClientConn* conn = nullptr;
  std::uint32_t expiry_interval = 0;  // seconds; kNeverExpires
  std::map<std::string, SubscriptionRecord, std::less<>> subscriptions;
  PacketIdAllocator packet_ids;
  InflightWindow inflight;
  MessageQueue queue;
  InboundQos2 inbound_qos2;
  std::optional<WillMessage> will;
  bool presence_ready = false;  // last value given to SessionPresence::set_ready
  bool will_pending = false;    // connection lost; the will waits for its delay or the session end
  // A takeover request that arrived while this session was itself awaiting its state.
  std::unique_ptr<TakeoverRequest> chained_takeover;
  BrokerTimer expiry_timer{TimerKind::kSessionExpiry, this};
  BrokerTimer will_timer{TimerKind::kWillDelay, this};
};

enum class ConnPhase : std::uint8_t {
  kAwaitConnect,  // accepted, no CONNECT yet
  kAwaitAuth,     // CONNECT accepted so far, an enhanced-authentication exchange runs
  kAwaitSession,  // CONNECT accepted, waiting for the previous owner of the client id
  kConnected,     // CONNACK sent
  kClosed,        // closing: nothing more is read or sent
};

struct ClientConn {
  ClientConn(engine::ConnId conn_id, std::string peer) : id(conn_id), address(std::move(peer)) {}

  const engine::ConnId id;
  const std::string address;
  ConnPhase phase = ConnPhase::kAwaitConnect;
  codec::ProtocolVersion version = codec::ProtocolVersion::kV311;
  Session* session = nullptr;
  std::string client_id;
  std::string username;
  std::string auth_method;               // 5.0 Authentication Method of CONNECT
  std::unique_ptr<AuthExchange> auth;    // the running enhanced-authentication exchange
  std::vector<std::uint8_t> auth_reply;  // the server's last Authentication Data
  bool clean_start = true;
  bool assigned_id = false;
  bool server_keep_alive = false;    // Keep Alive was capped: announce it in CONNACK
  std::uint16_t keep_alive = 0;      // seconds; 0: none
  std::uint32_t session_expiry = 0;  // requested in CONNECT
  MonoTime last_packet{};
  BrokerTimer timer{TimerKind::kConnection, this};

  // The client's limits (5.0 CONNECT properties).
  std::uint16_t receive_maximum = 65535;
  std::uint32_t maximum_packet_size = 0;  // 0: none beyond the protocol's
  bool request_problem_information = true;
  InboundAliases in_aliases;
  OutboundAliases out_aliases;

  // Bytes received while kAwaitSession, then any partial packet left after replaying them.
  std::vector<std::uint8_t> held;
  bool connacked = false;              // a successful CONNACK was sent
  bool send_will = true;               // cleared by DISCONNECT with reason 0x00
  bool taken_over = false;             // the session moved to a newer connection
  const char* close_reason = nullptr;  // why the broker closed it, for the log
  // Since when messages to this client have been dropped for its send queue or session queue
  // limits without a delivery in between (slow subscriber); unset while it keeps up.
  std::optional<MonoTime> lagging_since;
};

}  // namespace rmq::broker
