// The load generator's TLS session resumption (--tls-resume) against an in-process OpenSSL
// server over a socket pair: the session the server issues lands in the client's slot, a
// connection offering it resumes, and one without it does not. TLS 1.2 and 1.3.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "bench/loadgen/options.h"
#include "bench/loadgen/tls_client.h"

namespace rmq::loadgen {
namespace {

// A server context with a fresh self-signed P-256 certificate, made with the OpenSSL API.
SSL_CTX* make_server_ctx(int max_version) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (key == nullptr || cert == nullptr) return nullptr;
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  X509_sign(cert, key, EVP_sha256());
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  const bool ok = ctx != nullptr && SSL_CTX_use_certificate(ctx, cert) == 1 &&
                  SSL_CTX_use_PrivateKey(ctx, key) == 1 &&
                  SSL_CTX_set_max_proto_version(ctx, max_version) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  if (!ok && ctx != nullptr) SSL_CTX_free(ctx);
  return ok ? ctx : nullptr;
}

bool pending(TlsIo io) { return io == TlsIo::kWantRead || io == TlsIo::kWantWrite; }

// One connection over a non-blocking socket pair, both ends stepped by this thread. Returns
// whether the client's handshake resumed a session; *ok is false if anything failed.
bool connect_once(SSL_CTX* server_ctx, const TlsClientContext& client_ctx, TlsSessionSlot* slot,
                  bool* ok) {
  *ok = false;
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds) != 0) return false;
  SSL* client = client_ctx.new_session(fds[0], slot);
  SSL* server = SSL_new(server_ctx);
  SSL_set_fd(server, fds[1]);
  SSL_set_accept_state(server);
  TlsIo c = TlsIo::kWantWrite;
  TlsIo s = TlsIo::kWantRead;
  for (int step = 0; step < 100 && (pending(c) || pending(s)); ++step) {
    if (pending(c)) c = tls_handshake(client);
    if (pending(s)) s = tls_handshake(server);
  }
  // The server's application data follows its session tickets: reading it takes them in.
  std::size_t n = 0;
  std::array<std::uint8_t, 8> buf{};
  const std::array<std::uint8_t, 1> byte{'x'};
  bool read = false;
  if (c == TlsIo::kDone && s == TlsIo::kDone && tls_write(server, byte, &n) == TlsIo::kDone) {
    for (int step = 0; step < 100 && !read; ++step)
      read = tls_read(client, buf, &n) == TlsIo::kDone;
  }
  const bool resumed = tls_resumed(client);
  *ok = read && buf[0] == 'x';
  tls_close_notify(client);
  tls_free(client);
  SSL_free(server);
  ::close(fds[0]);
  ::close(fds[1]);
  return resumed;
}

class TlsResume : public ::testing::TestWithParam<int> {};

TEST_P(TlsResume, OfferedSessionIsResumedAndOnlyThen) {
  SSL_CTX* server_ctx = make_server_ctx(GetParam());
  ASSERT_NE(server_ctx, nullptr);
  Options o;
  o.tls = true;
  o.insecure = true;
  TlsClientContext client_ctx;
  std::string error;
  ASSERT_TRUE(client_ctx.init(o, &error)) << error;
  TlsSessionSlot slot;
  bool ok = false;
  EXPECT_FALSE(connect_once(server_ctx, client_ctx, &slot, &ok));  // nothing to offer yet
  ASSERT_TRUE(ok);
  ASSERT_NE(slot.get(), nullptr) << "the server's session did not reach the slot";
  for (int i = 0; i < 3; ++i) {  // each resumed connection stores a session to offer next
    EXPECT_TRUE(connect_once(server_ctx, client_ctx, &slot, &ok)) << "connection " << i;
    EXPECT_TRUE(ok);
  }
  EXPECT_FALSE(connect_once(server_ctx, client_ctx, nullptr, &ok));  // no slot: full handshake
  EXPECT_TRUE(ok);
  TlsSessionSlot moved = std::move(slot);
  EXPECT_EQ(slot.get(), nullptr);
  EXPECT_TRUE(connect_once(server_ctx, client_ctx, &moved, &ok));
  SSL_CTX_free(server_ctx);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsResume, ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION),
                         [](const auto& param_info) {
                           return param_info.param == TLS1_2_VERSION ? "Tls12" : "Tls13";
                         });

}  // namespace
}  // namespace rmq::loadgen
