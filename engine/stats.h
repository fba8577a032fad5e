// ShardStats: one shard's counters. Written by the shard's thread only; readable from any thread.
#pragma once

#include "base/counter.h"

namespace rmq::engine {

struct ShardStats {
  // Connections.
  Gauge connections;  // open now (any state before freed)
  Counter accepted;
  Counter rejected_over_limit;  // accepted and closed at once: over max_connections
  Counter accept_errors;
  Counter closed;
  Counter flush_timeouts;   // flushing closes aborted after close_flush_timeout
  Gauge lingering;          // closed for the layer above, FIN sent, waiting for the peer's EOF
  Counter lingered;         // lingering closes begun
  Counter linger_timeouts;  // lingering closes ended by EngineConfig::linger_timeout

  // Receive.
  Counter recv_completions;
  Counter recv_bytes;
  Counter enobufs;           // multishot recv stopped: the buffer ring ran dry
  Counter recv_rearms;       // multishot recv armed again after it stopped
  Counter reassembly_bytes;  // bytes copied into reassembly tails
  Counter discarded_bytes;   // received after the connection began closing; never delivered

  // Send.
  Gauge queued_bytes;  // bytes queued on all connections, not yet sent
  Counter sendmsg_calls;
  Counter send_bytes;
  Counter partial_sends;  // sendmsg completions that sent less than offered
  Counter send_rejected;  // Shard::send over max_queued_bytes_per_conn

  // TLS.
  Counter tls_handshakes;          // handshakes completed
  Counter tls_resumed;             // of which resumed an earlier session (ticket)
  Counter tls_handshake_failures;  // handshakes refused (not TLS, bad certificate, wrong PSK, ...)
  Counter
      tls_handshake_timeouts;  // handshakes not completed in EngineConfig::tls_handshake_timeout
  Counter tls_record_errors;   // connections closed on a bad record after the handshake

  // Log files (LogFile).
  Counter log_bytes_written;
  Counter log_writes;          // writev submitted
  Counter log_partial_writes;  // writes that wrote less than offered (the rest is written next)
  Counter log_syncs;           // fdatasync completed
  Counter log_errors;          // failed writes (retried) and failed syncs

  // Mailboxes.
  Counter mailbox_posted;
  Counter mailbox_received;
  Counter mailbox_full;  // post() refused: the destination queue was full
  Counter wakeups_sent;  // IORING_OP_MSG_RING sent

  // Loop.
  Counter timers_fired;
  Counter loop_turns;
  Counter waits;  // turns that blocked in io_uring_enter waiting for completions
};

}  // namespace rmq::engine
