#include "engine/ring.h"

#include <sys/mman.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstdio>

namespace rmq::engine {
namespace {

unsigned setup_flags(RingSetupMode mode) {
  switch (mode) {
    case RingSetupMode::kSingleIssuerDeferTaskrun:
      return IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    case RingSetupMode::kCoopTaskrun: return IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    case RingSetupMode::kPlain: return 0;
  }
  return 0;
}

int try_setup(io_uring* ring, std::uint32_t sq_entries, RingSetupMode mode) {
  io_uring_params params{};
  params.flags = setup_flags(mode) | IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
  params.cq_entries = sq_entries * 8;
  return io_uring_queue_init_params(sq_entries, ring, &params);
}

bool probe_pbuf_ring(io_uring* ring) {
  constexpr std::size_t kPage = 4096;
  void* page = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return false;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<std::uint64_t>(page);
  reg.ring_entries = 8;
  reg.bgid = 1;
  const bool ok = io_uring_register_buf_ring(ring, &reg, 0) == 0;
  if (ok) io_uring_unregister_buf_ring(ring, 1);
  munmap(page, kPage);
  return ok;
}

KernelFeatures probe() {
  KernelFeatures f;
  utsname name{};
  if (uname(&name) == 0) std::sscanf(name.release, "%d.%d", &f.kernel_major, &f.kernel_minor);
  const bool at_least_6_0 = f.kernel_major > 5;
  const bool at_least_5_19 = at_least_6_0 || (f.kernel_major == 5 && f.kernel_minor >= 19);
  io_uring ring{};
  int rc = try_setup(&ring, 8, RingSetupMode::kPlain);
  if (rc < 0) {
    f.setup_errno = -rc;
    return f;
  }
  f.io_uring = true;
  if (io_uring_probe* p = io_uring_get_probe_ring(&ring)) {
    f.msg_ring = io_uring_opcode_supported(p, IORING_OP_MSG_RING) != 0;
    io_uring_free_probe(p);
  }
  f.provided_buffer_ring = probe_pbuf_ring(&ring);
  f.multishot_accept = at_least_5_19;
  f.multishot_recv = at_least_6_0;
  io_uring_queue_exit(&ring);
  io_uring other{};
  if (try_setup(&other, 8, RingSetupMode::kSingleIssuerDeferTaskrun) == 0) {
    f.defer_taskrun = true;
    io_uring_queue_exit(&other);
  }
  if (try_setup(&other, 8, RingSetupMode::kCoopTaskrun) == 0) {
    f.coop_taskrun = true;
    io_uring_queue_exit(&other);
  }
  return f;
}

}  // namespace

Status ring_setup_error(int err) {
  if (err == EPERM || err == EACCES) {
    return Status::Errno(StatusCode::kUnavailable,
                         "io_uring is not permitted here (io_uring_setup: EPERM); allow it with "
                         "'sysctl kernel.io_uring_disabled=0', or run the container with a "
                         "seccomp profile that allows io_uring_setup",
                         err);
  }
  if (err == ENOSYS) {
    return Status::Errno(StatusCode::kUnavailable,
                         "io_uring is not available (io_uring_setup: ENOSYS); use a kernel with "
                         "io_uring, or run the container with a seccomp profile that allows "
                         "io_uring_setup",
                         err);
  }
  if (err == ENOMEM) {
    return Status::Errno(StatusCode::kResourceExhausted,
                         "io_uring_setup: out of memory (raise RLIMIT_MEMLOCK or lower sq_entries)",
                         err);
  }
  return Status::Errno(StatusCode::kUnavailable, "io_uring_setup failed", err);
}

Result<RingSetupMode> setup_ring(io_uring* ring, std::uint32_t sq_entries, RingSetupMode first) {
  int rc = -EINVAL;
  for (int m = static_cast<int>(first); m <= static_cast<int>(RingSetupMode::kPlain); ++m) {
    const auto mode = static_cast<RingSetupMode>(m);
    rc = try_setup(ring, sq_entries, mode);
    if (rc == 0) return mode;
    if (rc != -EINVAL) break;
  }
  return ring_setup_error(-rc);
}

const KernelFeatures& kernel_features() {
  static const KernelFeatures features = probe();
  return features;
}

Status check_required_features(const KernelFeatures& f) {
  if (!f.io_uring) return ring_setup_error(f.setup_errno);
  if (!f.msg_ring) {
    return Status(StatusCode::kUnavailable, "kernel lacks IORING_OP_MSG_RING (needs Linux 5.18+)");
  }
  if (!f.provided_buffer_ring) {
    return Status(StatusCode::kUnavailable,
                  "kernel lacks provided-buffer rings (needs Linux 5.19+)");
  }
  if (!f.multishot_accept || !f.multishot_recv) {
    return Status(StatusCode::kUnavailable, "kernel lacks multishot recv (needs Linux 6.0+)");
  }
  return OkStatus();
}

}  // namespace rmq::engine
