// Persistence of the real binary (--data-dir), driven by Debian's python3-paho-mqtt through
// persist/persist_checks.py, one check per test, each in a fresh data directory:
//   crash_sigkill*          several SIGKILLs under QoS 1/2 load with --durability sync (and with
//                           frequent compactions): every acknowledged message reaches every
//                           matching persistent subscriber, no QoS 2 message twice
//   restart_*, killed_*     SIGTERM (or SIGKILL) and start: sessions, queues, retained messages,
//                           delayed wills, QoS 2 exchanges in flight, session expiry across the
//                           downtime
//   damage_*                a torn tail, a corrupt record in the middle, a missing segment (with
//                           and without --recover-skip-corrupt)
//   disk_full               a full tmpfs: QoS 0 still served, QoS 1 acknowledgements held until
//                           space is freed (skipped where a tmpfs cannot be mounted)
// The script exits 0 (passed), 1 (failed, with its diagnostics) or 77 (cannot run here).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "broker_process.h"

namespace rmq::itest {
namespace {

class Persistence : public ::testing::TestWithParam<const char*> {};

TEST_P(Persistence, Check) {
  const auto [code, output] =
      run({"/usr/bin/python3", "-B", RINGMQ_PERSIST_CHECKS, broker_binary(), GetParam()}, 120s);
  if (code == 77) GTEST_SKIP() << output;
  std::printf("%s", output.c_str());
  EXPECT_EQ(code, 0) << "persist_checks.py " << GetParam() << " failed; its output is above";
}

INSTANTIATE_TEST_SUITE_P(
    Checks, Persistence,
    ::testing::Values("crash_sigkill", "crash_sigkill_compacting", "restart_sessions",
                      "killed_sessions", "restart_retained", "killed_retained", "restart_will",
                      "killed_will", "restart_qos2_inflight", "killed_qos2_inflight",
                      "restart_session_moves_shard", "killed_session_moves_shard",
                      "restart_session_expiry", "damage_truncated_tail", "damage_flipped_byte",
                      "damage_missing_segment", "damage_missing_segment_skipped", "disk_full"));

}  // namespace
}  // namespace rmq::itest
