// io_uring setup with graceful degradation, and kernel feature probing.
#pragma once

#include <liburing.h>

#include <cstdint>

#include "base/status.h"
#include "engine/config.h"

namespace rmq::engine {

// Sets up `ring` with `sq_entries` SQ entries and 8x as many CQ entries, trying `first` and then
// each weaker mode in turn when the kernel refuses the flags (EINVAL). Returns the mode used.
// When io_uring itself is unavailable (EPERM / ENOSYS: seccomp, kernel.io_uring_disabled) the
// status says so and how to allow it.
Result<RingSetupMode> setup_ring(io_uring* ring, std::uint32_t sq_entries, RingSetupMode first);

// The Status for an io_uring_setup failure with errno `err`.
Status ring_setup_error(int err);

// What this kernel supports, for the engine's start-up checks and for tests that skip.
struct KernelFeatures {
  bool io_uring = false;              // io_uring_setup works at all
  int setup_errno = 0;                // why not, when !io_uring
  bool defer_taskrun = false;         // SINGLE_ISSUER | DEFER_TASKRUN accepted (6.1+)
  bool coop_taskrun = false;          // COOP_TASKRUN accepted (5.19+)
  bool msg_ring = false;              // IORING_OP_MSG_RING (5.18+)
  bool provided_buffer_ring = false;  // IORING_REGISTER_PBUF_RING (5.19+)
  bool multishot_accept = false;      // 5.19+
  bool multishot_recv = false;        // 6.0+
  int kernel_major = 0;
  int kernel_minor = 0;
};

// Probes once (creates a few throw-away rings) and caches the answer; thread-safe.
const KernelFeatures& kernel_features();

// The first missing feature the engine needs, as a status; OK when all are present.
Status check_required_features(const KernelFeatures& features);

}  // namespace rmq::engine
