// TLS for load generator connections (OpenSSL, client side, non-blocking sockets).
//
// One TlsClientContext per run, built before the workers start and only read afterwards (SSL_new
// on an SSL_CTX is safe from several threads). Each connection's SSL object belongs to the
// worker that owns the connection. The I/O helpers map OpenSSL's results onto what the worker's
// edge-triggered loop needs: bytes moved, "wait for the socket", or closed.
#pragma once

#include <cstdint>
#include <span>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace rmq::loadgen {

struct Options;

class TlsClientContext {
 public:
  TlsClientContext() = default;
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // Loads --cafile (or the system's CAs), --cert/--key; false with `error` set on failure.
  bool init(const Options& o, std::string* error);
  // A client session on connected socket `fd`, verifying the broker's name unless --insecure.
  SSL* new_session(int fd) const;

 private:
  SSL_CTX* ctx_ = nullptr;
  std::string host_;
  bool verify_ = true;
};

enum class TlsIo : std::uint8_t { kDone, kWantRead, kWantWrite, kClosed };

// Advances the handshake; kDone once it is complete.
TlsIo tls_handshake(SSL* ssl);
// Reads or writes some bytes; *n is how many when kDone.
TlsIo tls_read(SSL* ssl, std::span<std::uint8_t> into, std::size_t* n);
TlsIo tls_write(SSL* ssl, std::span<const std::uint8_t> from, std::size_t* n);
void tls_free(SSL* ssl);

}  // namespace rmq::loadgen
