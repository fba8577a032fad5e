// Malformed and protocol-violating input over raw sockets: each case gets the right CONNACK or
// DISCONNECT reason code, or a plain close, while another connected client keeps working.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "itest_util.h"
#include "raw_client.h"

namespace rmq::itest {
namespace {

using codec::PacketType;
using codec::ProtocolVersion;

enum class Expect { kClose, kConnack, kDisconnect };

struct BadCase {
  const char* name;
  ProtocolVersion version;
  bool connect_first;  // a valid CONNECT/CONNACK before `bytes`
  std::vector<Bytes> bytes;
  Expect expect;
  std::uint8_t code = 0;  // CONNACK return/reason code or DISCONNECT reason code
};

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kMqtt = {0x00, 0x04, 'M', 'Q', 'T', 'T'};
constexpr auto kV5 = ProtocolVersion::kV5;
constexpr auto kV311 = ProtocolVersion::kV311;

std::vector<BadCase> cases() {
  return {
      {"first packet not CONNECT",
       kV311,
       false,
       {{0x30, 0x04, 0x00, 0x01, 't', 'x'}},
       Expect::kClose},
      {"protocol level 6",
       kV311,
       false,
       {cat({{0x10, 0x0c}, kMqtt, {0x06, 0x02, 0x00, 0x3c, 0x00, 0x00}})},
       Expect::kConnack,
       0x01},
      {"3.1.1 reserved CONNECT flag",
       kV311,
       false,
       {cat({{0x10, 0x0d}, kMqtt, {0x04, 0x03, 0x00, 0x3c, 0x00, 0x01, 'a'}})},
       Expect::kClose},
      {"5.0 reserved CONNECT flag",
       kV5,
       false,
       {cat({{0x10, 0x0e}, kMqtt, {0x05, 0x03, 0x00, 0x3c, 0x00, 0x00, 0x01, 'a'}})},
       Expect::kConnack,
       0x81},
      {"3.1.1 empty client id without clean session",
       kV311,
       false,
       {cat({{0x10, 0x0c}, kMqtt, {0x04, 0x00, 0x00, 0x3c, 0x00, 0x00}})},
       Expect::kConnack,
       0x02},
      {"3.1 empty client id",
       kV311,
       false,
       {cat({{0x10, 0x0e},
             {0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p'},
             {0x03, 0x02, 0x00, 0x3c, 0x00, 0x00}})},
       Expect::kConnack,
       0x02},
      {"5.0 unsupported authentication method",
       kV5,
       false,
       {cat({{0x10, 0x16},
             kMqtt,
             {0x05, 0x02, 0x00, 0x3c, 0x08, 0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', 0x00, 0x01,
              'a'}})},
       Expect::kConnack,
       0x8C},
      {"3.1.1 second CONNECT",
       kV311,
       true,
       {cat({{0x10, 0x0d}, kMqtt, {0x04, 0x02, 0x00, 0x3c, 0x00, 0x01, 'b'}})},
       Expect::kClose},
      {"5.0 second CONNECT",
       kV5,
       true,
       {cat({{0x10, 0x0e}, kMqtt, {0x05, 0x02, 0x00, 0x3c, 0x00, 0x00, 0x01, 'b'}})},
       Expect::kDisconnect,
       0x82},
      {"3.1.1 PUBLISH QoS 3", kV311, true, {{0x36, 0x04, 0x00, 0x01, 't', 'x'}}, Expect::kClose},
      {"5.0 PUBLISH QoS 3",
       kV5,
       true,
       {{0x36, 0x05, 0x00, 0x01, 't', 0x00, 'x'}},
       Expect::kDisconnect,
       0x81},
      {"5.0 topic alias above the maximum",
       kV5,
       true,
       {{0x30, 0x08, 0x00, 0x01, 't', 0x03, 0x23, 0x00, 0x64, 'x'}},
       Expect::kDisconnect,
       0x94},
      {"5.0 topic alias with no mapping",
       kV5,
       true,
       {{0x30, 0x07, 0x00, 0x00, 0x03, 0x23, 0x00, 0x05, 'x'}},
       Expect::kDisconnect,
       0x82},
      {"5.0 subscription identifier from a client",
       kV5,
       true,
       {{0x30, 0x07, 0x00, 0x01, 't', 0x02, 0x0b, 0x01, 'x'}},
       Expect::kDisconnect,
       0x82},
      {"5.0 receive maximum exceeded",
       kV5,
       true,
       {{0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x01, 0x00},
        {0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x02, 0x00},
        {0x34, 0x06, 0x00, 0x01, 't', 0x00, 0x03, 0x00}},
       Expect::kDisconnect,
       0x93},
      {"5.0 packet too large",
       kV5,
       true,
       {cat({{0x30, 0xd4, 0x0f, 0x00, 0x01, 't', 0x00}, Bytes(2000, 'x')})},
       Expect::kDisconnect,
       0x95},
      {"5.0 AUTH without an authentication method",
       kV5,
       true,
       {{0xf0, 0x00}},
       Expect::kDisconnect,
       0x82},
      {"5.0 session expiry set after 0",
       kV5,
       true,
       {{0xe0, 0x07, 0x00, 0x05, 0x11, 0x00, 0x00, 0x00, 0x0a}},
       Expect::kDisconnect,
       0x82},
      {"5.0 CONNACK from a client",
       kV5,
       true,
       {{0x20, 0x03, 0x00, 0x00, 0x00}},
       Expect::kDisconnect,
       0x82},
      {"3.1.1 PINGRESP from a client", kV311, true, {{0xd0, 0x00}}, Expect::kClose},
      {"3.1.1 remaining length over four bytes",
       kV311,
       true,
       {{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f}},
       Expect::kClose},
      {"5.0 remaining length over four bytes",
       kV5,
       true,
       {{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f}},
       Expect::kDisconnect,
       0x81},
      {"5.0 topic not UTF-8",
       kV5,
       true,
       {{0x30, 0x06, 0x00, 0x02, 0xc3, 0x28, 0x00, 'x'}},
       Expect::kDisconnect,
       0x81},
      {"3.1.1 SUBSCRIBE with wrong fixed-header flags",
       kV311,
       true,
       {{0x80, 0x06, 0x00, 0x01, 0x00, 0x01, 't', 0x00}},
       Expect::kClose},
      {"3.1.1 SUBSCRIBE with a wildcard in the middle",
       kV311,
       true,
       {{0x82, 0x08, 0x00, 0x01, 0x00, 0x03, 'a', '#', 'b', 0x00}},
       Expect::kClose},
  };
}

class RawProtocol : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = new BrokerProcess({"--max-inflight", "2", "--max-packet-size", "1024"}, 2);
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }
  static BrokerProcess* broker_;
};
BrokerProcess* RawProtocol::broker_ = nullptr;

TEST_F(RawProtocol, BadInputGetsTheRightReasonCodeWhileOthersKeepWorking) {
  ASSERT_TRUE(broker_->running());
  auto sub = connect_client(*broker_, MosqConfig{.id = "bystander", .v5 = true});
  ASSERT_TRUE(sub);
  ASSERT_EQ(sub->subscribe("alive", 1), std::vector<int>{1});
  auto pub = connect_client(*broker_, MosqConfig{.id = "bystander-pub"});
  int n = 0;
  for (const BadCase& c : cases()) {
    SCOPED_TRACE(c.name);
    RawClient raw(broker_->port(), c.version);
    if (c.connect_first) {
      ASSERT_TRUE(raw.connect("raw-" + std::to_string(n)));
    }
    for (const Bytes& b : c.bytes) raw.send(b);
    ASSERT_TRUE(raw.closed());
    switch (c.expect) {
      case Expect::kClose: EXPECT_FALSE(raw.last().has_value()); break;
      case Expect::kConnack:
        ASSERT_TRUE(raw.last().has_value());
        ASSERT_EQ(raw.last()->type(), PacketType::kConnack);
        EXPECT_EQ(raw.last()->connack().reason_code, c.code);
        break;
      case Expect::kDisconnect:
        ASSERT_TRUE(raw.last().has_value());
        ASSERT_EQ(raw.last()->type(), PacketType::kDisconnect);
        EXPECT_EQ(static_cast<int>(raw.last()->disconnect().reason_code), c.code);
        break;
    }
    const std::string marker = "after " + std::to_string(n++);
    ASSERT_TRUE(pub->publish("alive", marker, 1));
    const auto m = sub->receive();
    ASSERT_TRUE(m);
    EXPECT_EQ(m->payload, marker);
  }
}

}  // namespace
}  // namespace rmq::itest
