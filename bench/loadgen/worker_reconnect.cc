// Worker: the reconnect scenario. From the warm-up on, each client that gets its CONNACK sends
// DISCONNECT, closes (TLS: close_notify first, so its session stays resumable) and connects again
// at once; each reconnection's setup time (connect() to CONNACK) and whether its TLS handshake
// resumed a session are recorded.
#include <unistd.h>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/worker.h"

namespace rmq::loadgen {

bool Worker::churning() const {
  if (o_.scenario != Scenario::kReconnect) return false;
  const Phase phase = run_.phase.load(std::memory_order_relaxed);
  return phase == Phase::kWarmup || phase == Phase::kMeasure;
}

void Worker::reconnect(Client& c) {
  c.reconnect_due = false;
  if (c.fd >= 0) {
    if (c.state == ClientState::kReady && append_disconnect(c.out, version_)) {
      c.writable = true;
      flush(c);
    }
    if (c.fd < 0) return;  // flush failed: closed and counted
    tls_close_notify(c.ssl);
    tls_free(c.ssl);
    c.ssl = nullptr;
    ::close(c.fd);
    c.fd = -1;
  }
  c.in.clear();
  c.out.clear();
  c.readable = c.writable = false;
  c.reconnecting = true;
  c.started_ns = c.last_send_ns = monotonic_ns();
  if (!open_socket(c)) {
    const char* none = nullptr;
    stats_.first_failure.compare_exchange_strong(none, "socket, bind or connect() failed",
                                                 std::memory_order_relaxed);
    stats_.reconnect_failed.add();
    c.state = ClientState::kClosed;
    return;
  }
  ++connecting_;
}

}  // namespace rmq::loadgen
