// TlsSession over two memory BIOs: the engine feeds the read BIO and drains the write BIO.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstring>

#include "tls/tls_internal.h"

namespace rmq::tls::internal {
namespace {

constexpr std::size_t kMaxBioChunk = INT_MAX;

// `data` as an identity, or empty when it holds a NUL (which could hide a suffix from a log or an
// ACL while matching another name).
std::string identity_text(const unsigned char* data, int len) {
  if (data == nullptr || len <= 0 || std::memchr(data, 0, static_cast<std::size_t>(len))) {
    return {};
  }
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(len));
}

// The subject CN, or failing that the first DNS or email subjectAltName.
std::string certificate_identity(X509* cert) {
  X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index >= 0) {
    unsigned char* utf8 = nullptr;
    const int len =
        ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index)));
    std::string cn = identity_text(utf8, len);
    OPENSSL_free(utf8);
    if (!cn.empty()) return cn;
  }
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  std::string san;
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_DNS && name->type != GEN_EMAIL) continue;
    san = identity_text(ASN1_STRING_get0_data(name->d.ia5), ASN1_STRING_length(name->d.ia5));
    if (!san.empty()) break;
  }
  GENERAL_NAMES_free(names);
  return san;
}

bool is_certificate_reason(int reason) {
  switch (reason) {
    case SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE:
    case SSL_R_CERTIFICATE_VERIFY_FAILED:
    case SSL_R_NO_CERTIFICATES_RETURNED: return true;
    default: return false;
  }
}

bool is_psk_reason(int reason) {
  return reason == SSL_R_PSK_IDENTITY_NOT_FOUND || reason == SSL_R_BINDER_DOES_NOT_VERIFY;
}

class BioSession final : public TlsSession {
 public:
  BioSession(std::shared_ptr<const CtxState> state, SSL* ssl, BIO* rbio, BIO* wbio)
      : state_(std::move(state)), ssl_(ssl), rbio_(rbio), wbio_(wbio) {
    SSL_set_app_data(ssl_, &notes_);
  }
  ~BioSession() override { SSL_free(ssl_); }  // frees both BIOs
  BioSession(const BioSession&) = delete;
  BioSession& operator=(const BioSession&) = delete;

  void feed(std::span<const std::byte> ciphertext) override;
  TlsIo handshake() override;
  bool handshake_done() const override { return done_; }
  TlsIo read(std::span<std::byte> out, std::size_t* produced) override;
  TlsIo write(std::span<const std::byte> plaintext) override;
  std::size_t pending_ciphertext() const override { return BIO_ctrl_pending(wbio_); }
  std::size_t take_ciphertext(std::span<std::byte> out) override;
  void shutdown() override;
  const TlsPeer& peer() const override { return peer_; }
  TlsFailure failure() const override { return failure_; }
  std::string_view error() const override { return error_; }

 private:
  // Maps a failed SSL call's result; records a terminal state. Clears the error queue.
  TlsIo on_error(int rc);
  void record_failure(int ssl_error);
  TlsFailure classify(unsigned long code) const;
  void fill_peer();

  std::shared_ptr<const CtxState> state_;  // keeps the SSL_CTX and its PSK table alive
  SSL* ssl_;
  BIO* rbio_;  // ciphertext from the peer (owned by ssl_)
  BIO* wbio_;  // ciphertext to the peer (owned by ssl_)
  HandshakeNotes notes_;
  TlsPeer peer_;
  bool done_ = false;
  TlsIo terminal_ = TlsIo::kOk;  // kClosed or kFailed once reached: every later call returns it
  TlsFailure failure_ = TlsFailure::kNone;
  std::string error_;
};

void BioSession::feed(std::span<const std::byte> ciphertext) {
  while (!ciphertext.empty()) {
    const std::size_t chunk = std::min(ciphertext.size(), kMaxBioChunk);
    const int n = BIO_write(rbio_, ciphertext.data(), static_cast<int>(chunk));
    if (n <= 0) {  // out of memory: the stream is broken
      ERR_clear_error();
      terminal_ = TlsIo::kFailed;
      failure_ = TlsFailure::kProtocol;
      error_ = "cannot buffer received ciphertext";
      return;
    }
    ciphertext = ciphertext.subspan(static_cast<std::size_t>(n));
  }
}

TlsIo BioSession::handshake() {
  if (terminal_ != TlsIo::kOk) return terminal_;
  if (done_) return TlsIo::kOk;
  ERR_clear_error();  // our calls leave the queue empty; this also drops anything left by others
  const int rc = SSL_do_handshake(ssl_);
  if (rc != 1) return on_error(rc);
  done_ = true;
  fill_peer();
  ERR_clear_error();
  return TlsIo::kOk;
}

TlsIo BioSession::read(std::span<std::byte> out, std::size_t* produced) {
  *produced = 0;
  if (!done_ || terminal_ != TlsIo::kOk) {
    const TlsIo io = handshake();
    if (io != TlsIo::kOk) return io;
  }
  std::size_t total = 0;
  while (total < out.size()) {
    std::size_t n = 0;
    const int rc = SSL_read_ex(ssl_, out.data() + total, out.size() - total, &n);
    if (rc == 1) {
      total += n;
      continue;
    }
    const TlsIo io = on_error(rc);
    if (total == 0) return io;
    break;  // a terminal state is returned by the next call, after this data
  }
  *produced = total;
  return TlsIo::kOk;
}

TlsIo BioSession::write(std::span<const std::byte> plaintext) {
  if (!done_ || terminal_ != TlsIo::kOk) {
    const TlsIo io = handshake();
    if (io != TlsIo::kOk) return io;
  }
  while (!plaintext.empty()) {
    std::size_t n = 0;
    const int rc = SSL_write_ex(ssl_, plaintext.data(), plaintext.size(), &n);
    if (rc != 1) return on_error(rc);
    plaintext = plaintext.subspan(n);
  }
  return TlsIo::kOk;
}

std::size_t BioSession::take_ciphertext(std::span<std::byte> out) {
  const std::size_t want = std::min(out.size(), kMaxBioChunk);
  if (want == 0) return 0;
  const int n = BIO_read(wbio_, out.data(), static_cast<int>(want));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

void BioSession::shutdown() {
  if (done_ && terminal_ != TlsIo::kFailed) SSL_shutdown(ssl_);
  ERR_clear_error();
}

TlsIo BioSession::on_error(int rc) {
  const int ssl_error = SSL_get_error(ssl_, rc);
  switch (ssl_error) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:  // not with memory BIOs; the caller sends what is pending anyway
      ERR_clear_error();
      return TlsIo::kWantRead;
    case SSL_ERROR_ZERO_RETURN:
      ERR_clear_error();
      terminal_ = TlsIo::kClosed;
      failure_ = TlsFailure::kClosed;
      error_ = "close_notify";
      return TlsIo::kClosed;
    default: record_failure(ssl_error); return TlsIo::kFailed;
  }
}

void BioSession::record_failure(int ssl_error) {
  terminal_ = TlsIo::kFailed;
  const long verify = SSL_get_verify_result(ssl_);
  if (verify != X509_V_OK) {
    failure_ = TlsFailure::kCertificate;
    error_ = X509_verify_cert_error_string(verify);
    ERR_clear_error();
    return;
  }
  const unsigned long code = ERR_peek_error();
  failure_ = classify(code);
  error_ = take_error_string(ssl_error == SSL_ERROR_SYSCALL ? "unexpected end of stream"
                                                            : "TLS failure");
  if (failure_ == TlsFailure::kPsk && notes_.psk_unknown && !notes_.psk_found &&
      ERR_GET_REASON(code) != SSL_R_PSK_IDENTITY_NOT_FOUND) {
    // TLS 1.3 goes on without the unknown identity and fails later for another reason.
    error_ = "psk identity not found (" + error_ + ")";
  }
}

TlsFailure BioSession::classify(unsigned long code) const {
  const int reason = ERR_GET_LIB(code) == ERR_LIB_SSL ? ERR_GET_REASON(code) : 0;
  if (is_certificate_reason(reason)) return TlsFailure::kCertificate;
  if (is_psk_reason(reason)) return TlsFailure::kPsk;
  if (!done_) {
    // A known identity with the wrong key fails the TLS 1.2 Finished MAC. An unknown TLS 1.3
    // identity (and not a resumption ticket) leaves a PSK-only listener with nothing to offer.
    if (notes_.psk_found && reason == SSL_R_DECRYPTION_FAILED_OR_BAD_RECORD_MAC) {
      return TlsFailure::kPsk;
    }
    if (notes_.psk_unknown && !notes_.psk_found && SSL_session_reused(ssl_) == 0) {
      return TlsFailure::kPsk;
    }
  }
  return TlsFailure::kProtocol;
}

void BioSession::fill_peer() {
  if (X509* cert = SSL_get0_peer_certificate(ssl_);
      cert != nullptr && SSL_get_verify_result(ssl_) == X509_V_OK) {
    peer_.cert_identity = certificate_identity(cert);
  }
  if (const char* identity = SSL_get_psk_identity(ssl_); identity != nullptr) {
    peer_.psk_identity = identity;
  } else if (!notes_.psk_identity.empty()) {
    peer_.psk_identity = notes_.psk_identity;  // TLS 1.3 external PSK
  }
  const unsigned char* alpn = nullptr;
  unsigned int alpn_len = 0;
  SSL_get0_alpn_selected(ssl_, &alpn, &alpn_len);
  if (alpn != nullptr) peer_.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_len);
  peer_.version = SSL_get_version(ssl_);
  peer_.cipher = SSL_get_cipher_name(ssl_);
  // OpenSSL counts a TLS 1.3 external PSK handshake as reused; only a ticket is a resumption.
  peer_.resumed = SSL_session_reused(ssl_) != 0 && notes_.psk_identity.empty();
}

}  // namespace

std::unique_ptr<TlsSession> make_session(std::shared_ptr<const CtxState> state) {
  SSL* ssl = SSL_new(state->ctx);
  BIO* rbio = BIO_new(BIO_s_mem());
  BIO* wbio = BIO_new(BIO_s_mem());
  if (ssl == nullptr || rbio == nullptr || wbio == nullptr) {
    SSL_free(ssl);
    BIO_free(rbio);
    BIO_free(wbio);
    ERR_clear_error();
    return nullptr;
  }
  BIO_set_mem_eof_return(rbio, -1);  // an empty read BIO means "more to come", not EOF
  SSL_set_bio(ssl, rbio, wbio);
  SSL_set_accept_state(ssl);
  return std::make_unique<BioSession>(std::move(state), ssl, rbio, wbio);
}

}  // namespace rmq::tls::internal
