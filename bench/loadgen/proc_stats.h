// CPU and memory figures from the kernel: a process's CPU time and resident set from
// /proc/<pid>/stat and /proc/<pid>/status, and the load generator's own CPU from getrusage().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace rmq::loadgen {

struct ProcSample {
  std::uint64_t at_ns = 0;   // CLOCK_MONOTONIC when read
  double cpu_s = 0;          // user + system CPU seconds so far
  std::uint64_t rss_kb = 0;  // VmRSS
};

// One reading of process `pid`, or nullopt if it is gone (or unreadable).
std::optional<ProcSample> sample_process(pid_t pid);

// This process's user and system CPU seconds so far (all threads).
struct OwnCpu {
  std::uint64_t at_ns = 0;
  double user_s = 0;
  double sys_s = 0;
};
OwnCpu sample_own_cpu();

// CPU use between two readings, in % of one core.
inline double cpu_percent(double cpu_s_before, double cpu_s_after, std::uint64_t from_ns,
                          std::uint64_t to_ns) {
  if (to_ns <= from_ns) return 0;
  return 100.0 * (cpu_s_after - cpu_s_before) / (static_cast<double>(to_ns - from_ns) * 1e-9);
}

}  // namespace rmq::loadgen
