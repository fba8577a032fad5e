// TlsContext: configuration errors (each naming the file and the reason) and reload.
#include <atomic>
#include <thread>

#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {
namespace {

class ContextTest : public TlsTest {
 protected:
  // The error create() reports for `config` ("" if it succeeds).
  static std::string create_error(const TlsConfig& config) {
    auto context = TlsContext::create(config);
    EXPECT_EQ(ERR_peek_error(), 0UL);
    if (context.ok()) return "";
    EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
    return context.status().message();
  }

  // The server CN a new client sees.
  static std::string served_cn(TlsContext& context) {
    TestClient client(client_options());
    auto server = context.new_session();
    EXPECT_TRUE(pump_handshake(client, *server).ok()) << server->error();
    return client.server_cn();
  }
};

TEST_F(ContextTest, MissingCertFileNamed) {
  TlsConfig config = server_config();
  config.cert_file = pki().path("absent.pem");
  const std::string error = create_error(config);
  EXPECT_NE(error.find("cert_file '" + config.cert_file + "'"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file"), std::string::npos) << error;
}

TEST_F(ContextTest, MissingCaAndCrlFilesNamed) {
  TlsConfig config = server_config();
  config.ca_file = pki().path("absent-ca.pem");
  EXPECT_NE(create_error(config).find("ca_file '" + config.ca_file + "'"), std::string::npos);
  config.ca_file = files().ca;
  config.crl_file = pki().path("absent-crl.pem");
  EXPECT_NE(create_error(config).find("crl_file '" + config.crl_file + "'"), std::string::npos);
}

TEST_F(ContextTest, KeyMismatchNamed) {
  TlsConfig config = server_config();
  config.key_file = files().client_key;
  const std::string error = create_error(config);
  EXPECT_NE(error.find("key_file '" + config.key_file + "'"), std::string::npos) << error;
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
}

TEST_F(ContextTest, NotPemNamed) {
  TlsConfig config = server_config();
  config.cert_file = pki().write_text("not a certificate\n", "garbage.pem");
  const std::string error = create_error(config);
  EXPECT_NE(error.find("cert_file '" + config.cert_file + "'"), std::string::npos) << error;
}

TEST_F(ContextTest, BadPskLinesNamed) {
  TlsConfig config;
  const char* bad[] = {"nocolon", "id:abc", "id:zz", ":00ff", "id:"};
  for (const char* line : bad) {
    config.psk_file =
        pki().write_text("# comment\n\nok:00ff\n" + std::string(line) + "\n", "bad-psk.txt");
    const std::string error = create_error(config);
    EXPECT_NE(error.find("psk_file '" + config.psk_file + "' line 4"), std::string::npos)
        << line << ": " << error;
  }
  config.psk_file = pki().write_text("a:00\na:01\n", "dup-psk.txt");
  EXPECT_NE(create_error(config).find("line 2: duplicate identity"), std::string::npos);
  config.psk_file = pki().path("absent-psk.txt");
  EXPECT_NE(create_error(config).find("No such file"), std::string::npos);
}

TEST_F(ContextTest, InconsistentConfigRefused) {
  EXPECT_NE(create_error(TlsConfig{}), "");  // neither certificate nor PSK
  TlsConfig config = server_config();
  config.key_file.clear();
  EXPECT_NE(create_error(config), "");
  config = server_config();
  config.crl_file = files().crl;
  EXPECT_NE(create_error(config).find("crl_file needs ca_file"), std::string::npos);
  config = server_config();
  config.require_client_cert = true;
  EXPECT_NE(create_error(config), "");
  config = server_config();
  config.ca_file = files().ca;
  config.require_client_cert = true;
  config.psk_file = pki().write_text("a:00ff\n", "psk-and-certs.txt");
  EXPECT_NE(create_error(config).find("require_client_cert"), std::string::npos);
  config = server_config();
  config.cipher_list = "NO-SUCH-CIPHER";
  EXPECT_NE(create_error(config).find("cipher_list"), std::string::npos);
  config = server_config();
  config.ciphersuites = "TLS_NO_SUCH_SUITE";
  EXPECT_NE(create_error(config).find("ciphersuites"), std::string::npos);
}

TEST_F(ContextTest, SameErrorSameMessage) {
  TlsConfig config = server_config();
  config.cert_file = pki().path("absent.pem");
  auto a = TlsContext::create(config);
  auto b = TlsContext::create(config);
  ASSERT_FALSE(a.ok());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(a.status().message(), b.status().message());  // interned once
}

TEST_F(ContextTest, ReloadServesNewCertificateToNewSessions) {
  write_server_cert("server-a", "reload");
  TlsConfig config;
  config.cert_file = pki().path("reload.pem");
  config.key_file = pki().path("reload.key");
  auto context = make_context(config);
  TestClient old_client(client_options());
  auto old_server = context->new_session();
  ASSERT_TRUE(pump_handshake(old_client, *old_server).ok());
  EXPECT_EQ(old_client.server_cn(), "server-a");

  write_server_cert("server-b", "reload");
  ASSERT_TRUE(context->reload().ok());
  EXPECT_EQ(served_cn(*context), "server-b");
  // the session made before keeps working
  old_client.write("still here");
  client_to_server(old_client, *old_server);
  EXPECT_EQ(server_read_all(*old_server), "still here");
  server_write(*old_server, "so am I");
  server_to_client(*old_server, old_client);
  EXPECT_EQ(old_client.read_available(), "so am I");
}

TEST_F(ContextTest, ReloadFailureKeepsCurrentConfiguration) {
  write_server_cert("server-a", "broken");
  TlsConfig config;
  config.cert_file = pki().path("broken.pem");
  config.key_file = pki().path("broken.key");
  auto context = make_context(config);
  pki().write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "broken.pem");
  const Status status = context->reload();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(std::string(status.message()).find(config.cert_file), std::string::npos)
      << status.message();
  EXPECT_EQ(ERR_peek_error(), 0UL);
  EXPECT_EQ(served_cn(*context), "server-a");
  write_server_cert("server-c", "broken");  // fixed: the next reload takes it
  ASSERT_TRUE(context->reload().ok());
  EXPECT_EQ(served_cn(*context), "server-c");
}

// new_session() on two threads while a third reloads: every session handshakes with one whole
// configuration.
TEST_F(ContextTest, ConcurrentNewSessionAndReload) {
  auto context = make_context(server_config());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  auto connect_loop = [&] {
    for (int i = 0; i < 30; ++i) {
      TestClient client(client_options());
      auto server = context->new_session();
      if (!pump_handshake(client, *server).ok()) ++failures;
    }
  };
  std::thread reloader([&] {
    while (!stop) {
      if (!context->reload().ok()) ++failures;
    }
  });
  std::thread a(connect_loop);
  std::thread b(connect_loop);
  a.join();
  b.join();
  stop = true;
  reloader.join();
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace rmq::tls::testing
