// The certificates every TLS test uses (made once per test binary) and helpers to build a
// server context and a client from them.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>

#include <memory>
#include <string>

#include "tests/tls/test_client.h"
#include "tests/tls/test_pki.h"
#include "tls/tls.h"

namespace rmq::tls::testing {

struct PkiFiles {
  std::string ca;                       // signs the server and the client certificates
  std::string server_cert, server_key;  // CN server-1
  std::string client_cert, client_key;  // CN device-1
  std::string dns_cert, dns_key;        // no CN, DNS SAN device-2.example
  std::string email_cert, email_key;    // no CN, email SAN device-3@example.com
  std::string expired_cert, expired_key;
  std::string revoked_cert, revoked_key;
  std::string foreign_cert, foreign_key;  // CN device-1, signed by another CA
  std::string crl;                        // revokes revoked_cert
};

class TlsTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void TearDown() override { EXPECT_EQ(ERR_peek_error(), 0UL) << "OpenSSL error queue not empty"; }

  static TestPki& pki();
  static const PkiFiles& files();
  // Another server certificate (CN `cn`) from the same CA, written to `name`.pem / .key.
  static void write_server_cert(const std::string& cn, const std::string& name);

  static TlsConfig server_config();  // certificate and key, nothing else
  static std::shared_ptr<TlsContext> make_context(const TlsConfig& config);
  static ClientOptions client_options();  // verifies the server against the CA
};

}  // namespace rmq::tls::testing
