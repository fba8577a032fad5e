#include "tests/tls/tls_fixture.h"

namespace rmq::tls::testing {

TestPki* TlsTest::pki_ = nullptr;
Cert* TlsTest::ca_ = nullptr;
PkiFiles TlsTest::files_;

namespace {

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

void TlsTest::SetUpTestSuite() {
  pki_ = new TestPki();
  ca_ = new Cert(pki_->make_ca("ringmq test CA"));
  TestPki& p = *pki_;
  files_.ca = p.write_cert(*ca_, "ca.pem");
  write_pair(p, p.issue(*ca_, server_spec()), "server", &files_.server_cert, &files_.server_key);
  write_pair(p, p.issue(*ca_, spec_cn("device-1")), "client", &files_.client_cert,
             &files_.client_key);
  write_pair(p, p.issue(*ca_, dns_spec()), "dns", &files_.dns_cert, &files_.dns_key);
  write_pair(p, p.issue(*ca_, email_spec()), "email", &files_.email_cert, &files_.email_key);
  write_pair(p, p.issue(*ca_, expired_spec()), "expired", &files_.expired_cert,
             &files_.expired_key);
  const Cert revoked = p.issue(*ca_, spec_cn("device-revoked"));
  write_pair(p, revoked, "revoked", &files_.revoked_cert, &files_.revoked_key);
  files_.crl = p.write_crl(*ca_, {revoked.serial}, "crl.pem");
  const Cert other_ca = p.make_ca("another CA");
  write_pair(p, p.issue(other_ca, spec_cn("device-1")), "foreign", &files_.foreign_cert,
             &files_.foreign_key);
}

void TlsTest::TearDownTestSuite() {
  delete ca_;
  ca_ = nullptr;
  delete pki_;
  pki_ = nullptr;
}

void TlsTest::write_server_cert(const std::string& cn, const std::string& name) {
  const Cert cert = pki_->issue(*ca_, spec_cn(cn));
  pki_->write_cert(cert, name + ".pem");
  pki_->write_key(cert, name + ".key");
}

TlsConfig TlsTest::server_config() {
  TlsConfig config;
  config.cert_file = files_.server_cert;
  config.key_file = files_.server_key;
  return config;
}

std::shared_ptr<TlsContext> TlsTest::make_context(const TlsConfig& config) {
  auto context = TlsContext::create(config);
  EXPECT_TRUE(context.ok()) << context.status().message();
  return context.ok() ? *context : nullptr;
}

ClientOptions TlsTest::client_options() {
  ClientOptions options;
  options.ca_file = files_.ca;
  return options;
}

}  // namespace rmq::tls::testing
