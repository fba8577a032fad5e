#include "bench/loadgen/tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "bench/loadgen/options.h"

namespace rmq::loadgen {
namespace {

std::string last_error(const char* what) {
  char text[256];
  ERR_error_string_n(ERR_get_error(), text, sizeof(text));
  return std::string(what) + ": " + text;
}

// Stores each session the broker issues into the connection's TlsSessionSlot (its app data);
// returns 1: the slot keeps the reference.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<TlsSessionSlot*>(SSL_get_app_data(ssl));
  if (slot == nullptr) return 0;
  slot->reset(session);
  return 1;
}

TlsIo classify(SSL* ssl, int rc) {
  switch (SSL_get_error(ssl, rc)) {
    case SSL_ERROR_WANT_READ: return TlsIo::kWantRead;
    case SSL_ERROR_WANT_WRITE: return TlsIo::kWantWrite;
    default: ERR_clear_error(); return TlsIo::kClosed;
  }
}

}  // namespace

TlsSessionSlot::~TlsSessionSlot() { reset(); }

TlsSessionSlot& TlsSessionSlot::operator=(TlsSessionSlot&& other) noexcept {
  if (this != &other) {
    reset(other.session_);
    other.session_ = nullptr;
  }
  return *this;
}

void TlsSessionSlot::reset(SSL_SESSION* s) {
  if (session_ != nullptr) SSL_SESSION_free(session_);
  session_ = s;
}

TlsClientContext::~TlsClientContext() {
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
}

bool TlsClientContext::init(const Options& o, std::string* error) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (ctx_ == nullptr) {
    *error = last_error("--tls");
    return false;
  }
  SSL_CTX_set_mode(ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // Sessions go to the connection's slot (on_new_session), never to a shared cache.
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx_, on_new_session);
  verify_ = !o.insecure;
  host_ = o.host;
  const int loaded = o.cafile.empty()
                         ? SSL_CTX_set_default_verify_paths(ctx_)
                         : SSL_CTX_load_verify_locations(ctx_, o.cafile.c_str(), nullptr);
  if (loaded != 1 && verify_) {
    *error = last_error("--cafile");
    return false;
  }
  SSL_CTX_set_verify(ctx_, verify_ ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  if (!o.cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, o.cert.c_str()) != 1) {
      *error = last_error("--cert");
      return false;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx_, o.key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx_) != 1) {
      *error = last_error("--key");
      return false;
    }
  }
  return true;
}

SSL* TlsClientContext::new_session(int fd, TlsSessionSlot* resume) const {
  SSL* ssl = SSL_new(ctx_);
  if (ssl == nullptr) return nullptr;
  SSL_set_fd(ssl, fd);
  if (resume != nullptr) {
    SSL_set_app_data(ssl, resume);
    if (resume->get() != nullptr) SSL_set_session(ssl, resume->get());
  }
  SSL_set_connect_state(ssl);
  in6_addr ip{};
  const bool is_ip =
      inet_pton(AF_INET, host_.c_str(), &ip) == 1 || inet_pton(AF_INET6, host_.c_str(), &ip) == 1;
  if (!is_ip) SSL_set_tlsext_host_name(ssl, host_.c_str());
  if (verify_) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok = is_ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host_.c_str())
                         : X509_VERIFY_PARAM_set1_host(param, host_.c_str(), 0);
    if (ok != 1) {
      SSL_free(ssl);
      return nullptr;
    }
  }
  return ssl;
}

TlsIo tls_handshake(SSL* ssl) {
  const int rc = SSL_do_handshake(ssl);
  return rc == 1 ? TlsIo::kDone : classify(ssl, rc);
}

TlsIo tls_read(SSL* ssl, std::span<std::uint8_t> into, std::size_t* n) {
  const int rc = SSL_read(ssl, into.data(), static_cast<int>(into.size()));
  if (rc > 0) {
    *n = static_cast<std::size_t>(rc);
    return TlsIo::kDone;
  }
  return classify(ssl, rc);
}

TlsIo tls_write(SSL* ssl, std::span<const std::uint8_t> from, std::size_t* n) {
  const int rc = SSL_write(ssl, from.data(), static_cast<int>(from.size()));
  if (rc > 0) {
    *n = static_cast<std::size_t>(rc);
    return TlsIo::kDone;
  }
  return classify(ssl, rc);
}

bool tls_resumed(SSL* ssl) { return ssl != nullptr && SSL_session_reused(ssl) == 1; }

void tls_close_notify(SSL* ssl) {
  if (ssl == nullptr) return;
  if (SSL_shutdown(ssl) < 0) ERR_clear_error();
}

void tls_free(SSL* ssl) {
  if (ssl != nullptr) SSL_free(ssl);
}

}  // namespace rmq::loadgen
