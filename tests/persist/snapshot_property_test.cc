// Property: for random record streams, the snapshot of the replayed state, replayed into a fresh
// RecoveredState, gives an equal state; the snapshot is consistent (no anomalies) and a fixed
// point (the fresh state's snapshot is the same records). Reference counts always equal the
// references held.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "broker/persist/recovered_state.h"
#include "tests/persist/records_util.h"

namespace rmq::persist {
namespace {

const std::string kClients[] = {"a", "b", "c"};
const std::string kTopics[] = {"t/1", "t/2", "", "t/3"};
const std::string kPayloads[] = {"", "x", "payload", std::string(300, 'p')};
const std::uint32_t kIds[] = {1, 2, 268435455};

Bytes as_bytes(const std::string& s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// A random record over a small universe, so records often hit existing state. Message ids grow
// slowly so Message records for dropped ids are written again, as the broker does.
AnyRecord random_record(std::mt19937_64& rng, std::uint64_t* next_message) {
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  const std::string& client = kClients[pick(3)];
  const std::string& topic = kTopics[pick(4)];
  const std::uint64_t mid = 1 + pick(*next_message);
  const auto pid = static_cast<std::uint16_t>(1 + pick(4));
  const auto qos12 = static_cast<std::uint8_t>(1 + pick(2));
  switch (pick(20)) {
    case 0: return SessionOpen{client, static_cast<std::uint32_t>(pick(3) * 60), 5, 0};
    case 1: return SessionEnd{client};
    case 2: return SessionOffline{client, 1000 + rng() % 1000};
    case 3:
      return Subscribe{client, topic, static_cast<std::uint8_t>(pick(3)),
                       static_cast<std::uint32_t>(pick(3))};
    case 4: return Unsubscribe{client, topic};
    case 5:
      return WillSet{client,
                     topic,
                     as_bytes(kPayloads[pick(4)]),
                     static_cast<std::uint8_t>(pick(3)),
                     static_cast<std::uint8_t>(pick(2)),
                     {},
                     static_cast<std::uint32_t>(pick(100))};
    case 6: return WillClear{client};
    case 7:
    case 8:
      if (pick(3) == 0 && *next_message < 12) ++*next_message;
      return MessageRec{mid,
                        topic,
                        as_bytes(kPayloads[pick(4)]),
                        qos12,
                        static_cast<std::uint8_t>(pick(2)),
                        as_bytes(kPayloads[pick(2)]),
                        pick(2) * 5000,
                        1000};
    case 9:
    case 10:
    case 11:
      return Enqueue{client, mid, qos12, static_cast<std::uint8_t>(pick(2)),
                     SubscriptionIds(std::span<const std::uint32_t>(kIds, pick(4)))};
    case 12:
    case 13: return Sent{client, mid, pid};
    case 14: return PubrecReceived{client, pid};
    case 15:
    case 16: return Ack{client, mid, static_cast<std::uint16_t>(pick(2) == 0 ? 0 : pid)};
    case 17:
      return pick(2) == 0 ? AnyRecord(InboundQos2{client, pid})
                          : AnyRecord(InboundReleased{client, pid});
    case 18: return RetainedSet{topic, mid};
    default: return RetainedClear{topic};
  }
}

std::vector<testing::Encoded> snapshot(const RecoveredState& s) {
  std::vector<testing::Encoded> out;
  s.emit_snapshot([&](const AnyRecord& r) { out.push_back(testing::encode_any(r)); });
  return out;
}

void expect_refcounts_match(const RecoveredState& s) {
  std::map<std::uint64_t, std::uint32_t> refs;
  for (const auto& [client, ss] : s.sessions()) {
    for (const QueueEntry& e : ss.queue) ++refs[e.message_id];
  }
  for (const auto& [topic, id] : s.retained()) ++refs[id];
  for (const auto& [id, m] : s.messages()) {
    EXPECT_EQ(m.refs, refs[id]) << "message " << id;
    refs.erase(id);
  }
  for (const auto& [id, n] : refs) ADD_FAILURE() << "message " << id << " referenced, not held";
}

TEST(SnapshotProperty, RandomStreamsRebuildAnEqualState) {
  std::uint64_t anomalies = 0, entries = 0, inflight = 0;
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    std::mt19937_64 rng(seed);
    RecoveredState state;
    std::uint64_t next_message = 3;
    const std::size_t n = 50 + seed % 250;
    for (std::size_t i = 0; i < n; ++i) {
      const testing::Encoded e = testing::encode_any(random_record(rng, &next_message));
      ASSERT_TRUE(state.apply_payload(e.type, e.payload).ok());
    }
    expect_refcounts_match(state);
    state.finish();
    expect_refcounts_match(state);

    const auto snap = snapshot(state);
    RecoveredState fresh;
    for (const auto& e : snap) ASSERT_TRUE(fresh.apply_payload(e.type, e.payload).ok());
    fresh.finish();
    ASSERT_TRUE(fresh.same_state(state)) << "seed " << seed;
    EXPECT_EQ(fresh.anomalies(), Anomalies{}) << "seed " << seed;
    const auto again = snapshot(fresh);
    ASSERT_EQ(again.size(), snap.size());
    for (std::size_t i = 0; i < snap.size(); ++i) {
      EXPECT_EQ(again[i].type, snap[i].type);
      EXPECT_EQ(again[i].payload, snap[i].payload);
    }
    anomalies += state.anomalies().total();
    const RecoverySummary sum = state.summary();
    entries += sum.queued + sum.inflight_outbound;
    inflight += sum.inflight_outbound;
  }
  // The generator reaches real state, not only anomalies.
  EXPECT_GT(entries, 300u);
  EXPECT_GT(inflight, 50u);
  EXPECT_GT(anomalies, 0u);
}

}  // namespace
}  // namespace rmq::persist
