// The one map from errors the broker finds to what it does about them. Decode errors come from
// the codec with their own table (codec::error_outcome); BrokerError names every rule the broker
// enforces itself (those decode() leaves to the caller, limits and lifecycle events), and
// broker_outcome() turns one into the same ErrorOutcome: CONNACK and close, DISCONNECT and close,
// or close.
#pragma once

#include <cstdint>
#include <string_view>

#include "codec/decode_error.h"
#include "codec/types.h"

namespace rmq::broker {

enum class BrokerError : std::uint8_t {
  kFirstPacketNotConnect,
  kConnectTimeout,
  kSecondConnect,
  kServerOnlyPacket,
  kClientIdRejected,
  kKeepAliveRejected,
  kBadAuthenticationMethod,
  kBadCredentials,
  kNotAuthorized,
  kTopicAliasInvalid,
  kTopicAliasUnknown,
  kReceiveMaximumExceeded,
  kSubscriptionIdFromClient,
  kAuthWithoutMethod,
  kSessionExpiryAfterZero,
  kKeepAliveTimeout,
  kSessionTakenOver,
  kServerShuttingDown,
  kSlowConsumer,
  kPendingTooLarge,
  kServerFull,
  kAuthMethodChanged,
  kUnexpectedAuth,
  kPacketDuringAuth,
  kCount,
};

struct BrokerErrorInfo {
  BrokerError error;
  codec::ReasonCode reason;    // 5.0: CONNACK code before CONNECT completes, else DISCONNECT code
  std::uint8_t v311_connack;   // 3.1/3.1.1 CONNACK return code before CONNECT, or kNoConnack
  std::string_view statement;  // the spec statement or section enforced
  std::string_view what;       // a short description, for logs
};

inline constexpr std::uint8_t kNoConnack = 0xFF;

const BrokerErrorInfo& error_info(BrokerError error);

// What to do about `error` on a connection speaking `version`; `connected`: CONNACK was sent.
codec::ErrorOutcome broker_outcome(BrokerError error, codec::ProtocolVersion version,
                                   bool connected);

}  // namespace rmq::broker
