// Vocabulary of the MQTT wire format shared by every codec file: protocol versions, packet types,
// QoS levels and reason codes (MQTT 5.0 section 2.4; 3.1.1 CONNACK return codes in section 3.2.2.3).
#pragma once

#include <cstdint>
#include <string_view>

namespace rmq::codec {

// The protocol level byte of CONNECT. 3.1 uses protocol name "MQIsdp", 3.1.1 and 5.0 "MQTT".
enum class ProtocolVersion : std::uint8_t { kV31 = 3, kV311 = 4, kV5 = 5 };

inline constexpr bool is_v5(ProtocolVersion v) { return v == ProtocolVersion::kV5; }

enum class PacketType : std::uint8_t {
  kReserved = 0,
  kConnect = 1,
  kConnack = 2,
  kPublish = 3,
  kPuback = 4,
  kPubrec = 5,
  kPubrel = 6,
  kPubcomp = 7,
  kSubscribe = 8,
  kSuback = 9,
  kUnsubscribe = 10,
  kUnsuback = 11,
  kPingreq = 12,
  kPingresp = 13,
  kDisconnect = 14,
  kAuth = 15,
};

std::string_view to_string(PacketType type);

enum class QoS : std::uint8_t { kAtMostOnce = 0, kAtLeastOnce = 1, kExactlyOnce = 2 };

// MQTT 5.0 reason codes (section 2.4). 3.1.1 has no reason codes outside CONNACK and SUBACK; a
// 3.1.1 peer is told of an error by closing the connection.
enum class ReasonCode : std::uint8_t {
  kSuccess = 0x00,  // also Normal disconnection, Granted QoS 0
  kGrantedQoS1 = 0x01,
  kGrantedQoS2 = 0x02,
  kDisconnectWithWill = 0x04,
  kNoMatchingSubscribers = 0x10,
  kNoSubscriptionExisted = 0x11,
  kContinueAuthentication = 0x18,
  kReAuthenticate = 0x19,
  kUnspecifiedError = 0x80,
  kMalformedPacket = 0x81,
  kProtocolError = 0x82,
  kImplementationSpecificError = 0x83,
  kUnsupportedProtocolVersion = 0x84,
  kClientIdentifierNotValid = 0x85,
  kBadUserNameOrPassword = 0x86,
  kNotAuthorized = 0x87,
  kServerUnavailable = 0x88,
  kServerBusy = 0x89,
  kBanned = 0x8A,
  kServerShuttingDown = 0x8B,
  kBadAuthenticationMethod = 0x8C,
  kKeepAliveTimeout = 0x8D,
  kSessionTakenOver = 0x8E,
  kTopicFilterInvalid = 0x8F,
  kTopicNameInvalid = 0x90,
  kPacketIdentifierInUse = 0x91,
  kPacketIdentifierNotFound = 0x92,
  kReceiveMaximumExceeded = 0x93,
  kTopicAliasInvalid = 0x94,
  kPacketTooLarge = 0x95,
  kMessageRateTooHigh = 0x96,
  kQuotaExceeded = 0x97,
  kAdministrativeAction = 0x98,
  kPayloadFormatInvalid = 0x99,
  kRetainNotSupported = 0x9A,
  kQoSNotSupported = 0x9B,
  kUseAnotherServer = 0x9C,
  kServerMoved = 0x9D,
  kSharedSubscriptionsNotSupported = 0x9E,
  kConnectionRateExceeded = 0x9F,
  kMaximumConnectTime = 0xA0,
  kSubscriptionIdentifiersNotSupported = 0xA1,
  kWildcardSubscriptionsNotSupported = 0xA2,
};

std::string_view to_string(ReasonCode code);

// MQTT 3.1 / 3.1.1 CONNACK return codes (3.1.1 section 3.2.2.3).
enum class ConnackReturnCode : std::uint8_t {
  kAccepted = 0x00,
  kUnacceptableProtocolVersion = 0x01,
  kIdentifierRejected = 0x02,
  kServerUnavailable = 0x03,
  kBadUserNameOrPassword = 0x04,
  kNotAuthorized = 0x05,
};

// 3.1.1 SUBACK failure return code (3.1.1 section 3.9.3).
inline constexpr std::uint8_t kSubackFailureV311 = 0x80;

// Limits fixed by the wire format.
inline constexpr std::uint32_t kMaxRemainingLength = 268'435'455;  // 4-byte variable integer
inline constexpr std::uint32_t kMaxVarInt = 268'435'455;
inline constexpr std::size_t kMaxFixedHeaderSize = 5;

}  // namespace rmq::codec
