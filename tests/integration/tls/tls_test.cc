// TLS listeners driven by clients we did not write: mosquitto_pub/mosquitto_sub (libmosquitto's
// OpenSSL client) and openssl s_client. Server certificates, client certificates (required,
// missing, wrong CA, expired, revoked), TLS versions and ALPN, session resumption, pre-shared
// keys, bad peers (plaintext to the TLS port, TLS to the plain port, stalled handshakes), and
// certificate reload on SIGHUP. After every refusal the broker keeps serving other clients.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/common/loopback_client.h"
#include "tls_fixture.h"

namespace rmq::itest {
namespace {

std::vector<std::string> trust_ca() { return {"--cafile", pki("ca.pem")}; }

std::vector<std::string> with_client_cert(const std::string& name) {
  return {"--cafile", pki("ca.pem"), "--cert", pki(name + ".pem"), "--key", pki(name + ".key")};
}

// Publishes over TLS to a subscriber on the plain listener: the broker still serves.
void expect_still_serving(TlsBroker& broker, const std::vector<std::string>& tls) {
  auto sub = tls_subscribe(broker.process().port(), {}, "still/serving", 1);
  ASSERT_NE(sub, nullptr);
  std::string output;
  EXPECT_EQ(tls_publish(broker.tls_port(), tls, "still/serving", "yes", &output), 0) << output;
  EXPECT_EQ(sub->wait(20s), 0) << sub->output();
}

// True when the broker closes `fd` (EOF or reset) before `fd`'s receive timeout.
bool closed_by_broker(int fd) {
  char buffer[256];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) return true;
    if (n > 0) continue;  // an alert, perhaps
    if (errno == EINTR) continue;
    return errno == ECONNRESET;
  }
}

TEST(Tls, MosquittoClientsPublishAndSubscribeOverTls) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  for (const char* version : {"mqttv311", "mqttv5"}) {
    std::vector<std::string> tls = trust_ca();
    tls.insert(tls.end(), {"-V", version});
    auto sub = tls_subscribe(broker.tls_port(), tls, "tls/topic", 1);
    ASSERT_NE(sub, nullptr);
    std::string output;
    EXPECT_EQ(tls_publish(broker.tls_port(), tls, "tls/topic", version, &output), 0) << output;
    EXPECT_EQ(sub->wait(20s), 0) << sub->output();
    EXPECT_NE(sub->output().find(version), std::string::npos) << sub->output();
  }
}

TEST(Tls, PlainAndTlsListenersShareTopics) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  auto plain_sub = tls_subscribe(broker.process().port(), {}, "shared/topic", 1);
  auto tls_sub = tls_subscribe(broker.tls_port(), trust_ca(), "shared/topic", 1);
  ASSERT_NE(plain_sub, nullptr);
  ASSERT_NE(tls_sub, nullptr);
  std::string output;
  EXPECT_EQ(tls_publish(broker.tls_port(), trust_ca(), "shared/topic", "hi", &output), 0) << output;
  EXPECT_EQ(plain_sub->wait(20s), 0) << plain_sub->output();
  EXPECT_EQ(tls_sub->wait(20s), 0) << tls_sub->output();
}

TEST(Tls, ClientVerifyingAnotherCaIsRefused) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  std::string output;
  EXPECT_NE(tls_publish(broker.tls_port(), {"--cafile", pki("rogue-ca.pem")}, "t", "m", &output), 0)
      << output;
  expect_still_serving(broker, trust_ca());
}

TEST(Tls, SClientNegotiatesTls13AndAlpnMqtt) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  int code = 0;
  const std::string out =
      s_client(broker.tls_port(), {"-CAfile", pki("ca.pem"), "-alpn", "mqtt"}, &code);
  EXPECT_NE(out.find("New, TLSv1.3"), std::string::npos) << out;
  EXPECT_NE(out.find("ALPN protocol: mqtt"), std::string::npos) << out;
  EXPECT_NE(out.find("Verify return code: 0 (ok)"), std::string::npos) << out;
  const std::string v12 =
      s_client(broker.tls_port(), {"-CAfile", pki("ca.pem"), "-tls1_2", "-brief"}, &code);
  EXPECT_NE(v12.find("Protocol version: TLSv1.2"), std::string::npos) << v12;
}

TEST(Tls, MinimumVersion13RefusesTls12) {
  TlsBroker broker(server_cert_args(), {"--tls-min-version", "1.3"});
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  int code = 0;
  const std::string out =
      s_client(broker.tls_port(), {"-CAfile", pki("ca.pem"), "-tls1_2", "-brief"}, &code);
  EXPECT_EQ(out.find("CONNECTION ESTABLISHED"), std::string::npos) << out;
  EXPECT_NE(code, 0) << out;
  expect_still_serving(broker, trust_ca());
}

TEST(Tls, Tls12SessionIsResumed) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  const std::string session = pki("session-" + std::to_string(getpid()) + ".pem");
  int code = 0;
  const std::string first = s_client(
      broker.tls_port(), {"-CAfile", pki("ca.pem"), "-tls1_2", "-sess_out", session}, &code);
  EXPECT_NE(first.find("New, TLSv1.2"), std::string::npos) << first;
  const std::string second = s_client(
      broker.tls_port(), {"-CAfile", pki("ca.pem"), "-tls1_2", "-sess_in", session}, &code);
  EXPECT_NE(second.find("Reused, TLSv1.2"), std::string::npos) << second;
  std::filesystem::remove(session);
}

class RequiredClientCert : public ::testing::Test {
 protected:
  static std::vector<std::string> args() {
    std::vector<std::string> a = server_cert_args();
    a.insert(a.end(), {"--tls-ca", pki("ca.pem"), "--tls-crl", pki("crl.pem"), "--tls-require-cert",
                       "--allow-anonymous", "true"});
    return a;
  }
};

TEST_F(RequiredClientCert, SignedCertificateIsAccepted) {
  TlsBroker broker(args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  expect_still_serving(broker, with_client_cert("alice"));
}

TEST_F(RequiredClientCert, MissingWrongCaExpiredAndRevokedAreRefused) {
  TlsBroker broker(args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  std::string output;
  EXPECT_NE(tls_publish(broker.tls_port(), trust_ca(), "t", "m", &output), 0) << output;
  for (const char* name : {"rogue", "expired", "revoked"}) {
    EXPECT_NE(tls_publish(broker.tls_port(), with_client_cert(name), "t", "m", &output), 0)
        << name << ": " << output;
  }
  EXPECT_TRUE(broker.process().wait_for_log("TLS handshake from 127.0.0.1:"))
      << broker.process().log();
  expect_still_serving(broker, with_client_cert("alice"));
}

class Psk : public ::testing::Test {
 protected:
  void SetUp() override {
    psk_file_ = pki("psk-" + std::to_string(getpid()) + ".txt");
    std::FILE* f = std::fopen(psk_file_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("# device keys\ndevice-1:00112233445566778899aabbccddeeff\n\ndevice-2:0badc0de\n",
               f);
    std::fclose(f);
  }
  void TearDown() override { std::filesystem::remove(psk_file_); }
  std::string psk_file_;
};

TEST_F(Psk, RightKeyConnectsWrongKeyAndUnknownIdentityAreRefused) {
  TlsBroker broker({"--psk-file", psk_file_, "--psk-hint", "ringmq", "--allow-anonymous", "true"});
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  for (const char* version : {"tlsv1.2", "tlsv1.3"}) {
    const std::vector<std::string> good = {"--psk",          "00112233445566778899aabbccddeeff",
                                           "--psk-identity", "device-1",
                                           "--tls-version",  version};
    auto sub = tls_subscribe(broker.tls_port(), good, "psk/topic", 1);
    ASSERT_NE(sub, nullptr) << version;
    std::string output;
    EXPECT_EQ(tls_publish(broker.tls_port(), good, "psk/topic", "m", &output), 0) << output;
    EXPECT_EQ(sub->wait(20s), 0) << sub->output();
    const std::vector<std::string> wrong_key = {"--psk",    "0badc0df",      "--psk-identity",
                                                "device-2", "--tls-version", version};
    EXPECT_NE(tls_publish(broker.tls_port(), wrong_key, "t", "m", &output), 0) << output;
    const std::vector<std::string> unknown = {"--psk",  "0badc0de",      "--psk-identity",
                                              "nobody", "--tls-version", version};
    EXPECT_NE(tls_publish(broker.tls_port(), unknown, "t", "m", &output), 0) << output;
  }
}

TEST(TlsBadPeers, PlaintextMqttToTheTlsPortIsClosed) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  const int fd = test_support::connect_loopback(broker.tls_port(), 10);
  ASSERT_GE(fd, 0);
  // CONNECT, MQTT 3.1.1, client id "plain".
  const unsigned char connect[] = {0x10, 17, 0, 4, 'M', 'Q', 'T', 'T', 4,  2,
                                   0,    60, 0, 5, 'p', 'l', 'a', 'i', 'n'};
  ASSERT_EQ(::send(fd, connect, sizeof(connect), MSG_NOSIGNAL),
            static_cast<ssize_t>(sizeof(connect)));
  EXPECT_TRUE(closed_by_broker(fd));
  ::close(fd);
  expect_still_serving(broker, trust_ca());
}

TEST(TlsBadPeers, TlsToThePlainPortFails) {
  TlsBroker broker(server_cert_args());
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  int code = 0;
  const std::string out = s_client(broker.process().port(), {"-brief"}, &code);
  EXPECT_EQ(out.find("CONNECTION ESTABLISHED"), std::string::npos) << out;
  EXPECT_NE(code, 0) << out;
  expect_still_serving(broker, trust_ca());
}

TEST(TlsBadPeers, StalledHandshakeIsClosedAfterTheTimeout) {
  TlsBroker broker(server_cert_args(), {"--tls-handshake-timeout", "1"});
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  const int fd = test_support::connect_loopback(broker.tls_port(), 30);
  ASSERT_GE(fd, 0);
  // The first bytes of a ClientHello record, and nothing more.
  const unsigned char hello[] = {0x16, 0x03, 0x01, 0x00, 0xc8, 0x01, 0x00, 0x00, 0xc4, 0x03};
  ASSERT_EQ(::send(fd, hello, sizeof(hello), MSG_NOSIGNAL), static_cast<ssize_t>(sizeof(hello)));
  EXPECT_TRUE(closed_by_broker(fd)) << "not closed within 30 s";
  ::close(fd);
  expect_still_serving(broker, trust_ca());
}

TEST(TlsReload, SighupServesANewCertificateAndRefusesABrokenOne) {
  const std::string dir = pki("reload-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto copy = [&](const std::string& from, const std::string& to) {
    std::filesystem::copy_file(pki(from), dir + "/" + to,
                               std::filesystem::copy_options::overwrite_existing);
  };
  copy("server.pem", "cert.pem");
  copy("server.key", "key.pem");
  TlsBroker broker({"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem"});
  ASSERT_NE(broker.tls_port(), 0) << broker.process().log();
  auto sub = tls_subscribe(broker.tls_port(), trust_ca(), "reload/topic", 1);
  ASSERT_NE(sub, nullptr);
  const std::vector<std::string> show = {"-CAfile", pki("ca.pem"), "-brief"};
  int code = 0;
  EXPECT_NE(s_client(broker.tls_port(), show, &code).find("CN = localhost"), std::string::npos);

  copy("server2.pem", "cert.pem");
  copy("server2.key", "key.pem");
  kill(broker.process().pid(), SIGHUP);
  ASSERT_TRUE(broker.process().wait_for_log("reloaded")) << broker.process().log();
  std::string out = s_client(broker.tls_port(), show, &code);
  EXPECT_NE(out.find("CN = reloaded.localhost"), std::string::npos) << out;

  copy("broken.pem", "cert.pem");
  kill(broker.process().pid(), SIGHUP);
  ASSERT_TRUE(broker.process().wait_for_log("TLS reload refused")) << broker.process().log();
  out = s_client(broker.tls_port(), show, &code);
  EXPECT_NE(out.find("CN = reloaded.localhost"), std::string::npos) << out;

  // The subscriber connected before both reloads is still there.
  std::string output;
  EXPECT_EQ(tls_publish(broker.tls_port(), trust_ca(), "reload/topic", "after", &output), 0)
      << output;
  EXPECT_EQ(sub->wait(20s), 0) << sub->output();
  std::filesystem::remove_all(dir);
}

TEST(TlsFlags, BadCombinationsAndFilesAreOneLineErrors) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--tls-listen", "127.0.0.1:0"}, "--tls-listen: needs --tls-cert"},
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert", pki("server.pem")},
       "--tls-cert: needs --tls-key"},
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert", pki("server.pem"), "--tls-key",
        pki("server.key"), "--tls-require-cert"},
       "--tls-require-cert: needs --tls-ca"},
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert", pki("server.pem"), "--tls-key",
        pki("server.key"), "--tls-min-version", "1.1"},
       "--tls-min-version"},
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert", pki("broken.pem"), "--tls-key",
        pki("server.key")},
       "broken.pem"},
      {{"--tls-listen", "127.0.0.1:0", "--tls-cert", pki("server.pem"), "--tls-key",
        pki("alice.key")},
       "key"},
  };
  for (const auto& [args, expected] : cases) {
    std::vector<std::string> argv = {RINGMQ_BINARY_PATH, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), args.begin(), args.end());
    Command ringmq(argv);
    EXPECT_NE(ringmq.wait(10s), 0) << ringmq.output();
    EXPECT_NE(ringmq.output().find(expected), std::string::npos) << ringmq.output();
    EXPECT_NE(ringmq.output().find("ringmq: "), std::string::npos) << ringmq.output();
  }
}

}  // namespace
}  // namespace rmq::itest
