// The broker driven by Debian's python3-paho-mqtt through python/mqtt_checks.py, one check per
// test, each against a fresh broker with two shards.
#include <gtest/gtest.h>

#include <string>

#include "broker_process.h"

namespace rmq::itest {
namespace {

class PythonPaho : public ::testing::TestWithParam<const char*> {};

TEST_P(PythonPaho, Check) {
  BrokerProcess broker({"--sys-interval", "1"}, 2);
  ASSERT_TRUE(broker.running());
  const auto [code, output] =
      run({"/usr/bin/python3", RINGMQ_PYTHON_CHECKS, broker.port_text(), GetParam()}, 30s);
  EXPECT_EQ(code, 0) << output << "\nbroker log:\n" << broker.log();
}

INSTANTIATE_TEST_SUITE_P(Checks, PythonPaho,
                         ::testing::Values("qos_matrix", "multiple_subscription_identifiers",
                                           "properties_in_order", "outbound_topic_aliases",
                                           "shared_subscription", "persistent_session",
                                           "enhanced_auth_refused", "takeover", "sys_uptime"));

}  // namespace
}  // namespace rmq::itest
