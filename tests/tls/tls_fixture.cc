#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {

namespace {

// Made by SetUpTestSuite, used by the tests of the suite on the main thread.
TestPki* g_pki = nullptr;
Cert* g_ca = nullptr;
PkiFiles g_files;

void write_pair(TestPki& pki, const Cert& cert, const std::string& name, std::string* cert_file,
                std::string* key_file) {
  *cert_file = pki.write_cert(cert, name + ".pem");
  *key_file = pki.write_key(cert, name + ".key");
}

CertSpec server_spec() {
  CertSpec spec = spec_cn("server-1");
  spec.dns_san = "localhost";
  return spec;
}

CertSpec dns_spec() {
  CertSpec spec;
  spec.dns_san = "device-2.example";
  return spec;
}

CertSpec email_spec() {
  CertSpec spec;
  spec.email_san = "device-3@example.com";
  return spec;
}

CertSpec expired_spec() {
  CertSpec spec = spec_cn("device-old");
  spec.valid_from_s = -2 * 86400;
  spec.valid_to_s = -86400;
  return spec;
}

}  // namespace

TestPki& TlsTest::pki() { return *g_pki; }
const PkiFiles& TlsTest::files() { return g_files; }

void TlsTest::SetUpTestSuite() {
  g_pki = new TestPki();
  g_ca = new Cert(g_pki->make_ca("ringmq test CA"));
  TestPki& p = *g_pki;
  g_files.ca = p.write_cert(*g_ca, "ca.pem");
  write_pair(p, p.issue(*g_ca, server_spec()), "server", &g_files.server_cert, &g_files.server_key);
  write_pair(p, p.issue(*g_ca, spec_cn("device-1")), "client", &g_files.client_cert,
             &g_files.client_key);
  write_pair(p, p.issue(*g_ca, dns_spec()), "dns", &g_files.dns_cert, &g_files.dns_key);
  write_pair(p, p.issue(*g_ca, email_spec()), "email", &g_files.email_cert, &g_files.email_key);
  write_pair(p, p.issue(*g_ca, expired_spec()), "expired", &g_files.expired_cert,
             &g_files.expired_key);
  const Cert revoked = p.issue(*g_ca, spec_cn("device-revoked"));
  write_pair(p, revoked, "revoked", &g_files.revoked_cert, &g_files.revoked_key);
  g_files.crl = p.write_crl(*g_ca, {revoked.serial}, "crl.pem");
  const Cert other_ca = p.make_ca("another CA");
  write_pair(p, p.issue(other_ca, spec_cn("device-1")), "foreign", &g_files.foreign_cert,
             &g_files.foreign_key);
}

void TlsTest::TearDownTestSuite() {
  delete g_ca;
  g_ca = nullptr;
  delete g_pki;
  g_pki = nullptr;
}

void TlsTest::write_server_cert(const std::string& cn, const std::string& name) {
  const Cert cert = g_pki->issue(*g_ca, spec_cn(cn));
  g_pki->write_cert(cert, name + ".pem");
  g_pki->write_key(cert, name + ".key");
}

TlsConfig TlsTest::server_config() {
  TlsConfig config;
  config.cert_file = g_files.server_cert;
  config.key_file = g_files.server_key;
  return config;
}

std::shared_ptr<TlsContext> TlsTest::make_context(const TlsConfig& config) {
  auto context = TlsContext::create(config);
  EXPECT_TRUE(context.ok()) << context.status().message();
  return context.ok() ? *context : nullptr;
}

ClientOptions TlsTest::client_options() {
  ClientOptions options;
  options.ca_file = g_files.ca;
  return options;
}

}  // namespace rmq::tls::testing
