// The engine over real sockets, through the echo fixture.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "echo_fixture.h"
#include "engine/ring.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::EchoOptions;
using testing::EchoServer;
using testing::eventually;
using testing::kSanitized;

bool echo_roundtrip(int fd, const std::string& text) {
  if (!testing::send_all(fd, text.data(), text.size())) return false;
  std::string back(text.size(), '\0');
  return testing::recv_exact(fd, back.data(), back.size()) && back == text;
}

TEST(EngineEcho, ThousandClientsEachEchoOneMebibyteInRandomChunks) {
  EchoServer server(EchoServer::default_config(2));
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::size_t clients = kSanitized ? 200 : 1000;
  const std::size_t bytes = kSanitized ? 128 * 1024 : 1024 * 1024;
  EXPECT_EQ(testing::run_echo_clients(server.port(), clients, bytes, 32 * 1024, 2, 120000),
            clients);
  ASSERT_TRUE(eventually([&] { return server.counters().closed.load() == clients; }));
  server.stop();
  EXPECT_EQ(server.counters().opened.load(), clients);
  EXPECT_EQ(server.engine().total(&ShardStats::accepted), clients);
  EXPECT_EQ(server.engine().total(&ShardStats::recv_bytes), clients * bytes);
  EXPECT_EQ(server.engine().total(&ShardStats::send_bytes), clients * bytes);
  EXPECT_EQ(server.engine().total(&ShardStats::queued_bytes), 0);
  EXPECT_EQ(server.engine().total(&ShardStats::connections), 0);
  EXPECT_EQ(server.counters().user_data_mismatches.load(), 0u);
}

TEST(EngineEcho, ClientSendingOneByteAtATime) {
  EchoServer server(EchoServer::default_config(1));
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  testing::ByteStream stream(99);
  for (int i = 0; i < 500; ++i) {  // ping-pong, one byte each way
    const char byte = static_cast<char>(stream.next());
    ASSERT_TRUE(echo_roundtrip(fd, std::string(1, byte))) << "at byte " << i;
  }
  std::string burst;
  for (int i = 0; i < 2000; ++i) burst.push_back(static_cast<char>(stream.next()));
  for (char c : burst) ASSERT_TRUE(testing::send_all(fd, &c, 1));
  std::string back(burst.size(), '\0');
  ASSERT_TRUE(testing::recv_exact(fd, back.data(), back.size()));
  EXPECT_EQ(back, burst);
  close(fd);
  server.stop();
  EXPECT_GE(server.engine().total(&ShardStats::recv_completions), 500u);
}

TEST(EngineEcho, SlowReaderGrowsTheSendQueueWhichThenDrains) {
  EchoOptions options;
  options.reply_multiplier = 4;
  EchoServer server(EchoServer::default_config(1), options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const int small = 64 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  const std::size_t sent_bytes = 2 * 1024 * 1024;
  std::string payload(sent_bytes, '\0');
  testing::ByteStream stream(5);
  for (char& c : payload) c = static_cast<char>(stream.next());
  ASSERT_TRUE(testing::send_all(fd, payload.data(), payload.size()));  // nobody reads yet
  Engine& engine = server.engine();
  ASSERT_TRUE(eventually([&] {
    return engine.total(&ShardStats::recv_bytes) == sent_bytes &&
           engine.total(&ShardStats::queued_bytes) > 1024 * 1024;
  })) << "queued "
      << engine.total(&ShardStats::queued_bytes);
  const auto queued_peak = engine.total(&ShardStats::queued_bytes);
  std::string back(sent_bytes * options.reply_multiplier, '\0');
  ASSERT_TRUE(testing::recv_exact(fd, back.data(), back.size(), 30000));
  EXPECT_TRUE(eventually([&] { return engine.total(&ShardStats::queued_bytes) == 0; }));
  EXPECT_GT(queued_peak, 1024 * 1024);
  EXPECT_GT(server.counters().max_conn_queued_bytes.load(), 1024u * 1024u);
  EXPECT_GT(engine.total(&ShardStats::partial_sends), 0u);
  close(fd);
  server.stop();
}

TEST(EngineEcho, FewReceiveBuffersForceEnobufsAndRearmWithoutLosingBytes) {
  EngineConfig config = EchoServer::default_config(1);
  config.recv_buffer_count = 4;
  config.recv_buffer_size = 4096;
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::size_t clients = 64;
  const std::size_t bytes = kSanitized ? 64 * 1024 : 256 * 1024;
  EXPECT_EQ(testing::run_echo_clients(server.port(), clients, bytes, 16 * 1024, 2, 60000), clients);
  server.stop();
  EXPECT_GT(server.engine().total(&ShardStats::enobufs), 0u);
  EXPECT_GT(server.engine().total(&ShardStats::recv_rearms), 0u);
  EXPECT_EQ(server.engine().total(&ShardStats::recv_bytes), clients * bytes);
  EXPECT_EQ(server.engine().stopped_shard(0).buffers()->available(), 4u);
}

TEST(EngineEcho, PeerResetMidStreamLeavesTheShardServingOthers) {
  EchoServer server(EchoServer::default_config(1));
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int good = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(good, 0);
  ASSERT_TRUE(echo_roundtrip(good, "before"));
  std::string junk(256 * 1024, 'x');
  for (int i = 0; i < 10; ++i) {
    const int bad = testing::connect_to("127.0.0.1", server.port());
    ASSERT_GE(bad, 0);
    ASSERT_TRUE(testing::send_all(bad, junk.data(), junk.size()));
    testing::set_linger_zero(bad);
    close(bad);  // RST with unread echo data on both sides
    ASSERT_TRUE(echo_roundtrip(good, "still here " + std::to_string(i)));
  }
  ASSERT_TRUE(eventually([&] { return server.counters().closed.load() == 10; }));
  EXPECT_GE(server.counters().closed_reset.load(), 1u);
  ASSERT_TRUE(echo_roundtrip(good, "after"));
  EXPECT_EQ(testing::run_echo_clients(server.port(), 10, 64 * 1024, 8192, 1, 30000), 10u);
  close(good);
  server.stop();
}

TEST(EngineEcho, ShutdownWhileConnectionsAreReadingSaysGoodbyeAndExits) {
  EchoOptions options;
  options.goodbye = "goodbye\n";
  EchoServer server(EchoServer::default_config(2), options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  std::vector<int> fds;
  for (int i = 0; i < 20; ++i) {
    const int fd = testing::connect_to("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(echo_roundtrip(fd, "hello"));  // open on the server, recv armed
    fds.push_back(fd);
  }
  auto stopped = std::async(std::launch::async, [&] { return server.stop(); });
  for (int fd : fds) {
    EXPECT_EQ(testing::recv_until_eof(fd, 5000), "goodbye\n");
    close(fd);
  }
  const Duration took = stopped.get();
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server.counters().stop_calls.load(), 2u);
  EXPECT_EQ(server.counters().shutdown_goodbyes.load(), 20u);
  EXPECT_EQ(server.counters().closed.load(), 20u);
  // The listeners are gone.
  EXPECT_LT(testing::connect_to("127.0.0.1", server.engine().port()), 0);
}

TEST(EngineEcho, MaxConnectionsIsEnforcedAcrossShards) {
  EngineConfig config = EchoServer::default_config(2);
  config.max_connections = 10;
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  std::vector<int> admitted;
  for (int i = 0; i < 10; ++i) {
    const int fd = testing::connect_to("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(echo_roundtrip(fd, "in"));
    admitted.push_back(fd);
  }
  for (int i = 0; i < 5; ++i) {
    const int fd = testing::connect_to("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    EXPECT_EQ(testing::recv_until_eof(fd, 5000), "") << "over the limit: closed at once";
    close(fd);
  }
  EXPECT_EQ(server.engine().total(&ShardStats::rejected_over_limit), 5u);
  for (int i = 0; i < 3; ++i) close(admitted[static_cast<std::size_t>(i)]);
  ASSERT_TRUE(eventually([&] { return server.counters().closed.load() == 3; }));
  const int again = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(again, 0);
  EXPECT_TRUE(echo_roundtrip(again, "room again"));
  close(again);
  for (std::size_t i = 3; i < admitted.size(); ++i) close(admitted[i]);
  server.stop();
}

TEST(EngineEcho, IPv6AndIPv4ListenersSideBySide) {
  if (!testing::has_ipv6_loopback()) GTEST_SKIP() << "no ::1 on this host";
  EngineConfig config = EchoServer::default_config(2, "::1");
  config.listen.push_back(ListenAddress{"127.0.0.1", 0, nullptr});
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int v6 = testing::connect_to("::1", server.engine().port(0));
  const int v4 = testing::connect_to("127.0.0.1", server.engine().port(1));
  ASSERT_GE(v6, 0);
  ASSERT_GE(v4, 0);
  EXPECT_TRUE(echo_roundtrip(v6, "over IPv6"));
  EXPECT_TRUE(echo_roundtrip(v4, "over IPv4"));
  close(v6);
  close(v4);
  server.stop();
}

TEST(EngineEcho, SendQueueLimitIsBackpressureNotACrash) {
  EngineConfig config = EchoServer::default_config(1);
  config.max_queued_bytes_per_conn = 64 * 1024;
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const int small = 32 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string payload(2 * 1024 * 1024, 'q');
  ASSERT_TRUE(testing::send_all(fd, payload.data(), payload.size()));
  Engine& engine = server.engine();
  ASSERT_TRUE(eventually([&] { return engine.total(&ShardStats::send_rejected) > 0; }));
  EXPECT_LE(engine.total(&ShardStats::queued_bytes), 64 * 1024);
  close(fd);
  server.stop();
}

TEST(EngineEcho, FlushingCloseIsAbortedAfterItsTimeout) {
  EchoOptions options;
  options.reply_multiplier = 8;
  EngineConfig config = EchoServer::default_config(1);
  config.close_flush_timeout = 200ms;
  EchoServer server(config, options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const int small = 64 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string payload(1024 * 1024, 'z');
  ASSERT_TRUE(testing::send_all(fd, payload.data(), payload.size()));
  Engine& engine = server.engine();
  // All 8 MiB of echo queued or sent: more than the kernel's socket buffers can take (wmem_max
  // 4 MiB + a small receive buffer), so what stays queued cannot drain.
  ASSERT_TRUE(eventually([&] {
    return engine.total(&ShardStats::recv_bytes) == payload.size() &&
           engine.total(&ShardStats::queued_bytes) > 1024 * 1024;
  }));
  const Duration took = server.stop();  // the reader never reads: the flush cannot finish
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server.counters().closed_flush_timeout.load(), 1u);
  EXPECT_EQ(engine.total(&ShardStats::flush_timeouts), 1u);
  EXPECT_EQ(engine.total(&ShardStats::queued_bytes), 0);
  close(fd);
}

TEST(EngineEcho, ShutdownDeadlineAbortsConnectionsThatCannotFlush) {
  EchoOptions options;
  options.reply_multiplier = 8;
  EngineConfig config = EchoServer::default_config(1);
  config.close_flush_timeout = 30s;
  config.shutdown_timeout = 300ms;
  EchoServer server(config, options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const int small = 64 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::string payload(1024 * 1024, 'w');
  ASSERT_TRUE(testing::send_all(fd, payload.data(), payload.size()));
  Engine& engine = server.engine();
  ASSERT_TRUE(eventually([&] {
    return engine.total(&ShardStats::recv_bytes) == payload.size() &&
           engine.total(&ShardStats::queued_bytes) > 1024 * 1024;
  }));
  const Duration took = server.stop();
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(server.counters().closed_shutdown.load(), 1u);
  EXPECT_EQ(engine.total(&ShardStats::flush_timeouts), 0u);
  close(fd);
}

TEST(EngineEcho, HandlerInitiatedFlushingCloseAndAbort) {
  EchoOptions options;
  options.close_on_command = true;
  EchoServer server(EchoServer::default_config(1), options);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const int flushing = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(flushing, 0);
  ASSERT_TRUE(testing::send_all(flushing, "bye Q", 5));
  EXPECT_EQ(testing::recv_until_eof(flushing, 5000), "bye Q") << "echo first, then EOF";
  close(flushing);
  const int aborted = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(aborted, 0);
  ASSERT_TRUE(testing::send_all(aborted, "A", 1));
  testing::recv_until_eof(aborted, 5000);  // the echo may or may not arrive; the end does
  close(aborted);
  ASSERT_TRUE(eventually([&] { return server.counters().closed_local.load() == 2; }));
  server.stop();
  EXPECT_EQ(server.counters().closed.load(), 2u);
}

std::size_t open_descriptors() {
  std::size_t count = 0;
  for (int fd = 0; fd < 65536; ++fd) {
    if (fcntl(fd, F_GETFD) != -1) ++count;
  }
  return count;
}

TEST(EngineEcho, AcceptBacksOffWhenOutOfDescriptorsAndRecovers) {
  // A multishot accept takes the descriptor limit in force when it is armed: lower it first.
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit lowered = saved;
  lowered.rlim_cur = open_descriptors() + 45;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lowered), 0);
  EchoServer server(EchoServer::default_config(1));
  ASSERT_TRUE(server.ok()) << server.status().message();
  // All 30 client sockets exist before any connects, leaving the server room for ~10 accepts.
  std::vector<int> clients;
  for (int i = 0; i < 30; ++i) clients.push_back(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server.port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int fd : clients) {
    ASSERT_GE(fd, 0);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  }
  Engine& engine = server.engine();
  EXPECT_TRUE(eventually([&] { return engine.total(&ShardStats::accept_errors) > 0; }))
      << "accepted " << engine.total(&ShardStats::accepted) << ", fds open " << open_descriptors()
      << ", limit " << lowered.rlim_cur;
  for (int i = 0; i < 15; ++i) close(clients[static_cast<std::size_t>(i)]);
  for (std::size_t i = 15; i < clients.size(); ++i) {
    EXPECT_TRUE(echo_roundtrip(clients[i], "served once there is room")) << "client " << i;
  }
  for (std::size_t i = 15; i < clients.size(); ++i) close(clients[i]);
  ASSERT_TRUE(eventually([&] { return server.counters().closed.load() == 30; }));
  server.stop();
  setrlimit(RLIMIT_NOFILE, &saved);
  EXPECT_EQ(engine.total(&ShardStats::accepted), 30u);
}

class EngineRingModes : public ::testing::TestWithParam<RingSetupMode> {};

TEST_P(EngineRingModes, EchoWorksWithEveryRingSetup) {
  const KernelFeatures& features = kernel_features();
  if (GetParam() == RingSetupMode::kSingleIssuerDeferTaskrun && !features.defer_taskrun) {
    GTEST_SKIP() << "kernel lacks IORING_SETUP_DEFER_TASKRUN (needs 6.1+)";
  }
  if (GetParam() == RingSetupMode::kCoopTaskrun && !features.coop_taskrun) {
    GTEST_SKIP() << "kernel lacks IORING_SETUP_COOP_TASKRUN (needs 5.19+)";
  }
  EngineConfig config = EchoServer::default_config(2);
  config.ring_setup = GetParam();
  EchoServer server(config);
  ASSERT_TRUE(server.ok()) << server.status().message();
  EXPECT_EQ(server.engine().ring_mode(0), GetParam());
  EXPECT_EQ(testing::run_echo_clients(server.port(), 20, 64 * 1024, 8192, 1, 30000), 20u);
  server.stop();
}

INSTANTIATE_TEST_SUITE_P(AllModes, EngineRingModes,
                         ::testing::Values(RingSetupMode::kSingleIssuerDeferTaskrun,
                                           RingSetupMode::kCoopTaskrun, RingSetupMode::kPlain),
                         [](const ::testing::TestParamInfo<RingSetupMode>& param_info) {
                           switch (param_info.param) {
                             case RingSetupMode::kSingleIssuerDeferTaskrun: return "DeferTaskrun";
                             case RingSetupMode::kCoopTaskrun: return "CoopTaskrun";
                             case RingSetupMode::kPlain: return "Plain";
                           }
                           return "Unknown";
                         });

}  // namespace
}  // namespace rmq::engine
