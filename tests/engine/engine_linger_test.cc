// Lingering close over real sockets: after a flushing close has sent everything, the engine sends
// FIN and reads and discards until the peer closes, so a peer that is still writing reads every
// byte and then EOF instead of ECONNRESET. Aborts still reset; linger_timeout bounds the wait,
// and engine shutdown does not wait past shutdown_timeout.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <thread>
#include <vector>

#include "echo_fixture.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

std::string reply_pattern(std::size_t size) {
  testing::ByteStream stream(7);
  std::string reply(size, '\0');
  for (char& c : reply) c = static_cast<char>(stream.next());
  return reply;
}

struct LingerCounters {
  std::atomic<std::uint64_t> closes{0};
  std::atomic<std::uint64_t> data_after_close{0};  // on_data for a connection it closed
  std::atomic<std::uint64_t> stale_id_misuse{0};   // the id still worked after on_close
};

// "Q" queues `reply_size` bytes then closes with kFlush; "S" only queues them; "A" closes with
// kAbort. Everything else
// is consumed and ignored. After on_close it checks that the id is stale.
class LingerHandler : public ShardHandler {
 public:
  LingerHandler(Shard& shard, LingerCounters& counters, std::size_t reply_size)
      : shard_(shard),
        counters_(counters),
        reply_(SharedBytes::copy_of(reply_pattern(reply_size))) {}

  void on_open(ConnId id, const PeerAddress&) override { shard_.set_user_data(id, this); }
  RecvResult on_data(ConnId id, const RecvView& data) override {
    if (!shard_.is_open(id)) counters_.data_after_close.fetch_add(1);
    for (std::size_t i = 0; i < data.size() && shard_.is_open(id); ++i) {
      const std::byte command = data.bytes()[i];
      if (command == std::byte{'Q'} || command == std::byte{'S'}) {
        for (std::size_t at = 0; at < reply_.size(); at += 4096) {  // many slices
          (void)shard_.send(id, reply_.slice(at, std::min<std::size_t>(4096, reply_.size() - at)));
        }
        if (command == std::byte{'Q'}) shard_.close(id, CloseMode::kFlush);
      } else if (data.bytes()[i] == std::byte{'A'}) {
        shard_.close(id, CloseMode::kAbort);
      }
    }
    return {data.size(), 0};
  }
  void on_close(ConnId id, CloseReason) override {
    counters_.closes.fetch_add(1);
    closed_.push_back(id);
  }
  void on_turn_end() override {
    for (ConnId id : closed_) {
      const bool usable = shard_.is_open(id) || shard_.user_data(id) != nullptr ||
                          shard_.send(id, SharedBytes::copy_of("late")).ok() ||
                          shard_.queued_bytes(id) != 0;
      if (usable) counters_.stale_id_misuse.fetch_add(1);
      shard_.close(id, CloseMode::kAbort);  // a no-op: must not cut a linger short
    }
    closed_.clear();
  }

 private:
  Shard& shard_;
  LingerCounters& counters_;
  SharedBytes reply_;
  std::vector<ConnId> closed_;
};

class LingerServer {
 public:
  LingerServer(EngineConfig config, std::size_t reply_size) {
    auto started = Engine::start(config, [this, reply_size](Shard& shard) {
      return std::make_unique<LingerHandler>(shard, counters_, reply_size);
    });
    if (started.ok()) engine_ = std::move(*started);
  }
  ~LingerServer() { engine_.reset(); }
  bool ok() const { return engine_ != nullptr; }
  Engine& engine() { return *engine_; }
  std::uint16_t port() const { return engine_->port(0); }
  LingerCounters& counters() { return counters_; }
  std::int64_t lingering() const { return engine_->total(&ShardStats::lingering); }
  std::int64_t connections() const { return engine_->total(&ShardStats::connections); }
  std::uint64_t total(const Counter ShardStats::*counter) const { return engine_->total(counter); }
  Duration stop() {
    const auto begin = MonoClock::now();
    engine_->request_stop();
    engine_->wait();
    return MonoClock::now() - begin;
  }

 private:
  LingerCounters counters_;
  std::unique_ptr<Engine> engine_;
};

EngineConfig linger_config(Duration linger, std::uint32_t shards = 1) {
  EngineConfig config = testing::EchoServer::default_config(shards);
  config.linger_timeout = linger;
  return config;
}

// Reads until EOF, an error or the timeout. `error` is 0 for EOF, ETIMEDOUT on timeout.
struct ReadOutcome {
  std::string bytes;
  int error = 0;
};

ReadOutcome read_to_end(int fd, int timeout_ms = 20000) {
  ReadOutcome out;
  std::vector<char> buffer(64 * 1024);
  const auto deadline = MonoClock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - MonoClock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      out.error = ETIMEDOUT;
      return out;
    }
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out.error = n == 0 ? 0 : errno;
      return out;
    }
    out.bytes.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

// Keeps writing 'x' to `fd` (paced, non-blocking) until stopped or a write fails.
class Writer {
 public:
  explicit Writer(int fd) : thread_([this, fd] { run(fd); }) {}
  ~Writer() { stop(); }
  // Stops the thread; returns the errno that ended the writing (0 if it was stopped).
  int stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return error_;
  }
  bool failed() const { return done_.load(); }
  std::uint64_t written() const { return written_.load(); }

 private:
  void run(int fd) {
    const std::string chunk(16 * 1024, 'x');
    while (!stop_.load()) {
      const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        written_.fetch_add(static_cast<std::uint64_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        error_ = errno;
        done_ = true;
        return;
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<std::uint64_t> written_{0};
  int error_ = 0;
  std::thread thread_;
};

TEST(EngineLinger, PeerStillWritingReadsEveryByteThenEofNotReset) {
  EngineConfig config = linger_config(30s);
  config.max_connections = 1;
  constexpr std::size_t kReply = 4 * 1024 * 1024;
  LingerServer server(config, kReply);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, "Q", 1));
  Writer writer(fd);  // the peer keeps publishing after the server decided to close
  ASSERT_TRUE(eventually([&] { return writer.written() > 0; }));
  const ReadOutcome got = read_to_end(fd);
  EXPECT_EQ(got.error, 0) << "the read ended with " << std::strerror(got.error);
  EXPECT_EQ(got.bytes.size(), kReply);
  EXPECT_TRUE(got.bytes == reply_pattern(kReply)) << "every byte, in order";
  // on_close came when the linger began; the fd is still held and counts as a connection.
  ASSERT_TRUE(eventually([&] { return server.counters().closes.load() == 1; }));
  EXPECT_EQ(server.lingering(), 1);
  EXPECT_EQ(server.connections(), 1);
  const int over_limit = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(over_limit, 0);
  EXPECT_EQ(testing::recv_until_eof(over_limit, 5000), "") << "max_connections counts it";
  close(over_limit);
  EXPECT_EQ(server.total(&ShardStats::rejected_over_limit), 1u);
  const std::uint64_t written_before = writer.written();
  ASSERT_TRUE(eventually([&] { return writer.written() > written_before || writer.failed(); }));
  EXPECT_EQ(writer.stop(), 0) << "writes kept succeeding while the server lingered";
  close(fd);  // the peer's EOF ends the linger
  ASSERT_TRUE(eventually([&] { return server.connections() == 0; }));
  EXPECT_EQ(server.lingering(), 0);
  EXPECT_EQ(server.total(&ShardStats::lingered), 1u);
  EXPECT_EQ(server.total(&ShardStats::linger_timeouts), 0u);
  EXPECT_GT(server.total(&ShardStats::discarded_bytes), 0u);
  server.stop();
  EXPECT_EQ(server.counters().closes.load(), 1u);
  EXPECT_EQ(server.counters().data_after_close.load(), 0u);
  EXPECT_EQ(server.counters().stale_id_misuse.load(), 0u);
}

TEST(EngineLinger, PeerThatNeverClosesIsClosedAfterTheLingerTimeout) {
  LingerServer server(linger_config(300ms), 1000);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  const auto begin = MonoClock::now();
  ASSERT_TRUE(testing::send_all(fd, "Q", 1));
  const ReadOutcome got = read_to_end(fd);
  EXPECT_EQ(got.error, 0);
  EXPECT_EQ(got.bytes, reply_pattern(1000));
  // The peer keeps its socket open and silent: only the timeout ends the linger.
  ASSERT_TRUE(eventually([&] { return server.total(&ShardStats::linger_timeouts) == 1; }));
  EXPECT_GE(MonoClock::now() - begin, 300ms);
  ASSERT_TRUE(eventually([&] { return server.connections() == 0; }));
  EXPECT_EQ(server.lingering(), 0);
  EXPECT_EQ(server.counters().closes.load(), 1u);
  // The server's socket is gone: writing to it fails (RST) sooner or later.
  EXPECT_TRUE(eventually([&] { return send(fd, "x", 1, MSG_NOSIGNAL) < 0; }));
  close(fd);
  server.stop();
  EXPECT_EQ(server.counters().closes.load(), 1u);
  EXPECT_EQ(server.counters().stale_id_misuse.load(), 0u);
}

TEST(EngineLinger, AbortStillResetsAPeerThatKeepsWriting) {
  LingerServer server(linger_config(30s), 1000);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, "A", 1));
  Writer writer(fd);
  ASSERT_TRUE(eventually([&] { return writer.failed(); }));
  const int error = writer.stop();
  EXPECT_TRUE(error == ECONNRESET || error == EPIPE) << std::strerror(error);
  ASSERT_TRUE(eventually([&] { return server.connections() == 0; }));
  EXPECT_EQ(server.total(&ShardStats::lingered), 0u);
  EXPECT_EQ(server.counters().closes.load(), 1u);
  close(fd);
  server.stop();
}

// An abort resets the connection: a peer that is not reading gets ECONNRESET, not the bytes the
// kernel still held for it followed by EOF.
TEST(EngineLinger, AbortDropsWhatTheKernelStillHoldsForAStuckReader) {
  LingerServer server(linger_config(30s), 8 << 20);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, "S", 1));  // fills the kernel buffers both sides
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(testing::send_all(fd, "A", 1));
  ASSERT_TRUE(eventually([&] { return server.connections() == 0; }));
  std::vector<char> buffer(1 << 16);
  std::size_t received = 0;
  ssize_t n = 0;
  while ((n = recv(fd, buffer.data(), buffer.size(), 0)) > 0) received += n;
  const int error = errno;
  EXPECT_LT(n, 0) << "EOF after " << received << " bytes: the close was not a reset";
  EXPECT_EQ(error, ECONNRESET);
  EXPECT_LT(received, std::size_t{8} << 20);
  close(fd);
  server.stop();
}

TEST(EngineLinger, ZeroLingerTimeoutClosesAsSoonAsTheQueueIsSent) {
  LingerServer server(linger_config(Duration::zero()), 1000);
  ASSERT_TRUE(server.ok());
  const int fd = testing::connect_to("127.0.0.1", server.port());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(testing::send_all(fd, "Q", 1));
  const ReadOutcome got = read_to_end(fd);
  EXPECT_EQ(got.error, 0);
  EXPECT_EQ(got.bytes, reply_pattern(1000));
  ASSERT_TRUE(eventually([&] { return server.connections() == 0; })) << "without the peer";
  EXPECT_EQ(server.total(&ShardStats::lingered), 0u);
  EXPECT_EQ(server.counters().closes.load(), 1u);
  close(fd);
  server.stop();
}

TEST(EngineLinger, EngineStopDoesNotWaitForLingeringPeersPastTheShutdownTimeout) {
  EngineConfig config = linger_config(30s, 2);
  config.shutdown_timeout = 300ms;
  LingerServer server(config, 1000);
  ASSERT_TRUE(server.ok());
  constexpr int kPeers = 6;
  std::vector<int> fds;
  for (int i = 0; i < kPeers; ++i) {
    const int fd = testing::connect_to("127.0.0.1", server.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(testing::send_all(fd, "Q", 1));
    EXPECT_EQ(read_to_end(fd).bytes, reply_pattern(1000));
    fds.push_back(fd);  // open, silent: lingers until the engine gives up
  }
  ASSERT_TRUE(eventually([&] { return server.lingering() == kPeers; }));
  const Duration took = server.stop();
  EXPECT_GE(took, 250ms) << "lingering peers hold the stop until the shutdown deadline";
  EXPECT_LT(took, 5s);
  EXPECT_EQ(server.connections(), 0);
  EXPECT_EQ(server.lingering(), 0);
  EXPECT_EQ(server.counters().closes.load(), static_cast<std::uint64_t>(kPeers));
  for (int fd : fds) close(fd);
}

}  // namespace
}  // namespace rmq::engine
