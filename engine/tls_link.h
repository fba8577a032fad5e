// TlsLink: the TLS state of one connection accepted on a TLS listener, kept beside the
// connection's slot (Shard::tls_links_) so plain connections pay nothing for it.
//
// The session turns ciphertext received into plaintext for the handler and the handler's
// plaintext into ciphertext. Plaintext the handler sends waits in `plain` until the end of the
// loop turn, when it is encrypted in records of up to 16 KiB (so many small packets share one
// record) and the ciphertext joins the connection's send queue.
#pragma once

#include <memory>

#include "base/clock.h"
#include "engine/send_queue.h"
#include "tls/tls.h"

namespace rmq::engine {

struct TlsLink {
  std::unique_ptr<tls::TlsSession> session;
  std::unique_ptr<SendQueue> plain;  // plaintext not yet encrypted; null while empty
  MonoTime handshake_deadline{};     // the handshake must complete before this
  bool close_notify_sent = false;
};

}  // namespace rmq::engine
