// Sends of many small slices over real sockets: each sendmsg gathers up to SendQueue::kMaxIov
// slices, the shard's iovec arena is recycled across submissions, and bytes arrive in order.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "echo_fixture.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kBlockBytes = 24000;

std::string pattern_block() {
  testing::ByteStream stream(42);
  std::string block(kBlockBytes, '\0');
  for (char& c : block) c = static_cast<char>(stream.next());
  return block;
}

// Each received byte queues the whole pattern block again, cut into slices of 1..13 bytes.
class SliceHandler : public ShardHandler {
 public:
  explicit SliceHandler(Shard& shard)
      : shard_(shard), block_(SharedBytes::copy_of(pattern_block())) {}
  void on_open(ConnId, const PeerAddress&) override {}
  RecvResult on_data(ConnId id, const RecvView& data) override {
    for (std::size_t request = 0; request < data.size(); ++request) {
      std::size_t size = 1;
      for (std::size_t offset = 0; offset < block_.size(); offset += size) {
        size = std::min(block_.size() - offset, offset % 13 + 1);
        if (!shard_.send(id, block_.slice(offset, size)).ok()) return {data.size(), 0};
        ++slices_;
      }
    }
    return {data.size(), 0};
  }
  void on_close(ConnId, CloseReason) override {}
  static std::size_t slices_per_block() {
    std::size_t count = 0;
    std::size_t size = 1;
    for (std::size_t offset = 0; offset < kBlockBytes; offset += size) {
      size = std::min(kBlockBytes - offset, offset % 13 + 1);
      ++count;
    }
    return count;
  }

 private:
  Shard& shard_;
  SharedBytes block_;
  std::size_t slices_ = 0;
};

TEST(EngineSend, ManySmallSlicesArriveInOrderInFewSendmsgs) {
  EngineConfig config = testing::EchoServer::default_config(1);
  auto engine =
      Engine::start(config, [](Shard& shard) { return std::make_unique<SliceHandler>(shard); });
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  const std::size_t slices = SliceHandler::slices_per_block();
  ASSERT_GT(slices, 3 * SendQueue::kMaxIov);
  // Enough connections asking at once that one flush needs more iovecs than the arena holds.
  constexpr int kClients = 24;
  std::vector<int> fds;
  for (int i = 0; i < kClients; ++i) {
    const int fd = testing::connect_to("127.0.0.1", (*engine)->port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  for (int fd : fds) ASSERT_TRUE(testing::send_all(fd, "go", 2));  // two blocks each
  const std::string block = pattern_block();
  for (int fd : fds) {
    std::string got(2 * kBlockBytes, '\0');
    ASSERT_TRUE(testing::recv_exact(fd, got.data(), got.size(), 20000));
    EXPECT_EQ(got, block + block);
    close(fd);
  }
  (*engine)->request_stop();
  (*engine)->wait();
  const std::uint64_t sendmsgs = (*engine)->total(&ShardStats::sendmsg_calls);
  EXPECT_EQ((*engine)->total(&ShardStats::send_bytes), kClients * 2 * kBlockBytes);
  // 64 slices per sendmsg, the old batch, would need this many; each send now takes up to 1024.
  EXPECT_LT(sendmsgs, kClients * 2 * slices / 64);
  EXPECT_GE(sendmsgs, kClients * 2 * slices / SendQueue::kMaxIov);
}

}  // namespace
}  // namespace rmq::engine
