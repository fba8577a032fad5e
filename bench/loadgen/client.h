// Client: one MQTT connection of the load generator, owned by one worker thread for its whole
// life. Buffers and publisher state are allocated at setup; nothing on the message path
// allocates.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/loadgen/byte_buffer.h"
#include "bench/loadgen/protocol.h"
#include "bench/loadgen/tls_client.h"

namespace rmq::loadgen {

enum class Role : std::uint8_t { kSubscriber, kPublisher, kIdle };

enum class ClientState : std::uint8_t {
  kPending,         // not started yet
  kTcpConnecting,   // non-blocking connect() in progress; CONNECT queued
  kTlsHandshake,    // --tls: handshake in progress
  kMqttConnecting,  // waiting for CONNACK
  kSubscribing,     // waiting for SUBACK
  kReady,
  kClosed,  // closed after being set up, or failed; fd is -1
};

// Packet identifier states of a publisher's QoS 1/2 flows.
enum class IdState : std::uint8_t { kFree, kAwaitingAck, kAwaitingComp };

struct PublisherState {
  PublishTemplate publish;
  std::uint64_t next_sequence = 0;  // = messages published
  std::uint32_t inflight = 0;       // QoS 1/2 publishes not yet acknowledged
  std::uint32_t max_inflight = 65535;
  std::uint16_t next_id = 1;
  std::unique_ptr<IdState[]> ids;        // 65536 entries for QoS 1/2, null for QoS 0
  std::uint64_t schedule_offset_ns = 0;  // --rate: this publisher's phase in the schedule
  std::uint64_t written_off = 0;         // window slots written off after stalls
  std::uint64_t last_min_unique = 0;     // window progress watch
  std::uint64_t last_progress_ns = 0;
};

struct Client {
  int fd = -1;
  SSL* ssl = nullptr;  // --tls only; owned, freed when the connection closes
  Role role = Role::kIdle;
  ClientState state = ClientState::kPending;
  std::uint32_t index = 0;     // index within its role
  std::uint32_t receiver = 0;  // subscribers: the DeliveryTable receiver
  bool readable = false;       // edge-triggered readiness not yet consumed
  bool writable = false;
  bool in_backlog = false;
  bool reconnecting = false;      // reconnect: this connection is a reconnection, not the first
  bool reconnect_due = false;     // reconnect: CONNACK came; disconnect and connect again
  std::uint16_t keepalive_s = 0;  // --keepalive, or a 5.0 broker's Server Keep Alive
  std::uint64_t started_ns = 0;   // connect() of the current connection
  std::uint64_t last_send_ns = 0;
  ByteBuffer in;
  ByteBuffer out;
  std::string client_id;
  std::string filter;  // subscribers
  std::unique_ptr<PublisherState> pub;
  TlsSessionSlot tls_session;  // --tls-resume: the latest session the broker issued
};

}  // namespace rmq::loadgen
