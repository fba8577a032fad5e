// TLS for the engine's connections: a server configuration (TlsContext) and one TLS session per
// connection (TlsSession) over OpenSSL memory BIOs. tls/ does no I/O: the engine feeds the
// ciphertext it received, takes the ciphertext to send, and moves plaintext in and out.
//
// Threading: a TlsContext is shared by every shard. new_session() and reload() may be called
// from any thread at once (reload swaps the SSL_CTX atomically; sessions made before keep the
// configuration they started with). A TlsSession belongs to one connection on one shard thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace rmq::tls {

enum class TlsVersion : std::uint8_t { kTls12, kTls13 };

// What a TLS listener is configured with (the --tls-* and --psk-* flags).
struct TlsConfig {
  std::string cert_file;  // PEM certificate chain (server certificate first); may be empty with
  std::string key_file;   // a PSK file (PSK-only listener); PEM private key
  std::string ca_file;    // PEM CA bundle for client certificates; empty: no client certificates
  std::string crl_file;   // PEM CRL checked against client certificates; empty: none
  bool require_client_cert = false;  // refuse clients without a valid certificate (needs
                                     // ca_file; not with psk_file)
  TlsVersion min_version = TlsVersion::kTls12;
  std::string cipher_list;   // TLS 1.2 ciphers (OpenSSL syntax); empty: a sane default
  std::string ciphersuites;  // TLS 1.3 suites; empty: OpenSSL's default
  std::string psk_file;      // lines "identity:hexkey"; empty: no PSK
  std::string psk_hint;      // TLS 1.2 PSK identity hint; may be empty
  bool session_tickets = true;
};

// Why a handshake or a record failed, for counters and log lines.
enum class TlsFailure : std::uint8_t {
  kNone,
  kProtocol,     // not TLS, bad record, unsupported version, no shared cipher, bad ALPN
  kCertificate,  // client certificate missing, expired, revoked or not signed by the CA
  kPsk,          // unknown PSK identity or wrong key
  kClosed,       // the peer sent close_notify
};

// The peer as the handshake established it.
struct TlsPeer {
  std::string cert_identity;  // verified client certificate: the subject CN, or failing that
                              // the first DNS/email SAN; empty without a certificate
  std::string psk_identity;   // the PSK identity used; empty when not a PSK handshake
  std::string alpn;           // the negotiated ALPN protocol ("mqtt"); empty when none
  std::string version;        // "TLSv1.3", "TLSv1.2"
  std::string cipher;         // OpenSSL cipher name
  bool resumed = false;       // the handshake resumed an earlier session (ticket)
};

class TlsSession;

class TlsContext {
 public:
  // Loads and checks everything `config` names (files readable, key matches certificate, PSK
  // lines well formed). The message names the file and the problem; like every message of
  // create() and reload(), it is kept for the life of the process (each distinct text once).
  static Result<std::shared_ptr<TlsContext>> create(const TlsConfig& config);
  ~TlsContext();

  // A server session in its handshake, using the current configuration (nullptr only when
  // OpenSSL cannot allocate one).
  std::unique_ptr<TlsSession> new_session();

  // Reloads the certificate, key, CA, CRL and PSK file from the same paths. On failure the
  // current configuration stays in use and the status says why.
  Status reload();

  const TlsConfig& config() const;

 private:
  struct Impl;
  explicit TlsContext(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

enum class TlsIo : std::uint8_t {
  kOk,        // progress made (or nothing to do)
  kWantRead,  // needs more ciphertext from the peer
  kClosed,    // the peer closed the TLS session (close_notify)
  kFailed,    // fatal: see failure() and error(); send pending ciphertext (an alert), then close
};

// One server-side TLS session. Hot path methods do not allocate once the session's buffers have
// grown to their working size.
class TlsSession {
 public:
  virtual ~TlsSession() = default;

  // Ciphertext received from the peer (all of it is taken).
  virtual void feed(std::span<const std::byte> ciphertext) = 0;

  // Advances the handshake with what was fed. kOk once it is complete (handshake_done()).
  virtual TlsIo handshake() = 0;
  virtual bool handshake_done() const = 0;

  // Decrypts into `out`: sets *produced (0 with kWantRead when no whole record is buffered).
  virtual TlsIo read(std::span<std::byte> out, std::size_t* produced) = 0;

  // Encrypts all of `plaintext` (one or more records) into the outgoing ciphertext. Before the
  // handshake is done it advances the handshake instead and takes nothing unless that completes.
  virtual TlsIo write(std::span<const std::byte> plaintext) = 0;

  // Outgoing ciphertext (handshake messages, records, alerts) waiting to be sent.
  virtual std::size_t pending_ciphertext() const = 0;
  // Moves up to out.size() bytes of it into `out`; returns how many.
  virtual std::size_t take_ciphertext(std::span<std::byte> out) = 0;

  // Queues close_notify (to be taken as ciphertext).
  virtual void shutdown() = 0;

  // After the handshake.
  virtual const TlsPeer& peer() const = 0;
  // After kFailed.
  virtual TlsFailure failure() const = 0;
  virtual std::string_view error() const = 0;  // OpenSSL's reason, for one log line
};

// The OpenSSL library's version string, for the start-up log line.
std::string_view openssl_version();

}  // namespace rmq::tls
