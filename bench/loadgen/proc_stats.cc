#include "bench/loadgen/proc_stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "bench/loadgen/payload.h"

namespace rmq::loadgen {
namespace {

// utime + stime (fields 14 and 15 of /proc/<pid>/stat), in seconds.
std::optional<double> read_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; fields after it start past the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<std::uint64_t> read_rss_kb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcSample> sample_process(pid_t pid) {
  const std::optional<double> cpu = read_cpu_seconds(pid);
  const std::optional<std::uint64_t> rss = read_rss_kb(pid);
  if (!cpu || !rss) return std::nullopt;
  return ProcSample{monotonic_ns(), *cpu, *rss};
}

OwnCpu sample_own_cpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return OwnCpu{monotonic_ns(), seconds(u.ru_utime), seconds(u.ru_stime)};
}

}  // namespace rmq::loadgen
