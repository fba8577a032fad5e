// TlsContext: builds the SSL_CTX a listener's configuration describes, and swaps in a rebuilt one
// on reload.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <mutex>
#include <utility>

#include "tls/tls_internal.h"

namespace rmq::tls {
namespace internal {
namespace {

// TLS 1.2: forward secrecy and AEAD only. PSK suites are added when a psk_file is set.
constexpr char kDefaultCiphers[] = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL";
constexpr char kPskCiphers[] =
    ":ECDHE-PSK-CHACHA20-POLY1305:PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:"
    "PSK-CHACHA20-POLY1305";
constexpr unsigned char kSessionIdContext[] = "ringmq";
constexpr unsigned char kAlpnProtocols[] = {4, 'm', 'q', 't', 't'};  // ALPN wire format

// Accepts "mqtt" when offered; a client offering only other protocols is refused
// (no_application_protocol). Not called when the client offers no ALPN.
int select_alpn(SSL* /*ssl*/, const unsigned char** out, unsigned char* outlen,
                const unsigned char* in, unsigned int inlen, void* /*arg*/) {
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kAlpnProtocols, sizeof(kAlpnProtocols), in, inlen) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

bool fail(std::string* error, std::string text) {
  *error = std::move(text);
  return false;
}

std::string quoted(const char* what, const std::string& path) {
  return std::string("tls: ") + what + " '" + path + "': ";
}

// Versions, ciphers, ALPN, buffers and session resumption.
bool set_protocol(SSL_CTX* ctx, const TlsConfig& config, std::string* error) {
  const int min = config.min_version == TlsVersion::kTls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
  SSL_CTX_set_min_proto_version(ctx, min);
  std::string ciphers = config.cipher_list;
  if (ciphers.empty()) {
    ciphers = kDefaultCiphers;
    if (!config.psk_file.empty()) ciphers += kPskCiphers;
  }
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    return fail(error, "tls: cipher_list '" + ciphers + "': " + take_error_reason("rejected"));
  }
  if (!config.ciphersuites.empty() &&
      SSL_CTX_set_ciphersuites(ctx, config.ciphersuites.c_str()) != 1) {
    return fail(
        error, "tls: ciphersuites '" + config.ciphersuites + "': " + take_error_reason("rejected"));
  }
  SSL_CTX_set_options(
      ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // An idle session gives its 16 KiB read and write buffers back (47 -> 30 KB RSS per idle TLS
  // connection); a busy one takes them again per burst, at no measured cost to TLS fan-in.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  // Resumption by stateless tickets only: no server-side cache shared by the shards. The
  // ticket keys are this SSL_CTX's, so a reload (new CA or CRL) invalidates earlier tickets.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof(kSessionIdContext) - 1);
  if (config.session_tickets) {
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 1);
  } else {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
  }
  return true;
}

// The server certificate chain and its key.
bool load_identity(SSL_CTX* ctx, const TlsConfig& config, std::string* error) {
  if (config.cert_file.empty()) {
    if (!config.key_file.empty()) return fail(error, "tls: key_file given without cert_file");
    if (config.psk_file.empty()) return fail(error, "tls: needs cert_file or psk_file");
    return true;
  }
  if (config.key_file.empty()) return fail(error, "tls: cert_file given without key_file");
  if (SSL_CTX_use_certificate_chain_file(ctx, config.cert_file.c_str()) != 1) {
    return fail(error, quoted("cert_file", config.cert_file) + take_error_reason("unreadable"));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(error, quoted("key_file", config.key_file) + take_error_reason("unreadable"));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return fail(error, quoted("key_file", config.key_file) + "does not match cert_file '" +
                           config.cert_file + "': " + take_error_reason("key mismatch"));
  }
  return true;
}

// The CA that signs client certificates, and the CRL checked against them.
bool load_client_ca(SSL_CTX* ctx, const TlsConfig& config, std::string* error) {
  if (config.require_client_cert && !config.psk_file.empty()) {
    // TLS 1.2 PSK suites never ask for a certificate, TLS 1.3 PSK handshakes would always fail.
    return fail(error, "tls: require_client_cert cannot be combined with psk_file");
  }
  if (config.ca_file.empty()) {
    if (config.require_client_cert) return fail(error, "tls: require_client_cert needs ca_file");
    if (!config.crl_file.empty()) return fail(error, "tls: crl_file needs ca_file");
    return true;
  }
  if (SSL_CTX_load_verify_locations(ctx, config.ca_file.c_str(), nullptr) != 1) {
    return fail(error, quoted("ca_file", config.ca_file) + take_error_reason("unreadable"));
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(config.ca_file.c_str());
  if (names == nullptr) {
    return fail(error, quoted("ca_file", config.ca_file) + take_error_reason("no certificate"));
  }
  SSL_CTX_set_client_CA_list(ctx, names);
  int mode = SSL_VERIFY_PEER;
  if (config.require_client_cert) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(ctx, mode, nullptr);
  if (config.crl_file.empty()) return true;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  X509_LOOKUP* lookup = X509_STORE_add_lookup(store, X509_LOOKUP_file());
  if (lookup == nullptr ||
      X509_load_crl_file(lookup, config.crl_file.c_str(), X509_FILETYPE_PEM) <= 0) {
    return fail(error, quoted("crl_file", config.crl_file) + take_error_reason("no CRL found"));
  }
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return true;
}

bool load_psk(CtxState* state, const TlsConfig& config, std::string* error) {
  if (config.psk_file.empty()) return true;
  if (!state->psk.load(config.psk_file, error)) return false;
  if (!config.psk_hint.empty() &&
      SSL_CTX_use_psk_identity_hint(state->ctx, config.psk_hint.c_str()) != 1) {
    return fail(error, "tls: psk_hint: " + take_error_reason("rejected"));
  }
  install_psk_callbacks(state->ctx);
  return true;
}

}  // namespace

CtxState::~CtxState() { SSL_CTX_free(ctx); }

std::shared_ptr<CtxState> build_ctx_state(const TlsConfig& config, std::string* error) {
  ERR_clear_error();
  auto state = std::make_shared<CtxState>();
  state->ctx = SSL_CTX_new(TLS_server_method());
  if (state->ctx == nullptr) {
    *error = "tls: SSL_CTX_new: " + take_error_reason("out of memory");
    return nullptr;
  }
  SSL_CTX_set_app_data(state->ctx, state.get());
  const bool ok = set_protocol(state->ctx, config, error) &&
                  load_identity(state->ctx, config, error) &&
                  load_client_ca(state->ctx, config, error) && load_psk(state.get(), config, error);
  ERR_clear_error();
  if (!ok) return nullptr;
  return state;
}

}  // namespace internal

struct TlsContext::Impl {
  TlsConfig config;
  std::mutex mu;
  std::shared_ptr<const internal::CtxState> current;  // guarded by mu
};

Result<std::shared_ptr<TlsContext>> TlsContext::create(const TlsConfig& config) {
  std::string error;
  std::shared_ptr<internal::CtxState> state = internal::build_ctx_state(config, &error);
  if (state == nullptr) {
    return Status(StatusCode::kInvalidArgument, internal::intern_message(error));
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->current = std::move(state);
  return std::shared_ptr<TlsContext>(new TlsContext(std::move(impl)));
}

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

std::unique_ptr<TlsSession> TlsContext::new_session() {
  std::shared_ptr<const internal::CtxState> state;
  {
    std::lock_guard lock(impl_->mu);
    state = impl_->current;
  }
  return internal::make_session(std::move(state));
}

Status TlsContext::reload() {
  std::string error;
  std::shared_ptr<const internal::CtxState> state =
      internal::build_ctx_state(impl_->config, &error);
  if (state == nullptr) {
    return Status(StatusCode::kInvalidArgument, internal::intern_message(error));
  }
  {
    std::lock_guard lock(impl_->mu);
    impl_->current.swap(state);
  }
  return OkStatus();  // the previous state is released here, outside the lock
}

const TlsConfig& TlsContext::config() const { return impl_->config; }

}  // namespace rmq::tls
