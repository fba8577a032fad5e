// TLS for load generator connections (OpenSSL, client side, non-blocking sockets).
//
// One TlsClientContext per run, built before the workers start and only read afterwards (SSL_new
// on an SSL_CTX is safe from several threads). Each connection's SSL object belongs to the
// worker that owns the connection. The I/O helpers map OpenSSL's results onto what the worker's
// edge-triggered loop needs: bytes moved, "wait for the socket", or closed.
//
// Resumption (--tls-resume): a connection made with a TlsSessionSlot offers the session the slot
// holds, and every session the broker issues on that connection (a TLS 1.3 ticket, a TLS 1.2
// session) replaces the slot's content. The slot belongs to the same worker as the connection and
// must outlive the SSL object.
#pragma once

#include <cstdint>
#include <span>
#include <string>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_session_st SSL_SESSION;

namespace rmq::loadgen {

struct Options;

// Owns at most one SSL_SESSION reference. Move-only.
class TlsSessionSlot {
 public:
  TlsSessionSlot() = default;
  ~TlsSessionSlot();
  TlsSessionSlot(TlsSessionSlot&& other) noexcept : session_(other.session_) {
    other.session_ = nullptr;
  }
  TlsSessionSlot& operator=(TlsSessionSlot&& other) noexcept;
  TlsSessionSlot(const TlsSessionSlot&) = delete;
  TlsSessionSlot& operator=(const TlsSessionSlot&) = delete;

  SSL_SESSION* get() const { return session_; }
  // Takes over the reference `s` carries, releasing the previous one.
  void reset(SSL_SESSION* s = nullptr);

 private:
  SSL_SESSION* session_ = nullptr;
};

class TlsClientContext {
 public:
  TlsClientContext() = default;
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  // Loads --cafile (or the system's CAs), --cert/--key; false with `error` set on failure.
  bool init(const Options& o, std::string* error);
  // A client session on connected socket `fd`, verifying the broker's name unless --insecure.
  // With `resume`, offers the session it holds and stores the ones the broker issues there.
  SSL* new_session(int fd, TlsSessionSlot* resume = nullptr) const;

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
// True when the completed handshake resumed an earlier session.
bool tls_resumed(SSL* ssl);
// Sends close_notify (without waiting for the broker's), so the session stays resumable.
void tls_close_notify(SSL* ssl);
void tls_free(SSL* ssl);

}  // namespace rmq::loadgen
