// ringmq-bench against ringmq-forwarder, as bench/compare runs it: short QoS 1 pairs and QoS 0
// fan-in runs must complete with nothing lost.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "forwarder_process.h"

namespace rmq::itest {
namespace {

nlohmann::json bench(const ForwarderProcess& forwarder, std::vector<std::string> args) {
  std::vector<std::string> argv = {loadgen_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  for (const char* flag : {"--duration", "1", "--warmup", "0.2", "--drain", "2", "--json", "-"}) {
    argv.emplace_back(flag);
  }
  argv.insert(argv.end(),
              {"--port", forwarder.port_text(), "--broker-pid", std::to_string(forwarder.pid())});
  const auto [code, output] = run(argv, 30s);
  EXPECT_EQ(code, 0) << output;
  const auto json = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << output;
  return json;
}

void expect_nothing_lost(const nlohmann::json& report) {
  ASSERT_TRUE(report.is_object());
  const auto& delivery = report["delivery"];
  EXPECT_GT(delivery["expected"].get<long>(), 0);
  EXPECT_EQ(delivery["received"], delivery["expected"]);
  EXPECT_EQ(delivery["lost"].get<long>(), 0);
  EXPECT_EQ(delivery["duplicated"].get<long>(), 0);
  EXPECT_EQ(delivery["unexpected"].get<long>(), 0);
}

TEST(ForwarderBenchTest, PairsQoS1LosesNothing) {
  ForwarderProcess forwarder;
  const auto report = bench(forwarder, {"pairs", "--pairs", "10", "--qos", "1", "--rate", "500"});
  expect_nothing_lost(report);
  EXPECT_EQ(report["publish"]["unacked"].get<long>(), 0);
}

TEST(ForwarderBenchTest, FaninQoS0LosesNothing) {
  ForwarderProcess forwarder;
  expect_nothing_lost(bench(forwarder, {"fanin", "--publishers", "10", "--subscribers", "1"}));
}

TEST(ForwarderBenchTest, Mqtt5FanoutLosesNothing) {
  ForwarderProcess forwarder;
  expect_nothing_lost(bench(
      forwarder, {"fanout", "--subscribers", "5", "--mqtt", "5", "--qos", "1", "--rate", "1000"}));
}

}  // namespace
}  // namespace rmq::itest
