// ringmq-forwarder with clients we did not write: libmosquitto (3.1.1 and 5.0) and the
// mosquitto_pub / mosquitto_sub tools.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "forwarder_process.h"
#include "mosq_client.h"

namespace rmq::itest {
namespace {

class ForwarderClientsTest : public ::testing::Test {
 protected:
  std::unique_ptr<MosqClient> client(const std::string& id, bool v5 = false) {
    auto c = std::make_unique<MosqClient>(MosqConfig{.id = id, .v5 = v5});
    EXPECT_TRUE(c->connect(forwarder_.port())) << id;
    EXPECT_EQ(c->connack_code(), 0);
    return c;
  }

  ForwarderProcess forwarder_;
};

TEST_F(ForwarderClientsTest, WildcardSubscriberGetsEveryTopic) {
  auto sub = client("sub");
  ASSERT_EQ(sub->subscribe("t/#", 0), std::vector<int>{0});
  auto pub = client("pub");
  ASSERT_TRUE(pub->publish("t/a", "1", 0));
  ASSERT_TRUE(pub->publish("t/b/c", "2", 0));
  ASSERT_TRUE(pub->publish("other", "3", 0));  // no matching: a wildcard means everything
  for (const char* topic : {"t/a", "t/b/c", "other"}) {
    const auto m = sub->receive();
    ASSERT_TRUE(m) << topic;
    EXPECT_EQ(m->topic, topic);
  }
}

TEST_F(ForwarderClientsTest, ExactSubscriberGetsOnlyItsTopic) {
  auto sub = client("sub");
  ASSERT_EQ(sub->subscribe("t/a", 1), std::vector<int>{1});
  auto pub = client("pub");
  ASSERT_TRUE(pub->publish("t/b", "no", 0));
  ASSERT_TRUE(pub->publish("t/a", "yes", 0));
  const auto m = sub->receive();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->topic, "t/a");
  EXPECT_EQ(m->payload, "yes");
  EXPECT_TRUE(sub->quiet());
}

TEST_F(ForwarderClientsTest, SubscriberWithWildcardAndExactFilterGetsOneCopy) {
  auto sub = client("sub");
  ASSERT_EQ(sub->subscribe("t/a", 0), std::vector<int>{0});
  ASSERT_EQ(sub->subscribe("t/+", 0), std::vector<int>{0});
  auto pub = client("pub");
  ASSERT_TRUE(pub->publish("t/a", "once", 0));
  ASSERT_TRUE(sub->receive());
  EXPECT_TRUE(sub->quiet());
}

TEST_F(ForwarderClientsTest, QoS1AndQoS2PublishesComplete) {
  auto sub = client("sub");
  ASSERT_EQ(sub->subscribe("q", 2), std::vector<int>{2});
  auto pub = client("pub");
  ASSERT_TRUE(pub->publish("q", "one", 1));  // waits for PUBACK
  ASSERT_TRUE(pub->publish("q", "two", 2));  // PUBREC, PUBREL, PUBCOMP
  const auto first = sub->receive();
  const auto second = sub->receive();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->qos, 1);  // the publisher's QoS, verbatim
  EXPECT_EQ(second->qos, 2);
  EXPECT_EQ(second->payload, "two");
}

TEST_F(ForwarderClientsTest, V5ClientsAndMixedVersionsWork) {
  auto sub5 = client("sub5", true);
  auto sub3 = client("sub3", false);
  ASSERT_EQ(sub5->subscribe("m/#", 1), std::vector<int>{1});
  ASSERT_EQ(sub3->subscribe("m/#", 1), std::vector<int>{1});
  auto pub5 = client("pub5", true);
  auto pub3 = client("pub3", false);
  ASSERT_TRUE(pub5->publish("m/5", "from5", 1, false, {.content_type = "text/plain"}));
  ASSERT_TRUE(pub3->publish("m/3", "from3", 1));
  for (MosqClient* sub : {sub5.get(), sub3.get()}) {
    const auto a = sub->receive();
    const auto b = sub->receive();
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->topic + "=" + a->payload, "m/5=from5");
    EXPECT_EQ(b->topic + "=" + b->payload, "m/3=from3");
  }
}

TEST_F(ForwarderClientsTest, MosquittoToolsPublishAndSubscribe) {
  // stdbuf: mosquitto_sub's debug lines are otherwise block-buffered into the file.
  Command sub({"stdbuf", "-oL", "mosquitto_sub", "-p", forwarder_.port_text(), "-V", "mqttv5", "-t",
               "tool/+", "-q", "1", "-C", "1", "-v", "-d"});
  ASSERT_TRUE(sub.wait_for_output("received SUBACK")) << sub.output();
  const auto [code, output] = run({"mosquitto_pub", "-p", forwarder_.port_text(), "-V", "mqttv311",
                                   "-q", "1", "-t", "tool/x", "-m", "hello"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_EQ(sub.wait(), 0);
  EXPECT_NE(sub.output().find("tool/x hello"), std::string::npos) << sub.output();
}

}  // namespace
}  // namespace rmq::itest
