// Client certificates: required, optional, refused (missing, wrong CA, expired, revoked), the
// identity taken from them, and resumption keeping it.
#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {
namespace {

class ClientCertTest : public TlsTest, public ::testing::WithParamInterface<int> {
 protected:
  static TlsConfig verifying_config(bool required) {
    TlsConfig config = server_config();
    config.ca_file = files().ca;
    config.crl_file = files().crl;
    config.require_client_cert = required;
    return config;
  }

  ClientOptions with_cert(const std::string& cert, const std::string& key) const {
    ClientOptions options = client_options();
    options.min_version = options.max_version = GetParam();
    options.cert_file = cert;
    options.key_file = key;
    return options;
  }

  // Handshakes with `options` against a verifying server; returns the server session.
  std::unique_ptr<TlsSession> connect(const ClientOptions& options, bool required = true) {
    context_ = make_context(verifying_config(required));
    TestClient client(options);
    auto server = context_->new_session();
    outcome_ = pump_handshake(client, *server);
    return server;
  }

  std::shared_ptr<TlsContext> context_;
  HandshakeOutcome outcome_;
};

TEST_P(ClientCertTest, RequiredAndPresentedIdentityFromCn) {
  auto server = connect(with_cert(files().client_cert, files().client_key));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "device-1");
  EXPECT_EQ(server->peer().psk_identity, "");
}

TEST_P(ClientCertTest, IdentityFromDnsSan) {
  auto server = connect(with_cert(files().dns_cert, files().dns_key));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "device-2.example");
}

TEST_P(ClientCertTest, IdentityFromEmailSan) {
  auto server = connect(with_cert(files().email_cert, files().email_key));
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "device-3@example.com");
}

TEST_P(ClientCertTest, MissingCertificateRefused) {
  auto server = connect(with_cert("", ""));
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kCertificate) << server->error();
  EXPECT_NE(server->error().find("certificate"), std::string::npos) << server->error();
}

TEST_P(ClientCertTest, MissingCertificateAcceptedWhenOptional) {
  auto server = connect(with_cert("", ""), /*required=*/false);
  ASSERT_TRUE(outcome_.ok()) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "");
}

TEST_P(ClientCertTest, WrongCaRefused) {
  auto server = connect(with_cert(files().foreign_cert, files().foreign_key), false);
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kCertificate);
  EXPECT_NE(server->error().find("issuer"), std::string::npos) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "");
}

TEST_P(ClientCertTest, ExpiredRefused) {
  auto server = connect(with_cert(files().expired_cert, files().expired_key));
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kCertificate);
  EXPECT_NE(server->error().find("expired"), std::string::npos) << server->error();
}

TEST_P(ClientCertTest, RevokedRefused) {
  auto server = connect(with_cert(files().revoked_cert, files().revoked_key));
  EXPECT_EQ(outcome_.server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kCertificate);
  EXPECT_NE(server->error().find("revoked"), std::string::npos) << server->error();
}

TEST_P(ClientCertTest, RevokedAcceptedWithoutCrl) {
  TlsConfig config = verifying_config(true);
  config.crl_file.clear();
  auto context = make_context(config);
  TestClient client(with_cert(files().revoked_cert, files().revoked_key));
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_EQ(server->peer().cert_identity, "device-revoked");
}

TEST_P(ClientCertTest, ResumptionKeepsIdentity) {
  auto context = make_context(verifying_config(true));
  ClientOptions options = with_cert(files().client_cert, files().client_key);
  SSL_SESSION* session = nullptr;
  {
    TestClient client(options);
    auto server = context->new_session();
    ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
    client.read_available();
    SSL_shutdown(client.ssl());
    session = SSL_get1_session(client.ssl());
  }
  options.session = session;
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_TRUE(server->peer().resumed);
  EXPECT_EQ(server->peer().cert_identity, "device-1");
  SSL_SESSION_free(session);
}

INSTANTIATE_TEST_SUITE_P(Versions, ClientCertTest,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& param_info) {
                           return param_info.param == TLS1_2_VERSION ? std::string("Tls12")
                                                                     : std::string("Tls13");
                         });

}  // namespace
}  // namespace rmq::tls::testing
