// Framed traffic: a handler that consumes only whole length-prefixed frames exercises the
// reassembly path (RecvResult::need), RingBuf leases held across loop turns, and stale ConnIds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <random>
#include <string>
#include <vector>

#include "echo_fixture.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::kSanitized;

struct FrameCounters {
  std::atomic<std::uint64_t> frames{0};
  std::atomic<std::uint64_t> leased{0};
  std::atomic<std::uint64_t> copied{0};
  std::atomic<std::uint64_t> closed{0};
  std::atomic<std::uint64_t> closed_overflow{0};
  std::atomic<std::uint64_t> stale_id_checks_passed{0};
};

// Echoes each 4-byte-length-prefixed frame, but only one timer tick after it arrived: frames that
// lie in a receive buffer are held as RingBuf leases meanwhile, frames that were reassembled are
// copied. Order per connection is kept.
class FrameHandler : public ShardHandler {
 public:
  FrameHandler(Shard& shard, FrameCounters& counters) : shard_(shard), counters_(counters) {}

  void on_open(ConnId, const PeerAddress&) override {}

  RecvResult on_data(ConnId id, const RecvView& view) override {
    const auto bytes = view.bytes();
    std::size_t pos = 0;
    while (bytes.size() - pos >= 4) {
      std::uint32_t length = 0;
      std::memcpy(&length, bytes.data() + pos, 4);
      length = ntohl(length);
      if (bytes.size() - pos - 4 < length) return RecvResult{pos, 4 + std::size_t{length}};
      Held held{id, {}, {}};
      if (view.leasable()) {
        held.lease = view.retain(pos, 4 + std::size_t{length});
        counters_.leased.fetch_add(1);
      } else {
        held.copy = view.copy(pos, 4 + std::size_t{length});
        counters_.copied.fetch_add(1);
      }
      held_.push_back(std::move(held));
      counters_.frames.fetch_add(1);
      pos += 4 + std::size_t{length};
    }
    if (!timer_.armed() && !held_.empty()) shard_.arm_timer(timer_, 1ms);
    return RecvResult{pos, 4};
  }

  void on_timer(Timer&) override { flush(); }

  void on_close(ConnId id, CloseReason reason) override {
    counters_.closed.fetch_add(1);
    if (reason == CloseReason::kRecvOverflow) counters_.closed_overflow.fetch_add(1);
    const bool stale =
        !shard_.is_open(id) &&
        shard_.send(id, SharedBytes::copy_of("x")).code() == StatusCode::kUnavailable &&
        shard_.queued_bytes(id) == 0 && shard_.user_data(id) == nullptr;
    if (stale) counters_.stale_id_checks_passed.fetch_add(1);
  }

  void on_stop() override { held_.clear(); }

 private:
  struct Held {
    ConnId id;
    RingBuf lease;
    SharedBytes copy;
  };

  void flush() {
    for (Held& held : held_) {
      SharedBytes out = held.lease.empty() ? std::move(held.copy) : held.lease.copy();
      held.lease.release();
      (void)shard_.send(held.id, std::move(out));
    }
    held_.clear();
  }

  Shard& shard_;
  FrameCounters& counters_;
  std::vector<Held> held_;
  Timer timer_;
};

class FramedEngine {
 public:
  explicit FramedEngine(EngineConfig config) {
    auto started = Engine::start(
        config, [this](Shard& shard) { return std::make_unique<FrameHandler>(shard, counters_); });
    EXPECT_TRUE(started.ok()) << started.status().message();
    if (started.ok()) engine_ = std::move(*started);
  }
  Engine& engine() { return *engine_; }
  FrameCounters& counters() { return counters_; }

 private:
  FrameCounters counters_;
  std::unique_ptr<Engine> engine_;
};

std::string make_frames(std::uint64_t seed, std::size_t total, std::size_t* frames) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::uint32_t> small(0, 3000);
  testing::ByteStream stream(seed);
  std::string out;
  *frames = 0;
  while (out.size() < total) {
    const std::uint32_t length = rng() % 50 == 0 ? 40000 + small(rng) : small(rng);
    const std::uint32_t wire = htonl(length);
    out.append(reinterpret_cast<const char*>(&wire), 4);
    for (std::uint32_t i = 0; i < length; ++i) out.push_back(static_cast<char>(stream.next()));
    ++*frames;
  }
  return out;
}

bool send_in_random_chunks(int fd, const std::string& data, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 8192, data.size() - pos);
    if (!testing::send_all(fd, data.data() + pos, n)) return false;
    pos += n;
  }
  return true;
}

TEST(EngineFraming, FramesStraddlingBuffersAreReassembledAndLeasesReturn) {
  EngineConfig config = testing::EchoServer::default_config(2);
  config.recv_buffer_size = 4096;
  config.recv_buffer_count = 64;
  config.timer_tick = 1ms;
  FramedEngine framed(config);
  const std::size_t kClients = 4;
  const std::size_t kBytes = kSanitized ? 512 * 1024 : 4 * 1024 * 1024;
  std::vector<std::future<bool>> results;
  std::atomic<std::size_t> total_frames{0};
  for (std::size_t c = 0; c < kClients; ++c) {
    results.push_back(std::async(std::launch::async, [&, c] {
      std::size_t frames = 0;
      const std::string data = make_frames(c + 1, kBytes, &frames);
      total_frames.fetch_add(frames);
      const int fd = testing::connect_to("127.0.0.1", framed.engine().port());
      if (fd < 0) return false;
      auto reader = std::async(std::launch::async, [&] {
        std::string back(data.size(), '\0');
        return testing::recv_exact(fd, back.data(), back.size(), 60000) && back == data;
      });
      const bool sent = send_in_random_chunks(fd, data, c + 100);
      const bool echoed = reader.get();
      close(fd);
      return sent && echoed;
    }));
  }
  for (auto& r : results) EXPECT_TRUE(r.get());
  Engine& engine = framed.engine();
  ASSERT_TRUE([&] {
    for (int i = 0; i < 1000 && framed.counters().closed.load() < kClients; ++i) {
      std::this_thread::sleep_for(5ms);
    }
    return framed.counters().closed.load() == kClients;
  }());
  engine.request_stop();
  engine.wait();
  const FrameCounters& counters = framed.counters();
  EXPECT_EQ(counters.frames.load(), total_frames.load());
  EXPECT_GT(counters.leased.load(), 0u);
  EXPECT_GT(counters.copied.load(), 0u);
  EXPECT_EQ(counters.stale_id_checks_passed.load(), kClients);
  // Only straddling frames are copied, not the whole stream.
  const std::uint64_t copied = engine.total(&ShardStats::reassembly_bytes);
  const std::uint64_t received = engine.total(&ShardStats::recv_bytes);
  EXPECT_GT(copied, 0u);
  EXPECT_LT(copied, received);
  for (ShardId s = 0; s < engine.shard_count(); ++s) {
    EXPECT_EQ(engine.stopped_shard(s).buffers()->available(), config.recv_buffer_count);
    EXPECT_EQ(engine.stopped_shard(s).buffers()->leases(), 0u);
  }
}

TEST(EngineFraming, UnconsumedBytesOverTheLimitCloseTheConnection) {
  EngineConfig config = testing::EchoServer::default_config(1);
  config.recv_buffer_size = 4096;
  config.max_pending_recv_bytes = 64 * 1024;
  FramedEngine framed(config);
  const int fd = testing::connect_to("127.0.0.1", framed.engine().port());
  ASSERT_GE(fd, 0);
  const std::uint32_t huge = htonl(10 * 1024 * 1024);  // a frame that will never fit
  std::string data(reinterpret_cast<const char*>(&huge), 4);
  data.append(256 * 1024, 'p');
  testing::send_all(fd, data.data(), data.size());  // may fail once the server closes
  EXPECT_EQ(testing::recv_until_eof(fd, 5000), "");
  close(fd);
  for (int i = 0; i < 1000 && framed.counters().closed.load() < 1; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(framed.counters().closed_overflow.load(), 1u);
  framed.engine().request_stop();
  framed.engine().wait();
}

}  // namespace
}  // namespace rmq::engine
