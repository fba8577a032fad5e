// The broker driven by mosquitto_pub and mosquitto_sub: connect and disconnect, publish and
// subscribe at QoS 0/1/2 with every mix of MQTT 3.1.1 and 5.0 on the two ends, retained
// messages, $SYS, signals, and the binary's command line.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <tuple>

#include "broker_process.h"

namespace rmq::itest {
namespace {

std::string proto(bool v5) { return v5 ? "mqttv5" : "mqttv311"; }

// mosquitto_sub in the background, printing "retain qos topic payload" per message; returns once
// its SUBACK arrived.
std::unique_ptr<Command> subscribe(const BrokerProcess& broker, const std::string& topic, int qos,
                                   bool v5, int count, std::vector<std::string> extra = {}) {
  // stdbuf: mosquitto_sub's debug lines are otherwise block-buffered into the file.
  std::vector<std::string> argv = {"stdbuf",
                                   "-oL",
                                   "mosquitto_sub",
                                   "-p",
                                   broker.port_text(),
                                   "-t",
                                   topic,
                                   "-q",
                                   std::to_string(qos),
                                   "-V",
                                   proto(v5),
                                   "-C",
                                   std::to_string(count),
                                   "-W",
                                   "10",
                                   "-d",
                                   "-F",
                                   "%r %q %t %p"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  auto command = std::make_unique<Command>(argv);
  EXPECT_TRUE(command->wait_for_output("received SUBACK")) << command->output();
  return command;
}

std::pair<int, std::string> publish(const BrokerProcess& broker, const std::string& topic,
                                    const std::string& payload, int qos, bool v5,
                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {"mosquitto_pub", "-p", broker.port_text(),  "-t", topic,    "-m",
                                   payload,         "-q", std::to_string(qos), "-V", proto(v5)};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv);
}

TEST(MosquittoTools, ConnectPublishDisconnectAndStopOnSigterm) {
  BrokerProcess broker;
  ASSERT_TRUE(broker.running());
  const auto [code, output] = publish(broker, "hello", "world", 0, false, {"-i", "pub-1"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_TRUE(broker.wait_for_log("connect client=pub-1 addr=127.0.0.1:"));
  EXPECT_TRUE(broker.wait_for_log("proto=3.1.1 shard=0"));
  EXPECT_TRUE(broker.wait_for_log("disconnect client=pub-1 addr=127.0.0.1:"));
  EXPECT_TRUE(broker.wait_for_log("reason=client DISCONNECT"));
  EXPECT_EQ(broker.stop(SIGTERM), 0);
}

// (QoS, subscriber speaks 5.0, publisher speaks 5.0)
class MosquittoPubSub : public ::testing::TestWithParam<std::tuple<int, bool, bool>> {};

TEST_P(MosquittoPubSub, DeliversAtTheGrantedQos) {
  const auto [qos, sub_v5, pub_v5] = GetParam();
  BrokerProcess broker({}, 2);
  ASSERT_TRUE(broker.running());
  auto sub = subscribe(broker, "a/+/c", qos, sub_v5, 2);
  EXPECT_EQ(publish(broker, "a/b/c", "first", qos, pub_v5).first, 0);
  EXPECT_EQ(publish(broker, "a/x/c", "second", qos, pub_v5).first, 0);
  EXPECT_EQ(sub->wait(), 0);
  const std::string out = sub->output();
  const std::string q = std::to_string(qos);
  EXPECT_NE(out.find("0 " + q + " a/b/c first"), std::string::npos) << out;
  EXPECT_NE(out.find("0 " + q + " a/x/c second"), std::string::npos) << out;
  EXPECT_EQ(broker.stop(SIGINT), 0);
}

INSTANTIATE_TEST_SUITE_P(QosAndVersions, MosquittoPubSub,
                         ::testing::Combine(::testing::Values(0, 1, 2), ::testing::Bool(),
                                            ::testing::Bool()));

TEST(MosquittoTools, SubscriberGetsTheMinimumOfPublishAndSubscribeQos) {
  BrokerProcess broker;
  auto sub = subscribe(broker, "t", 1, true, 1);
  EXPECT_EQ(publish(broker, "t", "m", 2, true).first, 0);
  EXPECT_EQ(sub->wait(), 0);
  EXPECT_NE(sub->output().find("0 1 t m"), std::string::npos) << sub->output();
}

TEST(MosquittoTools, RetainedMessageReachesLaterSubscribersWithRetainSet) {
  BrokerProcess broker;
  EXPECT_EQ(publish(broker, "r/1", "kept", 1, false, {"-r"}).first, 0);
  auto sub = subscribe(broker, "r/#", 1, true, 1);
  EXPECT_EQ(sub->wait(), 0);
  EXPECT_NE(sub->output().find("1 1 r/1 kept"), std::string::npos) << sub->output();
  // An empty retained payload deletes it.
  EXPECT_EQ(publish(broker, "r/1", "", 1, false, {"-r"}).first, 0);
  auto none = subscribe(broker, "r/#", 1, true, 1, {"-W", "1"});
  none->wait();
  EXPECT_EQ(none->output().find("r/1 kept"), std::string::npos) << none->output();
}

TEST(MosquittoTools, SysTopics) {
  BrokerProcess broker({"--sys-interval", "1"});
  // Every retained $SYS message, then exit at the first live update.
  auto sub = subscribe(broker, "$SYS/broker/#", 0, false, 1000, {"--retained-only"});
  EXPECT_EQ(sub->wait(), 0);
  const std::string out = sub->output();
  for (const char* topic :
       {"$SYS/broker/uptime", "$SYS/broker/version ringmq", "$SYS/broker/clients/connected",
        "$SYS/broker/messages/received", "$SYS/broker/bytes/sent",
        "$SYS/broker/subscriptions/count", "$SYS/broker/retained messages/count",
        "$SYS/broker/publish/messages/dropped"}) {
    EXPECT_NE(out.find(topic), std::string::npos) << topic << "\n" << out;
  }
  // '#' does not match $SYS topics [MQTT-4.7.2-1].
  auto all = subscribe(broker, "#", 0, false, 1, {"-W", "2"});
  all->wait();
  EXPECT_EQ(all->output().find("$SYS"), std::string::npos) << all->output();
}

TEST(MosquittoTools, SysClientsConnectedCountsClients) {
  BrokerProcess broker({"--sys-interval", "1"});
  auto idle = subscribe(broker, "idle", 0, false, 1, {"-W", "20"});
  auto sub = subscribe(broker, "$SYS/broker/clients/connected", 0, false, 1, {"-R"});
  EXPECT_EQ(sub->wait(), 0);
  EXPECT_NE(sub->output().find("$SYS/broker/clients/connected 2"), std::string::npos)
      << sub->output();
}

TEST(MosquittoTools, ShutdownSendsServerShuttingDownToV5Clients) {
  BrokerProcess broker;
  auto sub = subscribe(broker, "t", 0, true, 1);
  EXPECT_EQ(broker.stop(SIGINT), 0);
  sub->wait();
  EXPECT_NE(sub->output().find("DISCONNECT (139)"), std::string::npos) << sub->output();
}

TEST(MosquittoTools, DenySubscribe) {
  BrokerProcess broker({"--deny-subscribe", "test/nosubscribe"});
  Command sub({"stdbuf", "-oL", "mosquitto_sub", "-p", broker.port_text(), "-t", "test/nosubscribe",
               "-q", "1", "-d", "-W", "2", "-V", "mqttv5"});
  EXPECT_TRUE(sub.wait_for_output("received SUBACK")) << sub.output();
  sub.wait();
  EXPECT_NE(sub.output().find("Subscribed (mid: 1): 128"), std::string::npos) << sub.output();
}

TEST(MosquittoTools, Mqtt31Client) {
  BrokerProcess broker;
  auto sub = subscribe(broker, "v31", 1, false, 1, {"-V", "mqttv31", "-i", "old-sub"});
  const auto [code, out] = run({"mosquitto_pub", "-p", broker.port_text(), "-V", "mqttv31", "-i",
                                "old-pub", "-t", "v31", "-m", "hi", "-q", "1"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(sub->wait(), 0);
  EXPECT_NE(sub->output().find("0 1 v31 hi"), std::string::npos) << sub->output();
  EXPECT_TRUE(broker.wait_for_log("client=old-pub addr=127.0.0.1"));
  EXPECT_TRUE(broker.wait_for_log("proto=3.1 shard"));
}

TEST(MosquittoTools, RetainedMaxCountRefusesNewTopics) {
  // $SYS topics are retained too, in a store of their own: they do not use up the limit.
  BrokerProcess broker({"--retained-max-count", "2", "--sys-interval", "1"});
  auto sys = subscribe(broker, "$SYS/broker/uptime", 0, false, 1);
  ASSERT_EQ(sys->wait(), 0) << "$SYS retained messages exist before the client's";
  for (const char* topic : {"keep/1", "keep/2", "keep/3"}) {
    EXPECT_EQ(publish(broker, topic, "r", 0, false, {"-r"}).first, 0);
  }
  auto sub = subscribe(broker, "keep/#", 0, false, 3, {"-W", "1"});
  sub->wait();
  const std::string out = sub->output();
  EXPECT_NE(out.find("keep/1 r"), std::string::npos) << out;
  EXPECT_NE(out.find("keep/2 r"), std::string::npos) << out;
  EXPECT_EQ(out.find("keep/3 r"), std::string::npos) << out;
  auto refused = subscribe(broker, "$SYS/broker/retained messages/#", 0, false, 2);
  refused->wait();
  EXPECT_NE(refused->output().find("retained messages/refused 1"), std::string::npos)
      << refused->output();
  EXPECT_NE(refused->output().find("retained messages/count 2"), std::string::npos)
      << refused->output();
}

TEST(MosquittoTools, SysLoadAndPerShardTopics) {
  BrokerProcess broker({"--sys-interval", "1"}, 2);
  // The second update carries rates: wait for two rounds of the 1 min message load.
  auto load = subscribe(broker, "$SYS/broker/load/messages/received/1min", 0, false, 2);
  EXPECT_EQ(load->wait(), 0);
  auto sub = subscribe(broker, "$SYS/broker/shards/#", 0, false, 16);
  EXPECT_EQ(sub->wait(), 0);
  const std::string out = sub->output();
  for (const char* topic :
       {"$SYS/broker/shards/0/clients/connected", "$SYS/broker/shards/1/clients/connected",
        "$SYS/broker/shards/0/sessions", "$SYS/broker/shards/1/load/messages/received/1min",
        "$SYS/broker/shards/0/load/messages/sent/15min"}) {
    EXPECT_NE(out.find(topic), std::string::npos) << topic << "\n" << out;
  }
}

TEST(MosquittoTools, ClientsCannotPublishToSys) {
  BrokerProcess broker({"--sys-interval", "0"});
  auto sub = subscribe(broker, "$SYS/#", 0, false, 1, {"-W", "2"});
  const auto [code, out] = publish(broker, "$SYS/broker/fake", "x", 1, true, {"-d"});
  EXPECT_NE(out.find("PUBACK"), std::string::npos) << out;
  EXPECT_NE(out.find("RC:135"), std::string::npos) << "0x87 Not authorized\n" << out;
  sub->wait();
  EXPECT_EQ(sub->output().find("fake"), std::string::npos) << sub->output();
}

TEST(MosquittoTools, MaxConnections) {
  BrokerProcess broker({"--max-connections", "1"});
  auto holder = subscribe(broker, "hold", 0, false, 1, {"-W", "10"});
  const auto [code, out] = publish(broker, "t", "x", 0, false);
  EXPECT_NE(code, 0) << out;
}

TEST(RingmqBinary, HelpAndBadFlags) {
  auto [code, out] = run({broker_binary(), "--help"});
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("--max-keepalive"), std::string::npos);
  std::tie(code, out) = run({broker_binary(), "--threads", "many"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--threads"), std::string::npos) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;  // one line
  std::tie(code, out) = run({broker_binary(), "--listen", "example.com:1883"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("--listen"), std::string::npos) << out;
}

TEST(RingmqBinary, ConfigFile) {
  const std::string path = "/tmp/ringmq-itest-" + std::to_string(pick_free_port()) + ".conf";
  {
    std::ofstream conf(path);
    conf << "# test configuration\nthreads = 2\ndeny-subscribe = secret/#\nsys-interval = 0\n";
  }
  BrokerProcess broker({"--config", path});  // also passes --threads 1, which wins
  ASSERT_TRUE(broker.running());
  EXPECT_TRUE(broker.wait_for_log("with 1 threads"));
  Command sub({"stdbuf", "-oL", "mosquitto_sub", "-p", broker.port_text(), "-t", "secret/x", "-d",
               "-W", "1", "-V", "mqttv5"});
  EXPECT_TRUE(sub.wait_for_output("Subscribed (mid: 1): 128")) << sub.output();
  std::remove(path.c_str());
}

TEST(RingmqBinary, ListensOnIpv6AndSeveralAddresses) {
  const std::uint16_t second = pick_free_port();
  BrokerProcess broker({"--listen", "[::1]:" + std::to_string(second)});
  ASSERT_TRUE(broker.running());
  if (broker.log().find("cannot start") != std::string::npos) GTEST_SKIP() << "no IPv6 loopback";
  const auto [code, out] =
      run({"mosquitto_pub", "-h", "::1", "-p", std::to_string(second), "-t", "t", "-m", "x"});
  EXPECT_EQ(code, 0) << out;
}

}  // namespace
}  // namespace rmq::itest
