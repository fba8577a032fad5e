#include "tests/tls/test_pki.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace rmq::tls::testing {
namespace {

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test PKI: ") + what);
}

std::unique_ptr<EVP_PKEY, EvpKeyFree> new_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  return std::unique_ptr<EVP_PKEY, EvpKeyFree>(key);
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

// A certificate for `key`, signed by `signer_key`, issued by `issuer` (null: self-signed).
std::unique_ptr<X509, X509Free> make_cert(EVP_PKEY* key, X509* issuer, EVP_PKEY* signer_key,
                                          long serial, const CertSpec& spec, bool ca) {
  std::unique_ptr<X509, X509Free> cert(X509_new());
  X509* x = cert.get();
  check(X509_set_version(x, 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), spec.valid_from_s);
  X509_gmtime_adj(X509_getm_notAfter(x), spec.valid_to_s);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("ringmq test"), -1, -1, 0);
  if (!spec.cn.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  }
  X509* signer = issuer != nullptr ? issuer : x;
  check(X509_set_issuer_name(x, X509_get_subject_name(signer)) == 1, "X509_set_issuer_name");
  add_ext(x, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
  add_ext(x, signer, NID_subject_key_identifier, "hash");
  if (ca) add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  std::string san;
  if (!spec.dns_san.empty()) san = "DNS:" + spec.dns_san;
  if (!spec.email_san.empty()) san += (san.empty() ? "" : ",") + ("email:" + spec.email_san);
  if (!san.empty()) add_ext(x, signer, NID_subject_alt_name, san);
  check(X509_sign(x, signer_key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

template <typename Writer>
std::string write_pem(const std::string& path, Writer writer) {
  FILE* f = std::fopen(path.c_str(), "w");
  check(f != nullptr, "fopen");
  const bool ok = writer(f);
  std::fclose(f);
  check(ok, "PEM write");
  return path;
}

}  // namespace

TestPki::TestPki() {
  std::string templ = (std::filesystem::temp_directory_path() / "ringmq-tls-XXXXXX").string();
  check(mkdtemp(templ.data()) != nullptr, "mkdtemp");
  dir_ = templ;
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string TestPki::path(const std::string& name) const { return dir_ + "/" + name; }

Cert TestPki::make_ca(const std::string& cn) {
  Cert ca;
  ca.key = new_key();
  ca.serial = next_serial_++;
  CertSpec spec;
  spec.cn = cn;
  ca.cert = make_cert(ca.key.get(), nullptr, ca.key.get(), ca.serial, spec, true);
  return ca;
}

Cert TestPki::issue(const Cert& ca, const CertSpec& spec) {
  Cert leaf;
  leaf.key = new_key();
  leaf.serial = next_serial_++;
  leaf.cert = make_cert(leaf.key.get(), ca.cert.get(), ca.key.get(), leaf.serial, spec, false);
  return leaf;
}

std::string TestPki::write_cert(const Cert& cert, const std::string& name) const {
  return write_pem(path(name), [&](FILE* f) { return PEM_write_X509(f, cert.cert.get()) == 1; });
}

std::string TestPki::write_key(const Cert& cert, const std::string& name) const {
  return write_pem(path(name), [&](FILE* f) {
    return PEM_write_PrivateKey(f, cert.key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
}

std::string TestPki::write_crl(const Cert& ca, const std::vector<long>& revoked,
                               const std::string& name) const {
  X509_CRL* crl = X509_CRL_new();
  X509_CRL_set_version(crl, 1);
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca.cert.get()));
  ASN1_TIME* now = X509_gmtime_adj(nullptr, -60);
  ASN1_TIME* next = X509_gmtime_adj(nullptr, 86400);
  X509_CRL_set1_lastUpdate(crl, now);
  X509_CRL_set1_nextUpdate(crl, next);
  for (long serial : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, serial);
    X509_REVOKED_set_serialNumber(entry, number);
    X509_REVOKED_set_revocationDate(entry, now);
    X509_CRL_add0_revoked(crl, entry);
    ASN1_INTEGER_free(number);
  }
  X509_CRL_sort(crl);
  check(X509_CRL_sign(crl, ca.key.get(), EVP_sha256()) > 0, "X509_CRL_sign");
  ASN1_TIME_free(now);
  ASN1_TIME_free(next);
  std::string out = write_pem(path(name), [&](FILE* f) { return PEM_write_X509_CRL(f, crl) == 1; });
  X509_CRL_free(crl);
  return out;
}

std::string TestPki::write_text(const std::string& text, const std::string& name) const {
  std::ofstream(path(name), std::ios::trunc) << text;
  return path(name);
}

}  // namespace rmq::tls::testing
