// TLS with the Eclipse Paho C synchronous client (paho-mqtt3cs, OpenSSL) and python3-paho-mqtt:
// server verification, client certificates, and refusals.
#include <MQTTClient.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tls_fixture.h"

namespace rmq::itest {
namespace {

struct PahoTlsOptions {
  std::string trust_store;  // CA file
  std::string key_store;    // client certificate (PEM)
  std::string private_key;  // its key
};

// Connects with MQTT 3.1.1 over TLS, subscribes to `topic`, publishes one QoS 1 message to it and
// receives it back. Returns the first failing Paho return code, or 0.
int round_trip(std::uint16_t port, const std::string& id, const PahoTlsOptions& tls,
               const std::string& topic) {
  MQTTClient client;
  const std::string uri = "ssl://127.0.0.1:" + std::to_string(port);
  int rc =
      MQTTClient_create(&client, uri.c_str(), id.c_str(), MQTTCLIENT_PERSISTENCE_NONE, nullptr);
  if (rc != MQTTCLIENT_SUCCESS) return rc;
  MQTTClient_SSLOptions ssl = MQTTClient_SSLOptions_initializer;
  ssl.trustStore = tls.trust_store.c_str();
  if (!tls.key_store.empty()) {
    ssl.keyStore = tls.key_store.c_str();
    ssl.privateKey = tls.private_key.c_str();
  }
  ssl.enableServerCertAuth = 1;
  ssl.verify = 1;  // the host name too (the server certificate names 127.0.0.1)
  MQTTClient_connectOptions options = MQTTClient_connectOptions_initializer;
  options.ssl = &ssl;
  options.cleansession = 1;
  rc = MQTTClient_connect(client, &options);
  if (rc == MQTTCLIENT_SUCCESS) {
    rc = MQTTClient_subscribe(client, topic.c_str(), 1);
    if (rc == MQTTCLIENT_SUCCESS) {
      MQTTClient_deliveryToken token = 0;
      const std::string payload = "over tls";
      rc = MQTTClient_publish(client, topic.c_str(), static_cast<int>(payload.size()),
                              payload.data(), 1, 0, &token);
      if (rc == MQTTCLIENT_SUCCESS) rc = MQTTClient_waitForCompletion(client, token, 10000);
    }
    char* received_topic = nullptr;
    int topic_length = 0;
    MQTTClient_message* message = nullptr;
    if (rc == MQTTCLIENT_SUCCESS) {
      rc = MQTTClient_receive(client, &received_topic, &topic_length, &message, 10000);
      if (rc == MQTTCLIENT_SUCCESS && message == nullptr) rc = -100;  // timed out
    }
    if (message != nullptr) MQTTClient_freeMessage(&message);
    if (received_topic != nullptr) MQTTClient_free(received_topic);
    MQTTClient_disconnect(client, 1000);
  }
  MQTTClient_destroy(&client);
  return rc;
}

TEST(PahoTls, VerifiesTheServerAndRoundTripsAMessage) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  EXPECT_EQ(round_trip(broker.tls_port(), "paho-tls", {pki("ca.pem"), "", ""}, "paho/tls"), 0);
  EXPECT_NE(round_trip(broker.tls_port(), "paho-rogue", {pki("rogue-ca.pem"), "", ""}, "paho/x"),
            0);
}

TEST(PahoTls, ClientCertificateWhenRequired) {
  std::vector<std::string> args = server_cert_args();
  args.insert(args.end(),
              {"--tls-ca", pki("ca.pem"), "--tls-require-cert", "--allow-anonymous", "true"});
  TlsBroker broker(args);
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  EXPECT_EQ(round_trip(broker.tls_port(), "paho-alice",
                       {pki("ca.pem"), pki("alice.pem"), pki("alice.key")}, "paho/cert"),
            0);
  EXPECT_NE(round_trip(broker.tls_port(), "paho-none", {pki("ca.pem"), "", ""}, "paho/cert"), 0);
}

TEST(PythonPahoTls, TlsSetWithTheTestCa) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  const std::string script = R"(
import sys, ssl, threading
import paho.mqtt.client as mqtt
port, ca = int(sys.argv[1]), sys.argv[2]
got = threading.Event()
c = mqtt.Client(client_id="py-tls", protocol=mqtt.MQTTv311)
c.tls_set(ca_certs=ca, cert_reqs=ssl.CERT_REQUIRED)
c.on_message = lambda client, userdata, msg: got.set()
c.connect("127.0.0.1", port)
c.loop_start()
c.subscribe("py/tls", qos=1)[1]
import time; time.sleep(0.2)
c.publish("py/tls", b"hello", qos=1).wait_for_publish(5)
ok = got.wait(10)
c.loop_stop()
print("received" if ok else "nothing")
sys.exit(0 if ok else 1)
)";
  Command python({"/usr/bin/python3", "-c", script, broker.tls_port_text(), pki("ca.pem")});
  EXPECT_EQ(python.wait(30s), 0) << python.output();
  EXPECT_NE(python.output().find("received"), std::string::npos) << python.output();
}

}  // namespace
}  // namespace rmq::itest
