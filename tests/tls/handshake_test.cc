// Handshakes, data, ALPN, version floor, close_notify, garbage and resumption.
#include <openssl/err.h>

#include <random>

#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {
namespace {

class HandshakeTest : public TlsTest {};

// A handshake at `version`, then a message each way.
void handshake_and_exchange(TlsContext& context, int version, const char* expect_version) {
  ClientOptions options = TlsTest::client_options();
  options.min_version = options.max_version = version;
  TestClient client(options);
  auto server = context.new_session();
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error() << client.error();
  EXPECT_TRUE(server->handshake_done());
  EXPECT_EQ(server->peer().version, expect_version);
  EXPECT_FALSE(server->peer().cipher.empty());
  EXPECT_FALSE(server->peer().resumed);
  EXPECT_EQ(client.server_cn(), "server-1");

  client.write("hello server");
  client_to_server(client, *server);
  EXPECT_EQ(server_read_all(*server), "hello server");
  server_write(*server, "hello client");
  server_to_client(*server, client);
  EXPECT_EQ(client.read_available(), "hello client");
}

TEST_F(HandshakeTest, Tls12HandshakeAndData) {
  auto context = make_context(server_config());
  handshake_and_exchange(*context, TLS1_2_VERSION, "TLSv1.2");
}

TEST_F(HandshakeTest, Tls13HandshakeAndData) {
  auto context = make_context(server_config());
  handshake_and_exchange(*context, TLS1_3_VERSION, "TLSv1.3");
}

TEST_F(HandshakeTest, Tls12DefaultCipherIsEcdheAead) {
  auto context = make_context(server_config());
  ClientOptions options = client_options();
  options.max_version = TLS1_2_VERSION;
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());
  EXPECT_NE(server->peer().cipher.find("ECDHE"), std::string::npos) << server->peer().cipher;
  EXPECT_TRUE(server->peer().cipher.find("GCM") != std::string::npos ||
              server->peer().cipher.find("CHACHA20") != std::string::npos)
      << server->peer().cipher;
}

TEST_F(HandshakeTest, Tls12NonAeadClientRefused) {
  auto context = make_context(server_config());
  ClientOptions options = client_options();
  options.max_version = TLS1_2_VERSION;
  options.cipher_list = "ECDHE-ECDSA-AES128-SHA";
  TestClient client(options);
  auto server = context->new_session();
  EXPECT_EQ(pump_handshake(client, *server).server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kProtocol);
}

// 1 MiB each way in pieces of odd sizes, read back through small buffers.
void transfer_mebibyte(int version) {
  auto context = TlsTest::make_context(TlsTest::server_config());
  ClientOptions options = TlsTest::client_options();
  options.min_version = options.max_version = version;
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());

  std::string data(1 << 20, '\0');
  std::mt19937 rng(42);
  for (char& c : data) c = static_cast<char>(rng());
  std::string at_server;
  std::string at_client;
  std::size_t sizes[] = {1, 7, 1000, 4096, 16384, 16385, 50000};
  std::size_t i = 0;
  for (std::size_t off = 0; off < data.size(); ++i) {
    const std::size_t n = std::min(sizes[i % std::size(sizes)], data.size() - off);
    client.write(data.substr(off, n));
    client_to_server(client, *server);
    at_server += server_read_all(*server, 3000);
    server_write(*server, data.substr(off, n));
    server_to_client(*server, client);
    at_client += client.read_available();
    off += n;
  }
  EXPECT_EQ(at_server.size(), data.size());
  EXPECT_TRUE(at_server == data);
  EXPECT_EQ(at_client.size(), data.size());
  EXPECT_TRUE(at_client == data);
}

TEST_F(HandshakeTest, MebibyteInPiecesTls13) { transfer_mebibyte(TLS1_3_VERSION); }
TEST_F(HandshakeTest, MebibyteInPiecesTls12) { transfer_mebibyte(TLS1_2_VERSION); }

TEST_F(HandshakeTest, ByteAtATimeHandshake) {
  auto context = make_context(server_config());
  TestClient client(client_options());
  auto server = context->new_session();
  TlsIo io = TlsIo::kWantRead;
  for (int round = 0; round < 20 && !server->handshake_done(); ++round) {
    client.handshake();
    for (std::byte b : client.take_ciphertext()) {
      server->feed(std::span(&b, 1));
      io = server->handshake();
      ASSERT_NE(io, TlsIo::kFailed) << server->error();
    }
    server_to_client(*server, client);
  }
  EXPECT_EQ(io, TlsIo::kOk);
  EXPECT_EQ(client.handshake(), 1);
}

TEST_F(HandshakeTest, MinVersion13RefusesTls12Client) {
  TlsConfig config = server_config();
  config.min_version = TlsVersion::kTls13;
  auto context = make_context(config);
  ClientOptions options = client_options();
  options.max_version = TLS1_2_VERSION;
  TestClient client(options);
  auto server = context->new_session();
  const HandshakeOutcome outcome = pump_handshake(client, *server);
  EXPECT_EQ(outcome.server, TlsIo::kFailed);
  EXPECT_EQ(outcome.client, -1);
  EXPECT_EQ(server->failure(), TlsFailure::kProtocol);
  EXPECT_NE(server->error().find("protocol"), std::string::npos) << server->error();
  // and a TLS 1.3 client is served
  handshake_and_exchange(*context, TLS1_3_VERSION, "TLSv1.3");
}

TEST_F(HandshakeTest, AlpnMqttSelected) {
  auto context = make_context(server_config());
  ClientOptions options = client_options();
  options.alpn = {"http/1.1", "mqtt"};
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());
  EXPECT_EQ(server->peer().alpn, "mqtt");
}

TEST_F(HandshakeTest, NoAlpnAccepted) {
  auto context = make_context(server_config());
  TestClient client(client_options());
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());
  EXPECT_EQ(server->peer().alpn, "");
}

TEST_F(HandshakeTest, OtherAlpnOnlyRefused) {
  auto context = make_context(server_config());
  ClientOptions options = client_options();
  options.alpn = {"h2"};
  TestClient client(options);
  auto server = context->new_session();
  EXPECT_EQ(pump_handshake(client, *server).server, TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kProtocol);
}

TEST_F(HandshakeTest, PlainMqttConnectIsProtocolFailure) {
  auto context = make_context(server_config());
  auto server = context->new_session();
  const unsigned char connect[] = {0x10, 0x10, 0x00, 0x04, 'M',  'Q', 'T', 'T', 0x04,
                                   0x02, 0x00, 0x3c, 0x00, 0x04, 'd', 'e', 'v', '1'};
  server->feed(std::as_bytes(std::span(connect)));
  EXPECT_EQ(server->handshake(), TlsIo::kFailed);
  EXPECT_EQ(server->failure(), TlsFailure::kProtocol);
  EXPECT_FALSE(server->error().empty());
  EXPECT_EQ(ERR_peek_error(), 0UL);
  EXPECT_EQ(server->handshake(), TlsIo::kFailed);  // sticky
  std::size_t produced = 1;
  std::byte buf[16];
  EXPECT_EQ(server->read(buf, &produced), TlsIo::kFailed);
  EXPECT_EQ(produced, 0u);
  // the next session on this thread is unaffected
  handshake_and_exchange(*context, TLS1_3_VERSION, "TLSv1.3");
}

TEST_F(HandshakeTest, ClientCloseNotifyIsClosed) {
  auto context = make_context(server_config());
  TestClient client(client_options());
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());
  client.write("last words");
  SSL_shutdown(client.ssl());
  client_to_server(client, *server);
  EXPECT_EQ(server_read_all(*server), "last words");
  std::size_t produced = 0;
  std::byte buf[64];
  EXPECT_EQ(server->read(buf, &produced), TlsIo::kClosed);
  EXPECT_EQ(server->failure(), TlsFailure::kClosed);
  server->shutdown();  // answers with close_notify
  server_to_client(*server, client);
  client.read_available();
  EXPECT_NE(SSL_get_shutdown(client.ssl()) & SSL_RECEIVED_SHUTDOWN, 0);
}

TEST_F(HandshakeTest, ServerShutdownSendsCloseNotify) {
  auto context = make_context(server_config());
  TestClient client(client_options());
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok());
  server->shutdown();
  EXPECT_GT(server->pending_ciphertext(), 0u);
  server_to_client(*server, client);
  char buf[16];
  std::size_t n = 0;
  EXPECT_EQ(SSL_read_ex(client.ssl(), buf, sizeof buf, &n), 0);
  EXPECT_EQ(SSL_get_error(client.ssl(), 0), SSL_ERROR_ZERO_RETURN);
  ERR_clear_error();
}

// Handshakes once, returns the client's session (with its ticket) for resumption.
SSL_SESSION* first_session(TlsContext& context, const ClientOptions& options, bool resumable) {
  TestClient client(options);
  auto server = context.new_session();
  EXPECT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_FALSE(server->peer().resumed);
  client.read_available();     // TLS 1.3 tickets arrive after the handshake
  SSL_shutdown(client.ssl());  // freed without close_notify, OpenSSL marks the session unusable
  SSL_SESSION* session = SSL_get1_session(client.ssl());
  EXPECT_EQ(SSL_SESSION_is_resumable(session), resumable ? 1 : 0);
  return session;
}

void expect_resumes(int version, bool tickets) {
  TlsConfig config = TlsTest::server_config();
  config.session_tickets = tickets;
  auto context = TlsTest::make_context(config);
  ClientOptions options = TlsTest::client_options();
  options.min_version = options.max_version = version;
  SSL_SESSION* session = first_session(*context, options, tickets);
  options.session = session;
  TestClient client(options);
  auto server = context->new_session();
  ASSERT_TRUE(pump_handshake(client, *server).ok()) << server->error();
  EXPECT_EQ(server->peer().resumed, tickets);
  EXPECT_EQ(SSL_session_reused(client.ssl()), tickets ? 1 : 0);
  client.write("again");
  client_to_server(client, *server);
  EXPECT_EQ(server_read_all(*server), "again");
  SSL_SESSION_free(session);
}

TEST_F(HandshakeTest, ResumptionWithTicketTls13) { expect_resumes(TLS1_3_VERSION, true); }
TEST_F(HandshakeTest, ResumptionWithTicketTls12) { expect_resumes(TLS1_2_VERSION, true); }
TEST_F(HandshakeTest, NoResumptionWithTicketsOffTls12) { expect_resumes(TLS1_2_VERSION, false); }

TEST_F(HandshakeTest, OpenSslVersionNamed) {
  EXPECT_NE(openssl_version().find("OpenSSL"), std::string_view::npos);
}

}  // namespace
}  // namespace rmq::tls::testing
