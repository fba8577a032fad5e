// The broker driven by the Eclipse Paho C synchronous client (MQTTClient): QoS 0/1/2 both ways
// for 3.1.1 and 5.0, on one shard and across shards, retained messages, wills and takeover.
#include <MQTTClient.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>

#include "broker_process.h"

namespace rmq::itest {
namespace {

struct PahoMessage {
  std::string topic;
  std::string payload;
  int qos = 0;
  bool retained = false;
};

class PahoClient {
 public:
  PahoClient(const BrokerProcess& broker, const std::string& id, bool v5) : v5_(v5) {
    MQTTClient_createOptions create = MQTTClient_createOptions_initializer;
    create.MQTTVersion = v5 ? MQTTVERSION_5 : MQTTVERSION_3_1_1;
    const std::string uri = "tcp://127.0.0.1:" + broker.port_text();
    created_ =
        MQTTClient_createWithOptions(&client_, uri.c_str(), id.c_str(), MQTTCLIENT_PERSISTENCE_NONE,
                                     nullptr, &create) == MQTTCLIENT_SUCCESS;
  }
  ~PahoClient() {
    if (connected_) disconnect();
    if (created_) MQTTClient_destroy(&client_);
  }
  PahoClient(const PahoClient&) = delete;
  PahoClient& operator=(const PahoClient&) = delete;

  // Connects; returns the CONNACK code (0 = accepted).
  int connect(bool clean = true, const std::optional<PahoMessage>& will = std::nullopt) {
    MQTTClient_willOptions will_options = MQTTClient_willOptions_initializer;
    if (!v5_) {
      MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
      options.cleansession = clean;
      options.MQTTVersion = MQTTVERSION_3_1_1;
      if (will) {
        will_options.topicName = will->topic.c_str();
        will_options.message = will->payload.c_str();
        will_options.qos = will->qos;
        options.will = &will_options;
      }
      const int rc = MQTTClient_connect(client_, &options);
      connected_ = rc == MQTTCLIENT_SUCCESS;
      return rc;
    }
    MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer5;
    options.cleanstart = clean;
    if (will) {
      will_options.topicName = will->topic.c_str();
      will_options.message = will->payload.c_str();
      will_options.qos = will->qos;
      options.will = &will_options;
    }
    // A session that outlives the connection needs a Session Expiry Interval in 5.0.
    MQTTProperties props = MQTTProperties_initializer;
    if (!clean) {
      MQTTProperty expiry;
      expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
      expiry.value.integer4 = 300;
      MQTTProperties_add(&props, &expiry);
    }
    MQTTResponse response = MQTTClient_connect5(client_, &options, &props, nullptr);
    MQTTProperties_free(&props);
    const int rc = response.reasonCode;
    MQTTResponse_free(response);
    connected_ = rc == MQTTCLIENT_SUCCESS;
    return rc;
  }

  int subscribe(const std::string& filter, int qos) {
    // 3.1.1: MQTTClient_subscribe returns success, or failure when the server refused.
    if (!v5_)
      return MQTTClient_subscribe(client_, filter.c_str(), qos) == MQTTCLIENT_SUCCESS ? qos : -1;
    MQTTResponse response = MQTTClient_subscribe5(client_, filter.c_str(), qos, nullptr, nullptr);
    const int rc = response.reasonCode;
    MQTTResponse_free(response);
    return rc;
  }

  bool publish(const std::string& topic, const std::string& payload, int qos, bool retain = false) {
    MQTTClient_message message = MQTTClient_message_initializer;
    message.payload = const_cast<char*>(payload.data());
    message.payloadlen = static_cast<int>(payload.size());
    message.qos = qos;
    message.retained = retain;
    MQTTClient_deliveryToken token = 0;
    int rc = 0;
    if (v5_) {
      MQTTResponse response = MQTTClient_publishMessage5(client_, topic.c_str(), &message, &token);
      rc = response.reasonCode >= 0x80 ? -1 : 0;
      MQTTResponse_free(response);
    } else {
      rc = MQTTClient_publishMessage(client_, topic.c_str(), &message, &token);
    }
    if (rc != MQTTCLIENT_SUCCESS) return false;
    return MQTTClient_waitForCompletion(client_, token, 5000) == MQTTCLIENT_SUCCESS;
  }

  // MQTTClient_receive may return early without a message when another client of the process
  // has an event, so it is called until the deadline.
  std::optional<PahoMessage> receive(int timeout_ms = 5000) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      char* topic = nullptr;
      int topic_length = 0;
      MQTTClient_message* message = nullptr;
      const int rc =
          MQTTClient_receive(client_, &topic, &topic_length, &message,
                             static_cast<unsigned long>(std::max<long>(left.count(), 1)));
      if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (message == nullptr) continue;
      PahoMessage m;
      m.topic = topic_length > 0 ? std::string(topic, static_cast<std::size_t>(topic_length))
                                 : std::string(topic);
      m.payload.assign(static_cast<const char*>(message->payload),
                       static_cast<std::size_t>(message->payloadlen));
      m.qos = message->qos;
      m.retained = message->retained != 0;
      MQTTClient_freeMessage(&message);
      MQTTClient_free(topic);
      return m;
    }
    return std::nullopt;
  }

  void disconnect() {
    if (v5_) {
      MQTTClient_disconnect5(client_, 0, MQTTREASONCODE_SUCCESS, nullptr);
    } else {
      MQTTClient_disconnect(client_, 0);
    }
    connected_ = false;
  }
  bool is_connected() { return MQTTClient_isConnected(client_) != 0; }

 private:
  MQTTClient client_ = nullptr;
  bool created_ = false;
  bool connected_ = false;
  bool v5_;
};

// (QoS, publisher 5.0, subscriber 5.0, threads)
class PahoQos : public ::testing::TestWithParam<std::tuple<int, bool, bool, int>> {};

TEST_P(PahoQos, PublishAndReceive) {
  const auto [qos, pub_v5, sub_v5, threads] = GetParam();
  BrokerProcess broker({}, threads);
  PahoClient sub(broker, "paho-sub", sub_v5);
  ASSERT_EQ(sub.connect(), 0);
  ASSERT_EQ(sub.subscribe("paho/#", qos), qos);
  const int sub_shard = *broker.shard_of("paho-sub");
  std::unique_ptr<PahoClient> pub;
  for (int attempt = 0; attempt < 40; ++attempt) {
    const std::string id = "paho-pub-" + std::to_string(attempt);
    pub = std::make_unique<PahoClient>(broker, id, pub_v5);
    ASSERT_EQ(pub->connect(), 0);
    if (threads == 1 || *broker.shard_of(id) != sub_shard) break;
    pub->disconnect();
    pub.reset();
  }
  ASSERT_TRUE(pub) << "no publisher on another shard";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pub->publish("paho/" + std::to_string(i), "p" + std::to_string(i), qos));
  }
  for (int i = 0; i < 3; ++i) {
    const auto m = sub.receive();
    ASSERT_TRUE(m) << i;
    EXPECT_EQ(m->topic, "paho/" + std::to_string(i));
    EXPECT_EQ(m->payload, "p" + std::to_string(i));
    EXPECT_EQ(m->qos, qos);
  }
  EXPECT_FALSE(sub.receive(100));
}

// Two threads, publisher and subscriber on different shards (one shard is covered by the
// libmosquitto matrix; the Paho sync client is slow enough to keep this one small).
INSTANTIATE_TEST_SUITE_P(Matrix, PahoQos,
                         ::testing::Combine(::testing::Values(0, 1, 2), ::testing::Bool(),
                                            ::testing::Bool(), ::testing::Values(2)));

class Paho : public ::testing::TestWithParam<bool> {};

TEST_P(Paho, RetainedMessage) {
  BrokerProcess broker;
  PahoClient pub(broker, "pub", GetParam());
  ASSERT_EQ(pub.connect(), 0);
  ASSERT_TRUE(pub.publish("paho/retained", "kept", 1, true));
  PahoClient sub(broker, "sub", GetParam());
  ASSERT_EQ(sub.connect(), 0);
  sub.subscribe("paho/+", 1);
  const auto m = sub.receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "kept");
  EXPECT_TRUE(m->retained);
}

TEST_P(Paho, WillOnTakeover) {
  BrokerProcess broker({}, 2);
  PahoClient watcher(broker, "watcher", GetParam());
  ASSERT_EQ(watcher.connect(), 0);
  watcher.subscribe("paho/will", 1);
  PahoClient first(broker, "twin", GetParam());
  ASSERT_EQ(first.connect(true, PahoMessage{"paho/will", "first gone", 1}), 0);
  // The second connection comes from another process: the Paho sync library confuses two
  // clients of one process that share a client identifier.
  const auto [code, out] = run({"mosquitto_pub", "-p", broker.port_text(), "-i", "twin", "-t",
                                "paho/other", "-m", "x", "-V", GetParam() ? "mqttv5" : "mqttv311"});
  ASSERT_EQ(code, 0) << out;
  const auto m = watcher.receive();
  ASSERT_TRUE(m) << broker.log();
  EXPECT_EQ(m->payload, "first gone");
  EXPECT_TRUE(broker.wait_for_log("reason=session taken over"));
}

TEST_P(Paho, PersistentSessionQueuesWhileOffline) {
  BrokerProcess broker({}, 2);
  {
    PahoClient sub(broker, "durable", GetParam());
    ASSERT_EQ(sub.connect(false), 0);
    ASSERT_EQ(sub.subscribe("paho/q", 1), 1);
    sub.disconnect();
  }
  PahoClient pub(broker, "pub", GetParam());
  ASSERT_EQ(pub.connect(), 0);
  ASSERT_TRUE(pub.publish("paho/q", "while away", 1));
  PahoClient back(broker, "durable", GetParam());
  ASSERT_EQ(back.connect(false), 0);
  const auto m = back.receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->payload, "while away");
}

INSTANTIATE_TEST_SUITE_P(Versions, Paho, ::testing::Bool());

}  // namespace
}  // namespace rmq::itest
