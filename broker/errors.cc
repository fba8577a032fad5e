#include "broker/errors.h"

#include <array>

#include "base/assert.h"

namespace rmq::broker {
namespace {

using codec::ReasonCode;
using E = BrokerError;
using V3 = codec::ConnackReturnCode;

constexpr std::uint8_t v3(V3 code) { return static_cast<std::uint8_t>(code); }

constexpr std::array<BrokerErrorInfo, static_cast<std::size_t>(E::kCount)> kTable = {{
    {E::kFirstPacketNotConnect, ReasonCode::kProtocolError, kNoConnack, "MQTT-3.1.0-1",
     "first packet is not CONNECT"},
    {E::kConnectTimeout, ReasonCode::kMaximumConnectTime, kNoConnack, "4.8",
     "no CONNECT within the connect timeout"},
    {E::kSecondConnect, ReasonCode::kProtocolError, kNoConnack, "MQTT-3.1.0-2", "second CONNECT"},
    {E::kServerOnlyPacket, ReasonCode::kProtocolError, kNoConnack, "4.13",
     "a packet only a server sends"},
    {E::kClientIdRejected, ReasonCode::kClientIdentifierNotValid, v3(V3::kIdentifierRejected),
     "MQTT-3.1.3-8", "client identifier rejected"},
    {E::kKeepAliveRejected, ReasonCode::kUnspecifiedError, v3(V3::kIdentifierRejected), "3.1.2.10",
     "keep alive above the server maximum"},
    {E::kBadAuthenticationMethod, ReasonCode::kBadAuthenticationMethod, v3(V3::kNotAuthorized),
     "MQTT-4.12.0-1", "unsupported authentication method"},
    {E::kBadCredentials, ReasonCode::kBadUserNameOrPassword, v3(V3::kBadUserNameOrPassword),
     "3.2.2.2", "bad user name or password"},
    {E::kNotAuthorized, ReasonCode::kNotAuthorized, v3(V3::kNotAuthorized), "3.2.2.2",
     "not authorized"},
    {E::kTopicAliasInvalid, ReasonCode::kTopicAliasInvalid, kNoConnack, "MQTT-3.3.2-9",
     "topic alias 0 or above the maximum"},
    {E::kTopicAliasUnknown, ReasonCode::kProtocolError, kNoConnack, "3.3.2.3.4",
     "topic alias without a mapping"},
    {E::kReceiveMaximumExceeded, ReasonCode::kReceiveMaximumExceeded, kNoConnack, "MQTT-3.3.4-9",
     "receive maximum exceeded"},
    {E::kSubscriptionIdFromClient, ReasonCode::kProtocolError, kNoConnack, "MQTT-3.3.4-6",
     "subscription identifier in a client PUBLISH"},
    {E::kAuthWithoutMethod, ReasonCode::kProtocolError, kNoConnack, "MQTT-4.12.0-6",
     "AUTH without an authentication method in CONNECT"},
    {E::kSessionExpiryAfterZero, ReasonCode::kProtocolError, kNoConnack, "MQTT-3.14.2-2",
     "session expiry set in DISCONNECT after CONNECT set 0"},
    {E::kKeepAliveTimeout, ReasonCode::kKeepAliveTimeout, kNoConnack, "MQTT-3.1.2-22",
     "keep alive timeout"},
    {E::kSessionTakenOver, ReasonCode::kSessionTakenOver, kNoConnack, "MQTT-3.1.4-3",
     "session taken over"},
    {E::kServerShuttingDown, ReasonCode::kServerShuttingDown, kNoConnack, "4.13",
     "server shutting down"},
    {E::kSlowConsumer, ReasonCode::kQuotaExceeded, kNoConnack, "ARCHITECTURE 5", "slow subscriber"},
    {E::kPendingTooLarge, ReasonCode::kPacketTooLarge, kNoConnack, "3.1.2.26",
     "too many bytes before CONNACK"},
    {E::kServerFull, ReasonCode::kServerBusy, v3(V3::kServerUnavailable), "3.2.2.2",
     "no session slot left on this shard"},
    {E::kAuthMethodChanged, ReasonCode::kProtocolError, kNoConnack, "MQTT-4.12.0-5",
     "AUTH with another authentication method than CONNECT"},
    {E::kUnexpectedAuth, ReasonCode::kProtocolError, kNoConnack, "3.15.2.1",
     "AUTH reason code not expected now"},
    {E::kPacketDuringAuth, ReasonCode::kProtocolError, kNoConnack, "4.12",
     "packet other than AUTH or DISCONNECT before CONNACK"},
}};

}  // namespace

const BrokerErrorInfo& error_info(BrokerError error) {
  const auto index = static_cast<std::size_t>(error);
  RMQ_ASSERT(index < kTable.size());
  const BrokerErrorInfo& info = kTable[index];
  RMQ_DCHECK(info.error == error);
  return info;
}

codec::ErrorOutcome broker_outcome(BrokerError error, codec::ProtocolVersion version,
                                   bool connected) {
  const BrokerErrorInfo& info = error_info(error);
  const bool refusal =
      !connected && error != E::kFirstPacketNotConnect && error != E::kConnectTimeout;
  if (refusal && !codec::is_v5(version)) {
    codec::ErrorOutcome out;
    if (info.v311_connack == kNoConnack) return out;  // kClose
    out.action = codec::ErrorAction::kConnackThenClose;
    out.code = info.v311_connack;
    out.connack_version = codec::ProtocolVersion::kV311;
    return out;
  }
  // Everything else follows the codec's rules, as if the codec had found it: a refused 5.0
  // CONNECT gets a CONNACK with the code, a connected 5.0 client a DISCONNECT, 3.1.1 a close.
  codec::DecodeError as_decode_error;
  as_decode_error.reason = info.reason;
  as_decode_error.statement = info.statement;
  as_decode_error.what = info.what;
  as_decode_error.packet_type =
      refusal ? codec::PacketType::kConnect : codec::PacketType::kReserved;
  as_decode_error.version = version;
  return codec::error_outcome(as_decode_error, version, connected);
}

}  // namespace rmq::broker
