// Engine start-up and shutdown paths: signals, io_uring being forbidden, bad configuration, bind
// failures, kernel feature checks, and timers driven by an injected clock.
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "echo_fixture.h"
#include "engine/ring.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::EchoServer;

TEST(EngineLifecycle, SigtermStopsTheEngineAndRestoresTheSignalMask) {
  EngineConfig config = EchoServer::default_config(2);
  config.handle_signals = true;
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const auto begin = MonoClock::now();
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  // The engine sends FIN and lingers until this peer closes too (as a client does on EOF).
  EXPECT_EQ(testing::recv_until_eof(fd, 2000), "");
  close(fd);
  server.engine().wait();
  EXPECT_LT(MonoClock::now() - begin, 3s);
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  EXPECT_FALSE(sigismember(&mask, SIGTERM));
}

// Runs in a death-test child: forbids io_uring_setup with `err`, starts an engine, prints the
// status message and exits 0 if the start failed as it should.
[[noreturn]] void start_with_io_uring_forbidden(int err) {
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & 0xffff)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof(filter) / sizeof(filter[0])), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "cannot install seccomp filter\n");
    std::_Exit(2);
  }
  auto engine = Engine::start(EchoServer::default_config(1),
                              [](Shard&) { return std::unique_ptr<ShardHandler>(); });
  std::fprintf(stderr, "%s\n", engine.ok() ? "started" : engine.status().message());
  std::fflush(stderr);
  std::_Exit(!engine.ok() && engine.status().code() == StatusCode::kUnavailable ? 0 : 1);
}

TEST(EngineLifecycleDeathTest, IoUringForbiddenWithEpermSaysHowToAllowIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(start_with_io_uring_forbidden(EPERM), ::testing::ExitedWithCode(0),
              "sysctl kernel.io_uring_disabled=0.*seccomp profile that allows io_uring_setup");
}

TEST(EngineLifecycleDeathTest, IoUringMissingWithEnosysSaysHowToAllowIt) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(start_with_io_uring_forbidden(ENOSYS), ::testing::ExitedWithCode(0),
              "ENOSYS.*seccomp profile that allows io_uring_setup");
}

TEST(EngineLifecycle, InvalidConfigurationIsRejected) {
  EngineConfig config = EchoServer::default_config(1);
  config.recv_buffer_count = 100;  // not a power of two
  EchoServer server(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
}

TEST(EngineLifecycle, BindFailureIsReportedAndNothingKeepsRunning) {
  const int blocker = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(blocker, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(blocker, 1), 0);
  socklen_t length = sizeof(address);
  getsockname(blocker, reinterpret_cast<sockaddr*>(&address), &length);
  EngineConfig config = EchoServer::default_config(2);
  config.listen[0].port = ntohs(address.sin_port);
  EchoServer server(config);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().sys_errno(), EADDRINUSE);
  close(blocker);
}

// Shards share a port through SO_REUSEPORT; a second process of the same user could join the
// group and take half the connections. The engine refuses to start there instead.
TEST(EngineLifecycle, SecondEngineOnTheSamePortIsRefused) {
  EchoServer first(EchoServer::default_config(2));
  ASSERT_TRUE(first.ok());
  EngineConfig config = EchoServer::default_config(2);
  config.listen[0].port = first.port();
  EchoServer second(config);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().sys_errno(), EADDRINUSE);
}

TEST(KernelFeatures, EverythingTheEngineNeedsIsPresent) {
  const KernelFeatures& f = kernel_features();
  if (!f.io_uring)
    GTEST_SKIP() << "io_uring unavailable: " << ring_setup_error(f.setup_errno).message();
  if (!f.multishot_recv) GTEST_SKIP() << "kernel lacks multishot recv (needs 6.0+)";
  if (!f.msg_ring) GTEST_SKIP() << "kernel lacks IORING_OP_MSG_RING (needs 5.18+)";
  if (!f.provided_buffer_ring) GTEST_SKIP() << "kernel lacks provided-buffer rings (5.19+)";
  EXPECT_TRUE(check_required_features(f).ok());
}

TEST(KernelFeatures, DeferTaskrunIsUsedWhenTheKernelHasIt) {
  if (!kernel_features().defer_taskrun) {
    GTEST_SKIP() << "kernel lacks IORING_SETUP_DEFER_TASKRUN (needs 6.1+)";
  }
  EchoServer server(EchoServer::default_config(1));
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ(server.engine().ring_mode(0), RingSetupMode::kSingleIssuerDeferTaskrun);
}

// Arms a one-hour timer at start; re-arms it once from its callback.
class TimerHandler : public ShardHandler {
 public:
  TimerHandler(Shard& shard, std::atomic<int>& fired) : shard_(shard), fired_(fired) {}
  void on_start() override {
    shard_.arm_timer(timer_, 1h);
    shard_.arm_timer(cancelled_, 30min);
    shard_.cancel_timer(cancelled_);
  }
  void on_open(ConnId, const PeerAddress&) override {}
  RecvResult on_data(ConnId, const RecvView& view) override { return {view.size(), 0}; }
  void on_close(ConnId, CloseReason) override {}
  void on_timer(Timer& timer) override {
    if (&timer == &cancelled_) fired_.fetch_add(100);
    if (fired_.fetch_add(1) == 0) shard_.arm_timer(timer_, 2h);
  }

 private:
  Shard& shard_;
  std::atomic<int>& fired_;
  Timer timer_;
  Timer cancelled_;
};

TEST(EngineLifecycle, ShardTimersFollowTheInjectedClock) {
  ManualClock clock(MonoTime(100s));
  EngineConfig config = EchoServer::default_config(1);
  config.clock = &clock;
  config.timer_tick = 10ms;
  std::atomic<int> fired{0};
  auto engine = Engine::start(
      config, [&](Shard& shard) { return std::make_unique<TimerHandler>(shard, fired); });
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fired.load(), 0);
  clock.advance(59min);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(fired.load(), 0);
  clock.advance(1min);
  for (int i = 0; i < 200 && fired.load() < 1; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(fired.load(), 1);
  clock.advance(2h);
  for (int i = 0; i < 200 && fired.load() < 2; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(fired.load(), 2);
  (*engine)->request_stop();
  (*engine)->wait();
  EXPECT_EQ((*engine)->total(&ShardStats::timers_fired), 2u);
}

}  // namespace
}  // namespace rmq::engine
