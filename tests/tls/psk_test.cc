// Pre-shared keys over TLS 1.2 and TLS 1.3: right key, wrong key, unknown identity, PSK-only
// listeners and listeners with both a certificate and PSKs.
#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {
namespace {

constexpr char kKeyHex[] = "00112233445566778899aabbccddeeff";

std::string key_bytes(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

class PskTest : public TlsTest, public ::testing::WithParamInterface<int> {
 protected:
  TlsConfig psk_config(bool with_cert) {
    TlsConfig config = with_cert ? server_config() : TlsConfig{};
    config.psk_file =
        pki().write_text("# devices\n\n  device-a:" + std::string(kKeyHex) +
                             "\ndevice-b:0102030405060708090a0b0c0d0e0f10\r\nid:with:colon:abcd\n",
                         "psk.txt");
    config.psk_hint = "ringmq";
    return config;
  }

  ClientOptions psk_client(const std::string& identity, const std::string& key_hex) {
    ClientOptions options;
    options.min_version = options.max_version = GetParam();
    options.psk_identity = identity;
    options.psk_key = key_bytes(key_hex);
    return options;
  }

  std::unique_ptr<TlsSession> connect(const TlsConfig& config, const ClientOptions& options) {
    context_ = make_context(config);
    TestClient client(options);
    auto server = context_->new_session();
    outcome_ = pump_handshake(client, *server);
    if (outcome_.ok()) {
      client.write("over psk");
      client_to_server(client, *server);
      EXPECT_EQ(server_read_all(*server), "over psk");
    }
    return server;
  }

  std::shared_ptr<TlsContext> context_;
  HandshakeOutcome outcome_;
};

TEST_P(PskTest, RightKeyPskOnly) {
  auto server = connect(psk_config(false), psk_client("device-a", kKeyHex));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "device-a");
  EXPECT_EQ(server->peer().cert_identity, "");
  EXPECT_FALSE(server->peer().resumed);
  if (GetParam() == TLS1_2_VERSION) {
    EXPECT_NE(server->peer().cipher.find("PSK"), std::string::npos) << server->peer().cipher;
  } else {
    // bound to TLS_AES_128_GCM_SHA256's hash; any SHA-256 suite may be chosen
    EXPECT_NE(server->peer().cipher.find("SHA256"), std::string::npos) << server->peer().cipher;
  }
}

TEST_P(PskTest, RightKeyWithCertificateListener) {
  auto server =
      connect(psk_config(true), psk_client("device-b", "0102030405060708090a0b0c0d0e0f10"));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "device-b");
}

TEST_P(PskTest, IdentityWithColon) {
  auto server = connect(psk_config(false), psk_client("id:with:colon", "abcd"));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "id:with:colon");
}

TEST_P(PskTest, WrongKeyRefused) {
  auto server =
      connect(psk_config(false), psk_client("device-a", "ffeeddccbbaa99887766554433221100"));
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kPsk) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "");
}

TEST_P(PskTest, UnknownIdentityRefused) {
  auto server = connect(psk_config(false), psk_client("stranger", kKeyHex));
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kPsk) << server->error();
  EXPECT_NE(server->error().find("psk identity not found"), std::string::npos) << server->error();
}

TEST_P(PskTest, CertificateClientOnPskAndCertificateListener) {
  context_ = make_context(psk_config(true));
  ClientOptions options = client_options();
  options.min_version = options.max_version = GetParam();
  TestClient client(options);
  auto server = context_->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "");
  EXPECT_EQ(client.server_cn(), "server-1");
}

TEST_P(PskTest, ReloadReadsPskFileAgain) {
  TlsConfig config = psk_config(false);
  auto context = make_context(config);
  pki().write_text("device-c:" + std::string(kKeyHex) + "\n", "psk.txt");
  ASSERT_TRUE(context->reload().ok());
  {
    TestClient client(psk_client("device-c", kKeyHex));
    auto server = context->new_session();
    EXPECT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  }
  TestClient client(psk_client("device-a", kKeyHex));
  auto server = context->new_session();
  EXPECT_EQ(pump_handshake(client, *server).server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kPsk);
}

// TLS 1.2: a ticket resumes the PSK session and keeps its identity. TLS 1.3: no ticket is issued
// after an external PSK handshake (it would not carry the identity); the client uses its key.
TEST_P(PskTest, ResumptionKeepsIdentityOrIsNotOffered) {
  auto context = make_context(psk_config(false));
  const ClientOptions options = psk_client("device-a", kKeyHex);
  SSL_SESSION* session = nullptr;
  {
    TestClient client(options);
    auto server = context->new_session();
    ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
    client.read_available();
    SSL_shutdown(client.ssl());
    session = SSL_get1_session(client.ssl());
  }
  if (GetParam() == TLS1_3_VERSION) {
    EXPECT_EQ(SSL_SESSION_is_resumable(session), 0);
    SSL_SESSION_free(session);
    return;
  }
  ClientOptions again = options;
  again.session = session;
  TestClient client(again);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_TRUE(server->peer().resumed);
  EXPECT_EQ(server->peer().psk_identity, "device-a");
  SSL_SESSION_free(session);
}

// A listener verifying optional client certificates serves PSK clients too.
TEST_P(PskTest, PskClientOnListenerVerifyingOptionalCertificates) {
  TlsConfig config = psk_config(true);
  config.ca_file = files().ca;
  auto server = connect(config, psk_client("device-a", kKeyHex));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().psk_identity, "device-a");
  EXPECT_EQ(server->peer().cert_identity, "");
}

INSTANTIATE_TEST_SUITE_P(Versions, PskTest, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& param_info) {
                           return param_info.param == TLS1_2_VERSION ? std::string("Tls12")
                                                                     : std::string("Tls13");
                         });

}  // namespace
}  // namespace rmq::tls::testing
