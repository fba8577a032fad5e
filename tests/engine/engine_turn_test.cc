// ShardHandler::on_turn_end over real sockets: called once per loop turn, after every callback of
// that turn, and early enough that what it sends leaves in the same turn.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "echo_fixture.h"

namespace rmq::engine {
namespace {

using namespace std::chrono_literals;

struct TurnCounters {
  std::atomic<std::uint64_t> turn_ends{0};
  std::atomic<std::uint64_t> callbacks{0};           // callbacks followed by an on_turn_end
  std::atomic<std::uint64_t> late_turn_ends{0};      // a callback's turn ended in a later turn
  std::atomic<std::uint64_t> repeated_turn_ends{0};  // two on_turn_end in one turn
  std::atomic<std::uint64_t> kinds_seen{0};          // bit per callback kind
  std::atomic<std::uint32_t> timers_done{0};         // shards whose timer stopped re-arming
};

enum Kind : std::uint64_t { kOpen = 1, kData = 2, kClose = 4, kTimer = 8, kMailbox = 16 };

// Echoes through a per-turn batch: on_data only stages the bytes; the next turn's on_turn_end
// sends them. Every callback notes the loop turn it ran in; on_turn_end checks they all ran in
// its own turn.
class TurnHandler : public ShardHandler {
 public:
  TurnHandler(Shard& shard, TurnCounters& counters) : shard_(shard), counters_(counters) {}

  void on_start() override { shard_.arm_timer(timer_, 1ms); }
  void on_open(ConnId, const PeerAddress&) override {
    note(kOpen);
    (void)shard_.post(shard_.id(), MailboxMessage{});
  }
  RecvResult on_data(ConnId id, const RecvView& data) override {
    note(kData);
    batch_.emplace_back(id, data.copy(0, data.size()));
    return {data.size(), 0};
  }
  void on_close(ConnId, CloseReason) override { note(kClose); }
  void on_timer(Timer&) override {
    note(kTimer);
    if (++timer_fired_ < 3) {
      shard_.arm_timer(timer_, 1ms);
    } else {
      counters_.timers_done.fetch_add(1);  // from now on the shard may sleep
    }
  }
  void on_mailbox(const MailboxMessage&) override { note(kMailbox); }

  void on_turn_end() override {
    const std::uint64_t turn = current_turn();
    if (turn == last_turn_end_) counters_.repeated_turn_ends.fetch_add(1);
    last_turn_end_ = turn;
    counters_.turn_ends.fetch_add(1);
    for (const std::uint64_t noted : noted_turns_) {
      counters_.callbacks.fetch_add(1);
      if (noted != turn) counters_.late_turn_ends.fetch_add(1);
    }
    noted_turns_.clear();
    // Echo what the previous turn staged: this turn may have done nothing else, so only a flush
    // after on_turn_end sends it before the shard sleeps.
    for (auto& [id, bytes] : ripe_) (void)shard_.send(id, std::move(bytes));
    ripe_.clear();
    ripe_.swap(batch_);
  }

 private:
  std::uint64_t current_turn() const { return shard_.stats().loop_turns.value(); }
  void note(Kind kind) {
    noted_turns_.push_back(current_turn());
    counters_.kinds_seen.fetch_or(kind);
  }

  Shard& shard_;
  TurnCounters& counters_;
  Timer timer_;
  int timer_fired_ = 0;
  std::uint64_t last_turn_end_ = ~std::uint64_t{0};
  std::vector<std::uint64_t> noted_turns_;
  std::vector<std::pair<ConnId, SharedBytes>> batch_;  // staged this turn
  std::vector<std::pair<ConnId, SharedBytes>> ripe_;   // staged last turn
};

TEST(EngineTurnEnd, CalledOncePerTurnAfterThatTurnsCallbacksAndItsSendsLeaveAtOnce) {
  TurnCounters counters;
  auto engine = Engine::start(testing::EchoServer::default_config(2), [&](Shard& shard) {
    return std::make_unique<TurnHandler>(shard, counters);
  });
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  for (int i = 0; i < 5000 && counters.timers_done.load() < (*engine)->shard_count(); ++i) {
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_EQ(counters.timers_done.load(), (*engine)->shard_count());
  for (int round = 0; round < 3; ++round) {
    const int fd = testing::connect_to("127.0.0.1", (*engine)->port());
    ASSERT_GE(fd, 0);
    for (int i = 0; i < 20; ++i) {
      // Only on_turn_end sends, one turn after the data came: the echo comes back only if what it
      // queued is flushed in its own turn (nothing else wakes a shard once its timer stopped).
      const std::string text = "turn " + std::to_string(round) + "." + std::to_string(i);
      ASSERT_TRUE(testing::send_all(fd, text.data(), text.size()));
      std::string back(text.size(), '\0');
      ASSERT_TRUE(testing::recv_exact(fd, back.data(), back.size(), 10000)) << text;
      EXPECT_EQ(back, text);
    }
    close(fd);
  }
  (*engine)->request_stop();
  (*engine)->wait();
  std::uint64_t turns = 0;
  for (ShardId shard = 0; shard < (*engine)->shard_count(); ++shard) {
    turns += (*engine)->stats(shard).loop_turns.value();
  }
  // Once per turn on each shard, plus once after the final mailbox delivery at exit (which counts
  // no new turn, so it is the only repeat).
  EXPECT_EQ(counters.turn_ends.load(), turns + (*engine)->shard_count());
  EXPECT_EQ(counters.repeated_turn_ends.load(), (*engine)->shard_count());
  EXPECT_EQ(counters.late_turn_ends.load(), 0u);
  EXPECT_GE(counters.callbacks.load(), 3u * (3 + 20));  // open, mailbox, close, data
  EXPECT_EQ(counters.kinds_seen.load(), kOpen | kData | kClose | kTimer | kMailbox)
      << "timers fired " << (*engine)->total(&ShardStats::timers_fired);
}

}  // namespace
}  // namespace rmq::engine
