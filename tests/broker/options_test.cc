#include "broker/app/options.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

namespace rmq::app {
namespace {

ParseResult parse(std::vector<std::string> args) { return parse_options(args); }

TEST(Options, Defaults) {
  const ParseResult r = parse({});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  ASSERT_EQ(r.options.engine.listen.size(), 1u);
  EXPECT_EQ(r.options.engine.listen[0].host, "0.0.0.0");
  EXPECT_EQ(r.options.engine.listen[0].port, 1883);
  EXPECT_EQ(r.options.engine.shards, online_cpus());
  EXPECT_EQ(r.options.broker.max_inflight, 100);
  EXPECT_EQ(r.options.log_level, LogLevel::kInfo);
  EXPECT_TRUE(r.options.engine.pin_threads);
  EXPECT_TRUE(r.options.tls.listen.empty());
}

TEST(Options, TlsFlags) {
  const ParseResult r = parse({"--tls-listen",
                               "127.0.0.1",
                               "--tls-listen",
                               "[::1]:8884",
                               "--tls-cert",
                               "c.pem",
                               "--tls-key",
                               "k.pem",
                               "--tls-ca",
                               "ca.pem",
                               "--tls-crl",
                               "crl.pem",
                               "--tls-require-cert",
                               "--tls-identity-as-username",
                               "--tls-min-version",
                               "1.3",
                               "--tls-handshake-timeout",
                               "3",
                               "--psk-hint",
                               "hint",
                               "--pin-threads",
                               "false"});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  ASSERT_EQ(r.options.tls.listen.size(), 2u);
  EXPECT_EQ(r.options.tls.listen[0].host, "127.0.0.1");
  EXPECT_EQ(r.options.tls.listen[0].port, 8883);  // the MQTT over TLS port when none is given
  EXPECT_EQ(r.options.tls.listen[1].host, "::1");
  EXPECT_EQ(r.options.tls.listen[1].port, 8884);
  EXPECT_EQ(r.options.tls.config.cert_file, "c.pem");
  EXPECT_EQ(r.options.tls.config.key_file, "k.pem");
  EXPECT_EQ(r.options.tls.config.ca_file, "ca.pem");
  EXPECT_EQ(r.options.tls.config.crl_file, "crl.pem");
  EXPECT_TRUE(r.options.tls.config.require_client_cert);
  EXPECT_EQ(r.options.tls.config.min_version, tls::TlsVersion::kTls13);
  EXPECT_EQ(r.options.tls.config.psk_hint, "hint");
  EXPECT_TRUE(r.options.broker.identity_as_username);
  EXPECT_EQ(r.options.engine.tls_handshake_timeout, std::chrono::seconds(3));
  EXPECT_FALSE(r.options.engine.pin_threads);
  EXPECT_EQ(r.options.engine.listen.size(), 1u);  // main adds the TLS listeners with their context
}

TEST(Options, Flags) {
  const ParseResult r = parse({"--listen",
                               "127.0.0.1:1",
                               "--listen",
                               "[::1]:2",
                               "--threads",
                               "3",
                               "--max-packet-size",
                               "5000",
                               "--max-inflight",
                               "7",
                               "--max-queued-messages",
                               "8",
                               "--max-queued-bytes",
                               "9",
                               "--retained-max-count",
                               "10",
                               "--retained-max-bytes",
                               "11",
                               "--max-keepalive",
                               "12",
                               "--sys-interval",
                               "13",
                               "--log-level",
                               "warn",
                               "--deny-subscribe",
                               "a/#",
                               "--deny-subscribe",
                               "b",
                               "--max-connections",
                               "14",
                               "--send-queue-soft-limit",
                               "15",
                               "--send-queue-hard-limit",
                               "16",
                               "--v311-session-expiry",
                               "17",
                               "--slow-subscriber-timeout",
                               "18",
                               "--topic-alias-maximum",
                               "19",
                               "--connect-timeout",
                               "20",
                               "--linger-ms",
                               "21"});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  const Options& o = r.options;
  ASSERT_EQ(o.engine.listen.size(), 2u);
  EXPECT_EQ(o.engine.listen[1].host, "::1");
  EXPECT_EQ(o.engine.listen[1].port, 2);
  EXPECT_EQ(o.engine.shards, 3u);
  EXPECT_EQ(o.engine.max_connections, 14u);
  EXPECT_EQ(o.broker.max_packet_size, 5000u);
  EXPECT_EQ(o.broker.max_inflight, 7);
  EXPECT_EQ(o.broker.max_queued_messages, 8u);
  EXPECT_EQ(o.broker.max_queued_bytes, 9u);
  EXPECT_EQ(o.broker.retained_max_count, 10u);
  EXPECT_EQ(o.broker.retained_max_bytes, 11u);
  EXPECT_EQ(o.broker.max_keepalive, 12);
  EXPECT_EQ(o.broker.sys_interval, 13u);
  EXPECT_EQ(o.log_level, LogLevel::kWarn);
  EXPECT_EQ(o.broker.deny_subscribe, (std::vector<std::string>{"a/#", "b"}));
  EXPECT_EQ(o.broker.send_budget_bytes, 15u);
  EXPECT_EQ(o.broker.send_hard_limit_bytes, 16u);
  EXPECT_EQ(o.broker.v311_session_expiry, 17u);
  EXPECT_EQ(o.broker.slow_subscriber_timeout_s, 18u);
  EXPECT_EQ(o.broker.topic_alias_maximum, 19);
  EXPECT_EQ(o.broker.connect_timeout, std::chrono::seconds(20));
  EXPECT_EQ(o.engine.linger_timeout, std::chrono::milliseconds(21));
}

TEST(Options, HelpExitsZeroAndDescribesEveryFlag) {
  const ParseResult r = parse({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag : {"--listen",
                           "--threads",
                           "--max-connections",
                           "--max-packet-size",
                           "--max-inflight",
                           "--max-queued-messages",
                           "--max-queued-bytes",
                           "--retained-max-count",
                           "--retained-max-bytes",
                           "--max-keepalive",
                           "--sys-interval",
                           "--log-level",
                           "--deny-subscribe",
                           "--config",
                           "--send-queue-soft-limit",
                           "--send-queue-hard-limit",
                           "--topic-alias-maximum",
                           "--connect-timeout",
                           "--linger-ms",
                           "--pin-threads",
                           "--tls-listen",
                           "--tls-cert",
                           "--tls-key",
                           "--tls-ca",
                           "--tls-crl",
                           "--tls-require-cert",
                           "--tls-identity-as-username",
                           "--tls-min-version",
                           "--tls-handshake-timeout",
                           "--psk-file",
                           "--psk-hint",
                           "--password-file",
                           "--allow-anonymous",
                           "--acl-file"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag;
  }
}

struct BadCase {
  std::vector<std::string> args;
  const char* names;
};

TEST(Options, BadFlagsExitTwoWithOneLineNamingTheKey) {
  const BadCase cases[] = {
      {{"--threads", "abc"}, "--threads"},
      {{"--threads", "5000"}, "--threads"},
      {{"--max-inflight", "0"}, "--max-inflight"},
      {{"--listen", "no-such-host.invalid:1883"}, "--listen"},
      {{"--listen", "1.2.3.4:99999"}, "--listen"},
      {{"--listen", "::1:1883"}, "--listen"},
      {{"--log-level", "loud"}, "--log-level"},
      {{"--no-such-flag"}, "--no-such-flag"},
      {{"--send-queue-soft-limit", "100", "--send-queue-hard-limit", "10"},
       "--send-queue-hard-limit"},
      {{"--pin-threads", "maybe"}, "--pin-threads"},
      {{"--tls-listen", "nowhere.invalid:8883", "--tls-cert", "c", "--tls-key", "k"},
       "--tls-listen"},
      {{"--tls-listen", "127.0.0.1:8883"}, "--tls-listen"},
      {{"--tls-key", "k"}, "--tls-key"},
      {{"--tls-cert", "c", "--tls-key", "k"}, "--tls-cert"},
      {{"--tls-listen", "127.0.0.1", "--psk-file", "p", "--tls-crl", "x"}, "--tls-crl"},
  };
  for (const BadCase& c : cases) {
    const ParseResult r = parse(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.names;
    EXPECT_NE(r.output.find(c.names), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find('\n'), std::string::npos) << r.output;
  }
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char name[] = "/tmp/ringmq-options-XXXXXX";
    const int fd = mkstemp(name);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = name;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string path_;
};

TEST_F(ConfigFile, SameKeysAsFlagsAndFlagsOverride) {
  write(
      "# comment\n\nthreads = 2\nmax-inflight=9   # trailing comment\nlisten = 127.0.0.1:7\n"
      "deny-subscribe = test/nosubscribe\n");
  ParseResult r = parse({"--config", path_});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  EXPECT_EQ(r.options.engine.shards, 2u);
  EXPECT_EQ(r.options.broker.max_inflight, 9);
  EXPECT_EQ(r.options.engine.listen[0].port, 7);
  EXPECT_EQ(r.options.broker.deny_subscribe, std::vector<std::string>{"test/nosubscribe"});
  r = parse({"--config", path_, "--threads", "4"});
  ASSERT_EQ(r.exit_code, -1) << r.output;
  EXPECT_EQ(r.options.engine.shards, 4u);
}

TEST_F(ConfigFile, UnknownKeyAndBadLineAndBadValue) {
  write("threads = 2\nbogus = 1\n");
  ParseResult r = parse({"--config", path_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("bogus"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(":2:"), std::string::npos) << r.output;
  write("threads 2\n");
  r = parse({"--config", path_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("key = value"), std::string::npos) << r.output;
  write("max-packet-size = lots\n");
  r = parse({"--config", path_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--max-packet-size"), std::string::npos) << r.output;
  r = parse({"--config", "/nonexistent/ringmq.conf"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("--config"), std::string::npos) << r.output;
}

TEST(ParseListen, Forms) {
  engine::ListenAddress a;
  std::string error;
  ASSERT_TRUE(parse_listen(":1884", &a, &error));
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 1884);
  ASSERT_TRUE(parse_listen("10.0.0.1", &a, &error));
  EXPECT_EQ(a.port, 1883);
  ASSERT_TRUE(parse_listen("[::]:0", &a, &error));
  EXPECT_EQ(a.host, "::");
  EXPECT_EQ(a.port, 0);
  ASSERT_TRUE(parse_listen("localhost:1885", &a, &error)) << error;
  EXPECT_TRUE(a.host == "127.0.0.1" || a.host == "::1") << "a host name is resolved: " << a.host;
  EXPECT_FALSE(parse_listen("no-such-host.invalid:1", &a, &error));
  EXPECT_NE(error.find("cannot resolve host"), std::string::npos) << error;
  EXPECT_FALSE(parse_listen("[::1", &a, &error));
  EXPECT_FALSE(parse_listen("1.2.3.4:x", &a, &error));
}

}  // namespace
}  // namespace rmq::app
