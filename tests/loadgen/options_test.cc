#include "bench/loadgen/options.h"

#include <gtest/gtest.h>

namespace rmq::loadgen {
namespace {

ParseOutcome parse(std::vector<std::string> args) { return parse_options(args); }

TEST(Options, DefaultsPerScenario) {
  const ParseOutcome fanin = parse({"fanin"});
  ASSERT_TRUE(fanin.run) << fanin.message;
  EXPECT_EQ(fanin.options.scenario, Scenario::kFanin);
  EXPECT_EQ(fanin.options.publishers, 50u);
  EXPECT_EQ(fanin.options.subscribers, 1u);
  EXPECT_EQ(fanin.options.mqtt_version, 4);
  EXPECT_EQ(fanin.options.qos, 0);
  EXPECT_EQ(fanin.options.payload, 16u);
  EXPECT_EQ(fanin.options.window, 1000u);
  EXPECT_TRUE(fanin.options.nodelay);
  EXPECT_TRUE(fanin.options.clean);
  EXPECT_EQ(fanin.options.threads, 1u);

  const ParseOutcome fanout = parse({"fanout"});
  ASSERT_TRUE(fanout.run);
  EXPECT_EQ(fanout.options.publishers, 1u);
  EXPECT_EQ(fanout.options.subscribers, 50u);

  const ParseOutcome pairs = parse({"pairs", "--pairs", "7"});
  ASSERT_TRUE(pairs.run);
  EXPECT_EQ(pairs.options.publishers, 7u);
  EXPECT_EQ(pairs.options.subscribers, 7u);

  const ParseOutcome shared = parse({"shared"});
  ASSERT_TRUE(shared.run);
  EXPECT_EQ(shared.options.publishers, 10u);
  EXPECT_EQ(shared.options.subscribers, 5u);

  const ParseOutcome conn = parse({"conn", "--connections", "300"});
  ASSERT_TRUE(conn.run);
  EXPECT_EQ(conn.options.connections, 300u);
  EXPECT_EQ(conn.options.publishers, 0u);

  const ParseOutcome composite = parse({"composite", "--load", "fanout", "--idle", "9"});
  ASSERT_TRUE(composite.run);
  EXPECT_EQ(composite.options.load, Scenario::kFanout);
  EXPECT_EQ(composite.options.subscribers, 50u);
  EXPECT_EQ(composite.options.idle, 9u);
}

TEST(Options, EveryFlagIsApplied) {
  const ParseOutcome o = parse({"fanin",
                                "--mqtt",
                                "5",
                                "--qos",
                                "2",
                                "--payload",
                                "1024",
                                "--rate",
                                "2000",
                                "--window",
                                "0",
                                "--duration",
                                "3",
                                "--warmup",
                                "0.5",
                                "--drain",
                                "1",
                                "--topic",
                                "t/x",
                                "--keepalive",
                                "30",
                                "--persistent",
                                "--session-expiry",
                                "60",
                                "--host",
                                "localhost",
                                "--port",
                                "1999",
                                "--source-addresses",
                                "127.0.0.1-127.0.0.3",
                                "--threads",
                                "2",
                                "--nodelay=false",
                                "--publishers",
                                "3",
                                "--subscribers",
                                "2",
                                "--broker-pid",
                                "1",
                                "--json",
                                "out.json",
                                "--quiet",
                                "--connect-rate",
                                "100",
                                "--inflight",
                                "20"});
  ASSERT_TRUE(o.run) << o.message;
  const Options& p = o.options;
  EXPECT_EQ(p.mqtt_version, 5);
  EXPECT_EQ(p.qos, 2);
  EXPECT_EQ(p.payload, 1024u);
  EXPECT_EQ(p.rate, 2000);
  EXPECT_EQ(p.window, 0u);
  EXPECT_EQ(p.duration_s, 3);
  EXPECT_EQ(p.warmup_s, 0.5);
  EXPECT_EQ(p.drain_s, 1);
  EXPECT_EQ(p.topic, "t/x");
  EXPECT_EQ(p.keepalive_s, 30);
  EXPECT_FALSE(p.clean);
  EXPECT_EQ(p.session_expiry_s, 60u);
  EXPECT_EQ(p.host, "localhost");
  EXPECT_EQ(p.port, 1999);
  EXPECT_EQ(p.source_addresses.size(), 3u);
  EXPECT_EQ(p.threads, 2u);
  EXPECT_FALSE(p.nodelay);
  EXPECT_EQ(p.publishers, 3u);
  EXPECT_EQ(p.subscribers, 2u);
  EXPECT_EQ(p.broker_pid, 1);
  EXPECT_EQ(p.json_path, "out.json");
  EXPECT_TRUE(p.quiet);
  EXPECT_EQ(p.connect_rate, 100);
  EXPECT_EQ(p.inflight, 20u);
}

TEST(Options, ReconnectHasIdleClientsOnly) {
  const ParseOutcome o = parse({"reconnect", "--tls", "--tls-resume", "--insecure"});
  ASSERT_TRUE(o.run) << o.message;
  EXPECT_EQ(o.options.scenario, Scenario::kReconnect);
  EXPECT_EQ(o.options.connections, 50u);
  EXPECT_EQ(o.options.publishers, 0u);
  EXPECT_EQ(o.options.subscribers, 0u);
  EXPECT_TRUE(o.options.tls_resume);
  EXPECT_STREQ(to_string(o.options.scenario), "reconnect");
  const ParseOutcome sized = parse({"reconnect", "--connections", "7"});
  ASSERT_TRUE(sized.run);
  EXPECT_EQ(sized.options.connections, 7u);
  EXPECT_FALSE(sized.options.tls_resume);
  const ParseOutcome conn = parse({"conn"});
  ASSERT_TRUE(conn.run);
  EXPECT_EQ(conn.options.connections, 1000u);
}

TEST(Options, JsonOnStdoutSilencesTheSummary) {
  const ParseOutcome o = parse({"fanin", "--json", "-"});
  ASSERT_TRUE(o.run);
  EXPECT_TRUE(o.options.quiet);
}

TEST(Options, HelpExitsZero) {
  const ParseOutcome o = parse({"--help"});
  EXPECT_FALSE(o.run);
  EXPECT_EQ(o.exit_code, 0);
  EXPECT_NE(o.message.find("--window"), std::string::npos);
}

struct BadFlag {
  std::vector<std::string> args;
  std::string names;  // what the one-line message must mention
};

void PrintTo(const BadFlag& b, std::ostream* os) {
  for (const std::string& a : b.args) *os << a << ' ';
}

class BadFlagTest : public ::testing::TestWithParam<BadFlag> {};

TEST_P(BadFlagTest, ExitsTwoWithOneLineNamingTheFlag) {
  const ParseOutcome o = parse(GetParam().args);
  EXPECT_FALSE(o.run);
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_NE(o.message.find(GetParam().names), std::string::npos) << o.message;
  EXPECT_EQ(o.message.find('\n'), std::string::npos) << o.message;
  EXPECT_EQ(o.message.rfind("ringmq-bench: ", 0), 0u) << o.message;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, BadFlagTest,
    ::testing::Values(
        BadFlag{{"fanin", "--qos", "3"}, "--qos"}, BadFlag{{"fanin", "--qos", "x"}, "--qos"},
        BadFlag{{"fanin", "--payload", "8"}, "--payload"},
        BadFlag{{"fanin", "--mqtt", "4"}, "--mqtt"}, BadFlag{{"fanin", "--rate", "-1"}, "--rate"},
        BadFlag{{"fanin", "--threads", "0"}, "--threads"},
        BadFlag{{"fanin", "--port", "70000"}, "--port"},
        BadFlag{{"fanin", "--duration", "0"}, "--duration"},
        BadFlag{{"fanin", "--window", "-5"}, "--window"},
        BadFlag{{"fanin", "--source-addresses", "127.0.0.9-127.0.0.1"}, "--source-addresses"},
        BadFlag{{"fanin", "--source-addresses", "nonsense"}, "--source-addresses"},
        BadFlag{{"fanout", "--publishers", "2"}, "--publishers"},
        BadFlag{{"fanin", "--pairs", "3"}, "--pairs"},
        BadFlag{{"pairs", "--publishers", "3", "--subscribers", "4"}, "--publishers"},
        BadFlag{{"fanin", "--topic", "a/#"}, "--topic"},
        BadFlag{{"shared", "--group", "a/b"}, "--group"},
        BadFlag{{"fanin", "--session-expiry", "10"}, "--session-expiry"},
        BadFlag{{"fanin", "--cafile", "ca.pem"}, "--cafile"},
        BadFlag{{"reconnect", "--tls-resume"}, "--tls-resume"},
        BadFlag{{"reconnect", "--connections", "0"}, "--connections"},
        BadFlag{{"composite", "--load", "conn"}, "--load"},
        BadFlag{{"fanin", "--no-such-flag"}, "--no-such-flag"}, BadFlag{{"warp"}, "scenario"},
        BadFlag{{}, "scenario"}));

}  // namespace
}  // namespace rmq::loadgen
