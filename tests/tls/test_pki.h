// Certificates, keys and CRLs made at test time (OpenSSL API) in a temporary directory that is
// removed with the TestPki object.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

namespace rmq::tls::testing {

struct EvpKeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};

// A certificate with its key.
struct Cert {
  std::unique_ptr<EVP_PKEY, EvpKeyFree> key;
  std::unique_ptr<X509, X509Free> cert;
  long serial = 0;
};

struct CertSpec {
  std::string cn;             // empty: no CN in the subject
  std::string dns_san;        // empty: none
  std::string email_san;      // empty: none
  long valid_from_s = -3600;  // notBefore, seconds from now
  long valid_to_s = 86400;    // notAfter, seconds from now
};

inline CertSpec spec_cn(std::string cn) {
  CertSpec spec;
  spec.cn = std::move(cn);
  return spec;
}

class TestPki {
 public:
  TestPki();  // a fresh temporary directory
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  // `name` inside the temporary directory.
  std::string path(const std::string& name) const;

  Cert make_ca(const std::string& cn);
  // A leaf certificate signed by `ca` (a fresh P-256 key, a serial of its own).
  Cert issue(const Cert& ca, const CertSpec& spec);

  // Each writes PEM to path(name) and returns that path.
  std::string write_cert(const Cert& cert, const std::string& name) const;
  std::string write_key(const Cert& cert, const std::string& name) const;
  std::string write_crl(const Cert& ca, const std::vector<long>& revoked,
                        const std::string& name) const;
  std::string write_text(const std::string& text, const std::string& name) const;

 private:
  std::string dir_;
  long next_serial_ = 1;
};

}  // namespace rmq::tls::testing
