// What an idle connection costs the broker's heap, on the real path: an in-process engine running
// one Broker per shard (as broker/app/main.cc starts them) and real loopback clients that send an
// MQTT 3.1.1 CONNECT (clean session, no will, no subscription) and then stay idle.
//
// Allocations are counted by the global operator new hook (bench/common/alloc_counter.h), on the
// shard threads only (the clients run on the test's thread). A first round of connections warms
// the caches that are kept across connections (slab chunks, vectors indexed by slot, registry
// buckets, send-queue and block caches); the measured round then shows what each connection holds
// by itself: the blocks still live while it is connected and the bytes asked for them. Counts,
// not RSS or time, so the budget is deterministic.
//
// The lazily allocated parts of a session and connection are checked too: each stays
// unallocated until first used, and behaves as before once it is.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "bench/common/alloc_counter.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "broker/client_registry.h"
#include "broker/session.h"
#include "codec/encode.h"
#include "engine/engine.h"
#include "tests/common/loopback_client.h"

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;

// Well under the default soft limit of 1024 open files (each connection is two descriptors here).
constexpr int kConnections = 200;
// Blocks a connected idle 3.1.1 client keeps: ClientConn, Session and the client identifier shared
// by them and the client registry (whose tables are warmed up, like every per-slot table).
constexpr double kMaxLiveBlocksPerConnection = 3.0;
// Bytes asked for those: 192 + 96 + the identifier (8 + 21 + 1), with a little room.
constexpr double kMaxBytesPerConnection = 336.0;

class IdleMemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    set_log_level(LogLevel::kWarn);
    BrokerConfig config;
    config.sys_interval = 0;
    engine::EngineConfig engine_config;
    engine_config.shards = 2;
    engine_config.pin_threads = false;
    engine_config.listen.push_back(engine::ListenAddress{"127.0.0.1", 0, nullptr});
    shared_ = std::make_unique<BrokerShared>(config, engine_config.shards);
    auto started = engine::Engine::start(engine_config, [this](engine::Shard& shard) {
      return std::make_unique<Broker>(shard, *shared_);
    });
    ASSERT_TRUE(started.ok()) << started.status().message();
    engine_ = std::move(*started);
    fds_.reserve(kConnections * 2);
  }

  void TearDown() override {
    close_all();
    if (engine_ != nullptr) {
      engine_->request_stop();
      engine_->wait();
      engine_.reset();
    }
    shared_.reset();
  }

  // A CONNECT for client `index`, built before any measured window.
  static std::vector<std::uint8_t> connect_packet(int index) {
    codec::ConnectView connect;
    connect.version = codec::ProtocolVersion::kV311;
    connect.clean_start = true;
    connect.keep_alive = 60;
    const std::string id = "idle-client-" + std::to_string(index);
    connect.client_id = id;
    std::vector<std::uint8_t> out(codec::encoded_size(connect));
    out.resize(codec::encode(connect, std::span<std::uint8_t>(out)));
    return out;
  }

  // Connects, sends `connect` and waits for a 4-byte CONNACK accepting it. Does not
  // allocate (the descriptor goes into fds_, reserved in SetUp).
  bool open_client(const std::vector<std::uint8_t>& connect) {
    const int fd = test_support::connect_loopback(engine_->port(), 10);
    if (fd < 0) {
      std::fprintf(stderr, "connect: %s\n", std::strerror(errno));
      return false;
    }
    fds_.push_back(fd);
    ssize_t sent = 0;
    do {
      sent = ::send(fd, connect.data(), connect.size(), MSG_NOSIGNAL);
    } while (sent < 0 && errno == EINTR);
    if (sent != static_cast<ssize_t>(connect.size())) {
      std::fprintf(stderr, "send: %s\n", std::strerror(errno));
      return false;
    }
    std::array<std::uint8_t, 4> connack{};
    std::size_t got = 0;
    while (got < connack.size()) {
      const ssize_t n = ::recv(fd, connack.data() + got, connack.size() - got, 0);
      if (n < 0 && errno == EINTR) continue;  // a receive timeout makes recv report signals
      if (n <= 0) {
        std::fprintf(stderr, "CONNACK recv: %zd (%s) after %zu bytes\n", n, std::strerror(errno),
                     got);
        return false;
      }
      got += static_cast<std::size_t>(n);
    }
    if (connack[0] == 0x20 && connack[1] == 2 && connack[3] == 0) return true;
    std::fprintf(stderr, "unexpected CONNACK %02x %02x %02x %02x\n", connack[0], connack[1],
                 connack[2], connack[3]);
    return false;
  }

  // Opens one client per packet; false at the first failure.
  bool open_clients(const std::vector<std::vector<std::uint8_t>>& packets) {
    for (const auto& packet : packets) {
      if (!open_client(packet)) return false;
    }
    return true;
  }

  void close_all() {
    for (const int fd : fds_) ::close(fd);
    fds_.clear();
  }

  std::int64_t sessions() const {
    return shared_->stats(0).sessions.value() + shared_->stats(1).sessions.value();
  }

  // Waits until the broker has ended every session, then a little more for the engine to free
  // the slots of the closed connections.
  bool wait_all_closed() {
    for (int i = 0; i < 500 && sessions() != 0; ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms);
    return sessions() == 0;
  }

  std::unique_ptr<BrokerShared> shared_;
  std::unique_ptr<engine::Engine> engine_;
  std::vector<int> fds_;
};

TEST_F(IdleMemoryTest, IdleV311ConnectionStaysWithinItsHeapBudget) {
  std::vector<std::vector<std::uint8_t>> warmup;
  std::vector<std::vector<std::uint8_t>> measured;
  for (int i = 0; i < kConnections * 2; ++i) warmup.push_back(connect_packet(i));
  for (int i = 0; i < kConnections; ++i) measured.push_back(connect_packet(100000 + i));

  // Twice as many connections as measured: every per-slot table is grown past what the measured
  // round needs, whichever way the kernel spreads connections over the shards.
  ASSERT_TRUE(open_clients(warmup));
  close_all();
  ASSERT_TRUE(wait_all_closed());

  bench::OtherThreadsAllocScope scope;
  ASSERT_TRUE(open_clients(measured));
  const bench::AllocCounts connected = scope.others();
  EXPECT_EQ(sessions(), kConnections);
  close_all();
  ASSERT_TRUE(wait_all_closed());
  const bench::AllocCounts closed = scope.others();

  const double live_blocks =
      static_cast<double>(connected.allocations - connected.deallocations) / kConnections;
  const double bytes = static_cast<double>(connected.bytes) / kConnections;
  std::printf(
      "per idle 3.1.1 connection: %.2f live heap blocks, %.1f bytes asked (%llu allocations, "
      "%llu frees for %d connections); after closing: %lld blocks still live\n",
      live_blocks, bytes, static_cast<unsigned long long>(connected.allocations),
      static_cast<unsigned long long>(connected.deallocations), kConnections,
      static_cast<long long>(closed.allocations) - static_cast<long long>(closed.deallocations));
  EXPECT_LE(live_blocks, kMaxLiveBlocksPerConnection);
  EXPECT_LE(bytes, kMaxBytesPerConnection);
  // Closing gives back what the connections held (a few blocks may move between the shards'
  // bookkeeping containers, such as the deque of free session slots, but none per connection).
  EXPECT_LE(closed.allocations, closed.deallocations + kConnections / 20);
}

TEST(SessionLayout, IdleObjectsFitTheirSizeClasses) {
  EXPECT_LE(sizeof(ClientConn), 192u);
  EXPECT_LE(sizeof(Session), 96u);
  EXPECT_EQ(sizeof(BrokerTimer), sizeof(engine::Timer));
  EXPECT_EQ(sizeof(SharedString), sizeof(void*));
  EXPECT_EQ(sizeof(OptionalTime), sizeof(MonoTime));
}

TEST(SessionLayout, NewSessionAndConnectionAllocateNothingInside) {
  engine::PeerAddress peer;
  auto* in = reinterpret_cast<sockaddr_in*>(&peer.storage);
  in->sin_family = AF_INET;
  in->sin_port = htons(1883);
  in->sin_addr.s_addr = htonl(0xC0000207);  // 192.0.2.7
  peer.length = sizeof(sockaddr_in);
  const SharedString id("a-client-identifier-longer-than-sso");
  bench::AllocScope scope;
  {
    const QueueLimits limits;
    Session s(1, 1, id, &limits);
    ClientConn c(engine::ConnId(0, 1, 1), peer);
    EXPECT_TRUE(s.queue.empty());
    EXPECT_FALSE(s.inflight.full());
    EXPECT_FALSE(s.inflight.contains(1));
    EXPECT_TRUE(s.subscriptions.empty());
    EXPECT_TRUE(s.subscriptions.find("a/b") == s.subscriptions.end());
    EXPECT_FALSE(s.inbound_qos2.contains(1));
    EXPECT_EQ(c.out_aliases.choose("t").alias, 0);
    EXPECT_STREQ(c.address.c_str(), "192.0.2.7:1883");
    EXPECT_EQ(s.client_id.view(), id.view());
  }
  EXPECT_EQ(scope.counts().allocations, 0u);
}

TEST(SessionLayout, BrokerTimerKeepsKindAndOwner) {
  alignas(8) static char owner[16];
  const BrokerTimer timer(TimerKind::kWillDelay, owner);
  EXPECT_EQ(timer.kind(), TimerKind::kWillDelay);
  EXPECT_EQ(timer.owner(), owner);
  const BrokerTimer sys(TimerKind::kSys, owner + 8);
  EXPECT_EQ(sys.kind(), TimerKind::kSys);
  EXPECT_EQ(sys.owner(), owner + 8);
}

TEST(SessionLayout, OptionalTimeStartsUnset) {
  OptionalTime t;
  EXPECT_FALSE(t);
  const MonoTime now = MonoClock::now();
  t = now;
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, now);
  t.reset();
  EXPECT_FALSE(t);
}

TEST(SessionLayout, SubscriptionMapAllocatesOnFirstInsert) {
  SubscriptionMap subs;
  EXPECT_EQ(subs.size(), 0u);
  EXPECT_TRUE(subs.begin() == subs.end());
  SubscriptionRecord record;
  record.id = 7;
  subs.insert_or_assign("a/+", record);
  subs.emplace("b/#", SubscriptionRecord{});
  EXPECT_EQ(subs.size(), 2u);
  auto it = subs.find("a/+");
  ASSERT_TRUE(it != subs.end());
  EXPECT_EQ(it->second.id, 7u);
  subs.erase(it);
  EXPECT_TRUE(subs.find("a/+") == subs.end());
  int seen = 0;
  for (const auto& [filter, r] : subs) {
    EXPECT_EQ(filter, "b/#");
    ++seen;
  }
  EXPECT_EQ(seen, 1);
  subs.clear();
  EXPECT_TRUE(subs.empty());
}

TEST(SharedString, CopiesShareOneBlock) {
  bench::AllocScope scope;
  SharedString empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_STREQ(empty.c_str(), "");
  EXPECT_EQ(scope.counts().allocations, 0u);
  SharedString a("client-identifier-0001");
  SharedString b = a;
  SharedString c;
  c = b;
  EXPECT_EQ(scope.counts().allocations, 1u);
  EXPECT_EQ(c.view(), "client-identifier-0001");
  EXPECT_STREQ(c.c_str(), "client-identifier-0001");
  EXPECT_EQ(c.size(), 22u);
  EXPECT_TRUE(a == c);
  EXPECT_TRUE(a == std::string_view("client-identifier-0001"));
  EXPECT_FALSE(a == SharedString("other"));
  a = SharedString();
  b.assign("replaced");
  EXPECT_EQ(c.view(), "client-identifier-0001");  // the last holder keeps it
  EXPECT_EQ(b.view(), "replaced");
  SharedString moved = std::move(c);
  EXPECT_EQ(moved.view(), "client-identifier-0001");
}

// The registry's open-addressing tables against a std::map, through growth and through
// backward-shift deletions that wrap around the end of a table.
TEST(ClientRegistryTables, ClaimsAndReleasesMatchAMap) {
  ClientRegistry registry;
  std::map<std::string, RegistryEntry> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 40000; ++step) {
    const std::string id = "c" + std::to_string(rng() % 3000);
    const auto it = model.find(id);
    if (rng() % 3 != 0) {
      const RegistryEntry entry{static_cast<std::uint32_t>(rng() % 2),
                                static_cast<std::uint32_t>(rng() % 100),
                                registry.next_generation()};
      const auto previous = registry.claim(id, entry);
      ASSERT_EQ(previous.has_value(), it != model.end()) << id;
      if (previous) {
        EXPECT_EQ(*previous, it->second);
      }
      model[id] = entry;
    } else {
      const std::uint64_t generation = it == model.end() ? 0 : it->second.generation;
      const bool stale = rng() % 4 == 0;  // a session ending after another took its identifier
      const bool released = registry.release(id, stale ? generation + 1 : generation);
      ASSERT_EQ(released, it != model.end() && !stale) << id;
      if (released) model.erase(it);
    }
    ASSERT_EQ(registry.size(), model.size());
  }
  for (int i = 0; i < 3000; ++i) {
    const std::string id = "c" + std::to_string(i);
    const auto it = model.find(id);
    const auto found = registry.find(id);
    ASSERT_EQ(found.has_value(), it != model.end()) << id;
    if (found) {
      EXPECT_EQ(*found, it->second);
    }
  }
}

}  // namespace
}  // namespace rmq::broker
