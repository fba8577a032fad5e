// Output and error handling for one connection: sending (with the slow-consumer limit), closing,
// turning an error into its outcome, keep alive, and the disconnect log line.
#include <chrono>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

const char* version_name(codec::ProtocolVersion v) {
  switch (v) {
    case codec::ProtocolVersion::kV31: return "3.1";
    case codec::ProtocolVersion::kV311: return "3.1.1";
    case codec::ProtocolVersion::kV5: return "5.0";
  }
  return "?";
}

bool Broker::send(ClientConn& c, SharedBytes bytes) {
  if (bytes.empty()) return false;
  const std::size_t size = bytes.size();
  const Status status = shard_.send(c.id, std::move(bytes));
  if (status.ok()) {
    stats_.bytes_sent.add(size);
    return true;
  }
  if (status.code() == StatusCode::kResourceExhausted && c.phase != ConnPhase::kClosed) {
    stats_.slow_disconnects.add();
    RMQ_LOG_WARN("client %s (%s): send queue over %llu bytes; disconnecting", c.client_id.c_str(),
                 c.address.c_str(), static_cast<unsigned long long>(config_.send_hard_limit_bytes));
    close(c, error_info(BrokerError::kSlowConsumer).what.data(), engine::CloseMode::kAbort);
  }
  return false;
}

void Broker::close(ClientConn& c, const char* reason, engine::CloseMode mode) {
  if (c.close_reason == nullptr) c.close_reason = reason;
  if (c.phase == ConnPhase::kClosed && mode == engine::CloseMode::kFlush) {
    shard_.close(c.id, mode);
    return;
  }
  c.phase = ConnPhase::kClosed;
  shard_.cancel_timer(c.timer);
  shard_.close(c.id, mode);
}

Diagnostics Broker::diagnostics(const ClientConn& c, std::string_view text, bool always) const {
  if (!codec::is_v5(c.version) || (!always && !c.request_problem_information)) return {};
  return Diagnostics{text, c.maximum_packet_size};
}

void Broker::send_ack(ClientConn& c, codec::PacketType type, std::uint16_t packet_id,
                      codec::ReasonCode reason) {
  // Only failures explain themselves: a success-class code (0x10 No matching subscribers on
  // most publishes) stays a plain 4-byte acknowledgement, which every client parses.
  const std::string_view text =
      static_cast<std::uint8_t>(reason) < 0x80 ? std::string_view() : codec::to_string(reason);
  send(c, encode_ack(type, packet_id, reason, c.version, diagnostics(c, text, false)));
}

void Broker::send_suback(ClientConn& c, codec::PacketType type, std::uint16_t packet_id,
                         std::span<const std::uint8_t> codes) {
  // One Reason String per packet: the first failure code.
  std::string_view text;
  for (const std::uint8_t code : codes) {
    if (code < 0x80) continue;
    text = codec::to_string(static_cast<codec::ReasonCode>(code));
    break;
  }
  send(c, encode_suback(type, packet_id, codes, c.version, diagnostics(c, text, false)));
}

void Broker::apply(ClientConn& c, const codec::ErrorOutcome& outcome, const char* reason,
                   std::string_view detail) {
  if (c.phase == ConnPhase::kClosed) return;
  if (detail.empty()) detail = reason;
  switch (outcome.action) {
    case codec::ErrorAction::kConnackThenClose: {
      codec::ConnackView connack;
      connack.reason_code = outcome.code;
      // Always allowed on CONNACK, within the client's Maximum Packet Size [MQTT-3.2.2-19].
      send(c, encode_connack(connack, outcome.connack_version,
                             Diagnostics{detail, c.maximum_packet_size}));
      stats_.connects_refused.add();
      RMQ_LOG_INFO("connect refused client=%s addr=%s proto=%s shard=%u code=0x%02x reason=%s",
                   c.client_id.c_str(), c.address.c_str(), version_name(outcome.connack_version),
                   self_, outcome.code, reason);
      break;
    }
    case codec::ErrorAction::kDisconnectThenClose:
      send(c, encode_disconnect(static_cast<codec::ReasonCode>(outcome.code),
                                codec::ProtocolVersion::kV5, diagnostics(c, detail, true)));
      break;
    case codec::ErrorAction::kClose: break;
  }
  close(c, reason);
}

void Broker::fail(ClientConn& c, BrokerError error) {
  const bool connected = c.phase == ConnPhase::kConnected;
  const BrokerErrorInfo& info = error_info(error);
  RMQ_LOG_DEBUG("client %s (%s): %s [%.*s]", c.client_id.c_str(), c.address.c_str(),
                info.what.data(), static_cast<int>(info.statement.size()), info.statement.data());
  apply(c, broker_outcome(error, c.version, connected), info.what.data());
}

void Broker::fail_decode(ClientConn& c, const codec::DecodeError& error) {
  stats_.protocol_errors.add();
  const bool connected = c.phase != ConnPhase::kAwaitConnect;
  RMQ_LOG_DEBUG("client %s (%s): %.*s [%.*s]", c.client_id.c_str(), c.address.c_str(),
                static_cast<int>(error.what.size()), error.what.data(),
                static_cast<int>(error.statement.size()), error.statement.data());
  // Before CONNECT the version is the one the CONNECT itself announced.
  const codec::ProtocolVersion version = connected ? c.version : error.version;
  apply(c, codec::error_outcome(error, version, connected),
        error.reason == codec::ReasonCode::kPacketTooLarge ? "packet too large"
                                                           : "malformed packet or protocol error",
        error.what);
}

void Broker::on_connection_timer(ClientConn& c) {
  if (c.phase == ConnPhase::kClosed) return;
  if (c.phase == ConnPhase::kAwaitConnect || c.phase == ConnPhase::kAwaitVerdict) {
    fail(c, BrokerError::kConnectTimeout);
    return;
  }
  if (c.keep_alive == 0) return;
  // Keep alive: close after one and a half times the interval without a packet [MQTT-3.1.2-22].
  const Duration limit = std::chrono::milliseconds(std::uint64_t{c.keep_alive} * 1500);
  const Duration idle = shard_.now() - c.last_packet;
  if (idle >= limit) {
    fail(c, BrokerError::kKeepAliveTimeout);
    return;
  }
  shard_.arm_timer(c.timer, limit - idle);
}

void Broker::log_disconnect(const ClientConn& c, engine::CloseReason reason) const {
  const char* why = c.close_reason != nullptr ? c.close_reason : engine::to_string(reason);
  if (!c.connacked) {  // refused CONNECTs were logged when refused
    RMQ_LOG_DEBUG("connection %s closed without a session: %s", c.address.c_str(), why);
    return;
  }
  RMQ_LOG_INFO("disconnect client=%s addr=%s proto=%s shard=%u reason=%s", c.client_id.c_str(),
               c.address.c_str(), version_name(c.version), self_, why);
}

}  // namespace rmq::broker
