#include "tests/tls/test_client.h"

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <climits>
#include <cstring>
#include <stdexcept>

namespace rmq::tls::testing {
namespace {

constexpr unsigned char kTls13Aes128GcmSha256[] = {0x13, 0x01};

const ClientOptions* options_of(SSL* ssl) {
  return static_cast<const ClientOptions*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

unsigned int psk_client_cb(SSL* ssl, const char* /*hint*/, char* identity,
                           unsigned int max_identity_len, unsigned char* psk,
                           unsigned int max_psk_len) {
  const ClientOptions* o = options_of(ssl);
  if (o->psk_identity.size() + 1 > max_identity_len || o->psk_key.size() > max_psk_len) return 0;
  std::memcpy(identity, o->psk_identity.c_str(), o->psk_identity.size() + 1);
  // NOLINTNEXTLINE(bugprone-not-null-terminated-result): key bytes, not a string
  std::memcpy(psk, o->psk_key.data(), o->psk_key.size());
  return static_cast<unsigned int>(o->psk_key.size());
}

int psk_use_session_cb(SSL* ssl, const EVP_MD* md, const unsigned char** id, size_t* idlen,
                       SSL_SESSION** sess) {
  const ClientOptions* o = options_of(ssl);
  *sess = nullptr;
  const SSL_CIPHER* cipher = SSL_CIPHER_find(ssl, kTls13Aes128GcmSha256);
  if (cipher == nullptr) return 0;
  if (md != nullptr && md != SSL_CIPHER_get_handshake_digest(cipher)) return 1;
  SSL_SESSION* s = SSL_SESSION_new();
  SSL_SESSION_set1_master_key(s, reinterpret_cast<const unsigned char*>(o->psk_key.data()),
                              o->psk_key.size());
  SSL_SESSION_set_cipher(s, cipher);
  SSL_SESSION_set_protocol_version(s, TLS1_3_VERSION);
  *id = reinterpret_cast<const unsigned char*>(o->psk_identity.data());
  *idlen = o->psk_identity.size();
  *sess = s;
  return 1;
}

void require(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test client: ") + what);
}

}  // namespace

TestClient::TestClient(const ClientOptions& options) : options_(options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_app_data(ctx_, &options_);
  SSL_CTX_set_min_proto_version(ctx_, options_.min_version);
  SSL_CTX_set_max_proto_version(ctx_, options_.max_version);
  if (!options_.ca_file.empty()) {
    require(SSL_CTX_load_verify_locations(ctx_, options_.ca_file.c_str(), nullptr) == 1, "CA");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options_.cert_file.empty()) {
    require(SSL_CTX_use_certificate_chain_file(ctx_, options_.cert_file.c_str()) == 1, "cert");
    require(SSL_CTX_use_PrivateKey_file(ctx_, options_.key_file.c_str(), SSL_FILETYPE_PEM) == 1,
            "key");
  }
  std::string ciphers = options_.cipher_list;
  if (!options_.psk_identity.empty()) {
    SSL_CTX_set_psk_client_callback(ctx_, psk_client_cb);
    SSL_CTX_set_psk_use_session_callback(ctx_, psk_use_session_cb);
    if (ciphers.empty()) ciphers = "PSK";
  }
  if (!ciphers.empty()) require(SSL_CTX_set_cipher_list(ctx_, ciphers.c_str()) == 1, "ciphers");
  if (!options_.alpn.empty()) {
    std::string wire;
    for (const auto& p : options_.alpn) wire += static_cast<char>(p.size()) + p;
    SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned int>(wire.size()));
  }
  ssl_ = SSL_new(ctx_);
  rbio_ = BIO_new(BIO_s_mem());
  wbio_ = BIO_new(BIO_s_mem());
  BIO_set_mem_eof_return(rbio_, -1);
  SSL_set_bio(ssl_, rbio_, wbio_);
  SSL_set_connect_state(ssl_);
  if (options_.session != nullptr) require(SSL_set_session(ssl_, options_.session) == 1, "session");
}

TestClient::~TestClient() {
  SSL_free(ssl_);
  SSL_CTX_free(ctx_);
}

int TestClient::handshake() {
  if (failed_) return -1;
  const int rc = SSL_do_handshake(ssl_);
  if (rc == 1) return 1;
  if (SSL_get_error(ssl_, rc) == SSL_ERROR_WANT_READ) return 0;
  failed_ = true;
  char buf[256] = "client failure";
  if (unsigned long code = ERR_peek_error(); code != 0) ERR_error_string_n(code, buf, sizeof buf);
  error_ = buf;
  ERR_clear_error();
  return -1;
}

void TestClient::feed(const std::byte* data, std::size_t size) {
  if (size == 0) return;
  require(BIO_write(rbio_, data, static_cast<int>(size)) == static_cast<int>(size), "BIO_write");
}

std::vector<std::byte> TestClient::take_ciphertext() {
  std::vector<std::byte> out(BIO_ctrl_pending(wbio_));
  if (!out.empty()) BIO_read(wbio_, out.data(), static_cast<int>(out.size()));
  return out;
}

void TestClient::write(const std::string& data) {
  std::size_t written = 0;
  require(SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1 && written == data.size(),
          "SSL_write_ex");
}

std::string TestClient::read_available() {
  std::string out;
  char buf[16384];
  std::size_t n = 0;
  while (SSL_read_ex(ssl_, buf, sizeof buf, &n) == 1) out.append(buf, n);
  ERR_clear_error();
  return out;
}

std::string TestClient::server_cn() const {
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  char buf[256] = "";
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof buf);
  return buf;
}

std::size_t server_to_client(TlsSession& server, TestClient& client) {
  std::size_t moved = 0;
  std::byte buf[8192];
  while (std::size_t n = server.take_ciphertext(buf)) {
    client.feed(buf, n);
    moved += n;
  }
  return moved;
}

std::size_t client_to_server(TestClient& client, TlsSession& server) {
  const std::vector<std::byte> bytes = client.take_ciphertext();
  server.feed(bytes);
  return bytes.size();
}

HandshakeOutcome pump_handshake(TestClient& client, TlsSession& server) {
  HandshakeOutcome out;
  for (int round = 0; round < 50; ++round) {
    if (out.client == 0) out.client = client.handshake();
    std::size_t moved = client_to_server(client, server);
    if (out.server == TlsIo::kWantRead || out.server == TlsIo::kOk) out.server = server.handshake();
    moved += server_to_client(server, client);
    if (moved == 0) break;
  }
  return out;
}

std::string server_read_all(TlsSession& server, std::size_t chunk) {
  std::string out;
  std::vector<std::byte> buf(chunk);
  for (;;) {
    std::size_t produced = 0;
    const TlsIo io = server.read(buf, &produced);
    out.append(reinterpret_cast<const char*>(buf.data()), produced);
    if (io != TlsIo::kOk || produced == 0) break;
  }
  return out;
}

void server_write(TlsSession& server, const std::string& data) {
  EXPECT_EQ(server.write(as_bytes(data)), TlsIo::kOk);
}

}  // namespace rmq::tls::testing
