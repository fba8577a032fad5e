#include "broker/errors.h"

#include <gtest/gtest.h>

namespace rmq::broker {
namespace {

using codec::ErrorAction;
using codec::ProtocolVersion;

TEST(BrokerErrors, TableIsCompleteAndOrdered) {
  for (int i = 0; i < static_cast<int>(BrokerError::kCount); ++i) {
    const auto e = static_cast<BrokerError>(i);
    EXPECT_EQ(error_info(e).error, e);
    EXPECT_FALSE(error_info(e).what.empty());
    EXPECT_FALSE(error_info(e).statement.empty());
  }
}

TEST(BrokerErrors, ConnectRefusals) {
  auto v5 = broker_outcome(BrokerError::kClientIdRejected, ProtocolVersion::kV5, false);
  EXPECT_EQ(v5.action, ErrorAction::kConnackThenClose);
  EXPECT_EQ(v5.code, 0x85);
  EXPECT_EQ(v5.connack_version, ProtocolVersion::kV5);
  auto v3 = broker_outcome(BrokerError::kClientIdRejected, ProtocolVersion::kV311, false);
  EXPECT_EQ(v3.action, ErrorAction::kConnackThenClose);
  EXPECT_EQ(v3.code, 0x02);
  EXPECT_EQ(v3.connack_version, ProtocolVersion::kV311);
  EXPECT_EQ(broker_outcome(BrokerError::kBadAuthenticationMethod, ProtocolVersion::kV5, false).code,
            0x8C);
  EXPECT_EQ(broker_outcome(BrokerError::kKeepAliveRejected, ProtocolVersion::kV311, false).code,
            0x02);
}

TEST(BrokerErrors, BeforeConnectWithoutConnect) {
  EXPECT_EQ(broker_outcome(BrokerError::kFirstPacketNotConnect, ProtocolVersion::kV5, false).action,
            ErrorAction::kClose);
  EXPECT_EQ(broker_outcome(BrokerError::kConnectTimeout, ProtocolVersion::kV311, false).action,
            ErrorAction::kClose);
}

TEST(BrokerErrors, ConnectedV5GetsDisconnectWithTheReasonCode) {
  const struct {
    BrokerError error;
    std::uint8_t code;
  } cases[] = {
      {BrokerError::kTopicAliasInvalid, 0x94},  {BrokerError::kReceiveMaximumExceeded, 0x93},
      {BrokerError::kKeepAliveTimeout, 0x8D},   {BrokerError::kSessionTakenOver, 0x8E},
      {BrokerError::kServerShuttingDown, 0x8B}, {BrokerError::kSecondConnect, 0x82},
      {BrokerError::kTopicAliasUnknown, 0x82},  {BrokerError::kSubscriptionIdFromClient, 0x82},
  };
  for (const auto& c : cases) {
    const auto out = broker_outcome(c.error, ProtocolVersion::kV5, true);
    EXPECT_EQ(out.action, ErrorAction::kDisconnectThenClose) << error_info(c.error).what;
    EXPECT_EQ(out.code, c.code) << error_info(c.error).what;
    EXPECT_EQ(broker_outcome(c.error, ProtocolVersion::kV311, true).action, ErrorAction::kClose);
  }
}

}  // namespace
}  // namespace rmq::broker
