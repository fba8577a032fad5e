// Sessions moving between connections and shards while messages flow, through libmosquitto:
// a persistent subscriber taken over again and again under QoS 1 load loses no acknowledged
// message, and a shared group's offline or busy members are passed over.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "itest_util.h"

namespace rmq::itest {
namespace {

// Adds the messages the client receives to `got`, until none comes for `wait` or `limit` passed.
void drain(MosqClient& client, std::multiset<std::string>& got, Millis wait, Millis limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    auto m = client.receive(wait);
    if (!m) return;
    got.insert(m->payload);
  }
}

class TakeoverUnderLoad : public ::testing::TestWithParam<bool> {};

TEST_P(TakeoverUnderLoad, NoAcknowledgedQos1MessageIsLost) {
  const bool v5 = GetParam();
  BrokerProcess broker({}, 2);
  MosqConfig config{.id = "mover", .v5 = v5, .clean = false};
  if (v5) config.session_expiry = 300;
  auto client = connect_client(broker, config);
  ASSERT_EQ(client->subscribe("load/#", 1), std::vector<int>{1});

  // The publisher runs until the takeovers are done; every message it saw acknowledged must reach
  // the subscriber, through whichever connection held the session at the time.
  constexpr int kTakeovers = 16;
  std::atomic<int> acknowledged{0};
  std::atomic<bool> stop{false};
  std::atomic<bool> publish_failed{false};
  std::thread publisher([&] {
    MosqClient pub(MosqConfig{.id = "load-pub", .v5 = v5});
    if (!pub.connect(broker.port())) {
      publish_failed = true;
      return;
    }
    for (int i = 0; !stop.load(); ++i) {
      if (!pub.publish("load/" + std::to_string(i % 7), std::to_string(i), 1)) {
        publish_failed = true;
        return;
      }
      acknowledged = i + 1;
      // About 1000 messages a second: well within the session's queue limits while it moves.
      std::this_thread::sleep_for(1ms);
    }
  });

  std::multiset<std::string> got;
  std::set<int> shards = {*broker.shard_of("mover")};
  int takeovers = 0;
  while (!publish_failed.load() && takeovers < kTakeovers) {
    auto next = connect_client(broker, config);  // takes the session over
    ASSERT_TRUE(next);
    EXPECT_TRUE(next->session_present());
    client->wait_closed();
    drain(*client, got, 0ms);  // what the old connection had received
    client = std::move(next);
    shards.insert(*broker.shard_of("mover"));
    ++takeovers;
    drain(*client, got, 20ms, 150ms);
  }
  stop = true;
  publisher.join();
  const int messages = acknowledged.load();
  ASSERT_FALSE(publish_failed.load());
  drain(*client, got, 1000ms);

  int missing = 0;
  for (int i = 0; i < messages; ++i) missing += got.count(std::to_string(i)) == 0 ? 1 : 0;
  EXPECT_EQ(missing, 0) << "of " << messages << " acknowledged messages, over " << takeovers
                        << " takeovers";
  EXPECT_GT(messages, kTakeovers) << "the load ran across the takeovers";
  EXPECT_EQ(shards.size(), 2u) << "the session should have moved between the shards";
  RecordProperty("takeovers", takeovers);
  RecordProperty("messages", messages);
  RecordProperty("duplicates", static_cast<int>(got.size()) - (messages - missing));
}

INSTANTIATE_TEST_SUITE_P(Versions, TakeoverUnderLoad, ::testing::Bool());

MosqConfig persistent_v5(const std::string& id) {
  return MosqConfig{.id = id, .v5 = true, .clean = false, .session_expiry = 300};
}

TEST(SharedGroup, OfflineMemberIsPassedOver) {
  BrokerProcess broker({}, 2);
  auto away = connect_client(broker, persistent_v5("away"));
  ASSERT_EQ(away->subscribe("$share/g/work", 1), std::vector<int>{1});
  away->disconnect();
  ASSERT_TRUE(broker.wait_for_log("disconnect client=away "));
  auto here = connect_client(broker, persistent_v5("here"));
  ASSERT_EQ(here->subscribe("$share/g/work", 1), std::vector<int>{1});
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = true});
  constexpr int kJobs = 10;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(pub->publish("work", std::to_string(i), 1));
  std::multiset<std::string> got;
  drain(*here, got, 300ms);
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kJobs)) << "the online member gets every job";
  auto back = connect_client(broker, persistent_v5("away"));
  ASSERT_TRUE(back->session_present());
  EXPECT_TRUE(back->quiet()) << "nothing was queued for the offline member";
}

TEST(SharedGroup, WhenEveryMemberIsOfflineQos1IsQueuedInTurn) {
  BrokerProcess broker({}, 2);
  for (const char* id : {"m1", "m2"}) {
    auto m = connect_client(broker, persistent_v5(id));
    ASSERT_EQ(m->subscribe("$share/g/work", 1), std::vector<int>{1});
    m->disconnect();
    ASSERT_TRUE(broker.wait_for_log("disconnect client=" + std::string(id) + " "));
  }
  auto pub = connect_client(broker, MosqConfig{.id = "pub", .v5 = true});
  // QoS 0 first: the acknowledged QoS 1 publishes after it prove it was routed.
  ASSERT_TRUE(pub->publish("work", "qos0", 0));
  constexpr int kJobs = 10;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(pub->publish("work", std::to_string(i), 1));
  std::multiset<std::string> got;
  for (const char* id : {"m1", "m2"}) {
    auto m = connect_client(broker, persistent_v5(id));
    drain(*m, got, 300ms);
  }
  EXPECT_EQ(got.size(), static_cast<std::size_t>(kJobs)) << "every QoS 1 job, once";
  EXPECT_EQ(got.count("qos0"), 0u) << "QoS 0 is not queued for offline members";
}

}  // namespace
}  // namespace rmq::itest
