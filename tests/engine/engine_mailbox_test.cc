// Cross-shard mailboxes through real shards: MSG_RING wakeups, batching, backpressure.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "echo_fixture.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kSequenced = 1;
constexpr std::uint16_t kSelfNote = 2;

struct MailResults {
  std::atomic<std::uint64_t> received{0};
  std::atomic<std::uint64_t> out_of_order{0};
  std::atomic<std::uint64_t> wrong_payload{0};
  std::atomic<std::uint64_t> full{0};
  std::atomic<std::uint64_t> self_notes{0};
  std::atomic<std::uint64_t> producers_done{0};
};

// Shard 0 consumes; every other shard posts `per_producer` sequenced messages to it, each carrying
// a share of one payload. A full mailbox makes the producer retry on its next timer tick.
class MailHandler : public ShardHandler {
 public:
  MailHandler(Shard& shard, MailResults& results, const SharedBytes& payload,
              std::uint64_t per_producer)
      : shard_(shard),
        results_(results),
        payload_(payload),
        per_producer_(per_producer),
        next_(shard.shard_count(), 0) {}

  void on_start() override {
    MailboxMessage note;
    note.type = kSelfNote;
    EXPECT_TRUE(shard_.post(shard_.id(), note).ok());
    if (shard_.id() != 0) produce();
  }
  void on_open(ConnId, const PeerAddress&) override {}
  RecvResult on_data(ConnId, const RecvView& view) override { return {view.size(), 0}; }
  void on_close(ConnId, CloseReason) override {}
  void on_timer(Timer&) override { produce(); }

  void on_mailbox(const MailboxMessage& message) override {
    if (message.type == kSelfNote) {
      if (message.source == shard_.id()) results_.self_notes.fetch_add(1);
      return;
    }
    SharedBytes bytes = SharedBytes::from_raw(message.bytes);
    if (bytes.view() != payload_.view()) results_.wrong_payload.fetch_add(1);
    if (message.u64 != next_[message.source]) results_.out_of_order.fetch_add(1);
    next_[message.source] = message.u64 + 1;
    results_.received.fetch_add(1);
  }

 private:
  void produce() {
    while (sent_ < per_producer_) {
      MailboxMessage message;
      message.type = kSequenced;
      message.u64 = sent_;
      message.bytes = payload_.share().into_raw();
      if (!shard_.post(0, message).ok()) {
        SharedBytes::from_raw(message.bytes).release();  // still ours on failure
        results_.full.fetch_add(1);
        shard_.arm_timer(retry_, 1ms);
        return;
      }
      ++sent_;
    }
    results_.producers_done.fetch_add(1);
  }

  Shard& shard_;
  MailResults& results_;
  const SharedBytes& payload_;
  const std::uint64_t per_producer_;
  std::uint64_t sent_ = 0;
  std::vector<std::uint64_t> next_;
  Timer retry_;
};

TEST(EngineMailbox, ManyShardsPostToOneNothingLostOrDuplicatedFullIsBackpressure) {
  const std::uint64_t per_producer = testing::kSanitized ? 5000 : 50000;
  EngineConfig config = testing::EchoServer::default_config(4);
  config.listen.clear();
  config.mailbox_capacity = 64;
  config.timer_tick = 1ms;
  MailResults results;
  const SharedBytes payload = SharedBytes::copy_of("fan-out payload");
  auto engine = Engine::start(config, [&](Shard& shard) {
    return std::make_unique<MailHandler>(shard, results, payload, per_producer);
  });
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  const std::uint64_t expected = per_producer * 3;
  for (int i = 0; i < 3000 && results.received.load() < expected; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  (*engine)->request_stop();
  (*engine)->wait();
  EXPECT_EQ(results.received.load(), expected);
  EXPECT_EQ(results.out_of_order.load(), 0u);
  EXPECT_EQ(results.wrong_payload.load(), 0u);
  EXPECT_EQ(results.producers_done.load(), 3u);
  EXPECT_EQ(results.self_notes.load(), 4u);
  EXPECT_GT(results.full.load(), 0u);
  EXPECT_EQ((*engine)->total(&ShardStats::mailbox_full), results.full.load());
  EXPECT_EQ((*engine)->total(&ShardStats::mailbox_received), expected + 4);
  // Coalescing: far fewer wakeups than messages.
  EXPECT_LT((*engine)->total(&ShardStats::wakeups_sent), expected);
  engine = Status(StatusCode::kInternal, "engine destroyed");
  EXPECT_EQ(payload.use_count(), 1u) << "every shared payload reference came back";
}

}  // namespace
}  // namespace rmq::engine
