// Internal to tls/: the state behind one SSL_CTX, the PSK table and the helpers the .cc files
// share. Not part of the module's API.
#pragma once

#include <openssl/ssl.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "tls/tls.h"

namespace rmq::tls::internal {

// The identities and keys of one psk_file. Immutable once loaded; keys are wiped on destruction.
class PskTable {
 public:
  PskTable() = default;
  ~PskTable();
  PskTable(const PskTable&) = delete;
  PskTable& operator=(const PskTable&) = delete;

  // Parses `path` (Mosquitto psk_file format: "identity:hexkey" per line, '#' comments and blank
  // lines ignored). False with a one-line `*error` naming the file and line otherwise.
  bool load(const std::string& path, std::string* error);

  // The key of `identity`, or nullptr.
  const std::string* find(std::string_view identity) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> keys_;  // identity -> raw key bytes
};

// One SSL_CTX and what its callbacks read (SSL_CTX app data points here). Shared, read-only, by
// the context that built it and every session made from it; freed when the last one goes.
struct CtxState {
  ~CtxState();
  SSL_CTX* ctx = nullptr;
  PskTable psk;
};

// What the PSK callbacks of one SSL tell its session (SSL app data points here).
struct HandshakeNotes {
  std::string psk_identity;  // TLS 1.3: the external PSK identity the client proved
  bool psk_found = false;    // a known identity was offered (its key may still be wrong)
  bool psk_unknown = false;  // an identity not in the table was offered
};

// Builds the SSL_CTX `config` describes. Null with a one-line `*error` (naming the file and
// OpenSSL's reason) on failure.
std::shared_ptr<CtxState> build_ctx_state(const TlsConfig& config, std::string* error);

// Installs the TLS 1.2 and TLS 1.3 PSK server callbacks on `ctx` (whose app data is a CtxState).
void install_psk_callbacks(SSL_CTX* ctx);

// The session over `state` (nullptr when OpenSSL cannot allocate it).
std::unique_ptr<TlsSession> make_session(std::shared_ptr<const CtxState> state);

// The reason of the first queued OpenSSL error ("No such file or directory"), or `fallback` when
// the queue is empty. Clears the calling thread's error queue.
std::string take_error_reason(std::string_view fallback);

// ERR_error_string_n of the first queued error, or `fallback`. Clears the error queue.
std::string take_error_string(std::string_view fallback);

// A copy of `text` with static storage duration, for Status messages: each distinct text is kept
// once for the life of the process (error paths only; reloads failing the same way reuse it).
const char* intern_message(std::string_view text);

}  // namespace rmq::tls::internal
