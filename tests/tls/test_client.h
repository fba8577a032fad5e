// A TLS client over memory BIOs (plain OpenSSL) and a pump that moves ciphertext between it and
// a server TlsSession, all on the test's thread.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>
#include <vector>

#include "tls/tls.h"

namespace rmq::tls::testing {

struct ClientOptions {
  int min_version = TLS1_2_VERSION;
  int max_version = TLS1_3_VERSION;
  std::string ca_file;    // verify the server against it; empty: no verification
  std::string cert_file;  // client certificate; empty: none
  std::string key_file;
  std::vector<std::string> alpn;   // offered protocols; empty: no ALPN extension
  std::string psk_identity;        // empty: no PSK
  std::string psk_key;             // raw key bytes
  std::string cipher_list;         // TLS 1.2; empty: OpenSSL's default (plus PSK when set)
  SSL_SESSION* session = nullptr;  // resume it (not owned)
};

class TestClient {
 public:
  explicit TestClient(const ClientOptions& options);
  ~TestClient();
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  SSL* ssl() const { return ssl_; }
  // Advances the client handshake: 1 done, 0 in progress, -1 failed (error() says why).
  int handshake();
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

  void feed(const std::byte* data, std::size_t size);
  std::vector<std::byte> take_ciphertext();

  // Encrypts all of `data`.
  void write(const std::string& data);
  // Decrypts what is buffered (and processes post-handshake messages).
  std::string read_available();
  // The server certificate's subject CN ("" without one).
  std::string server_cn() const;

 private:
  ClientOptions options_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* rbio_ = nullptr;
  BIO* wbio_ = nullptr;
  bool failed_ = false;
  std::string error_;
};

struct HandshakeOutcome {
  TlsIo server = TlsIo::kWantRead;
  int client = 0;  // TestClient::handshake's last result
  bool ok() const { return server == TlsIo::kOk && client == 1; }
};

// Moves ciphertext both ways until neither side has anything more to send.
HandshakeOutcome pump_handshake(TestClient& client, TlsSession& server);
// Server ciphertext to the client, client ciphertext to the server; bytes moved.
std::size_t server_to_client(TlsSession& server, TestClient& client);
std::size_t client_to_server(TestClient& client, TlsSession& server);
// Everything the server can decrypt now (after feeding it the client's ciphertext).
std::string server_read_all(TlsSession& server, std::size_t chunk = 4096);
// Encrypts on the server (asserting kOk).
void server_write(TlsSession& server, const std::string& data);

inline std::span<const std::byte> as_bytes(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

}  // namespace rmq::tls::testing
