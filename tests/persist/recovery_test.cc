#include "broker/persist/recovery.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "broker/persist/record_buffer.h"
#include "broker/persist/segment.h"

namespace rmq::persist {
namespace {

namespace fs = std::filesystem;

Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

MessageRec msg(std::uint64_t id, std::string_view topic, std::uint64_t received_ms = 1000,
               std::string_view payload = "p") {
  return MessageRec{id, topic, as_bytes(payload), 1, 0, {}, 0, received_ms};
}

SessionOpen open_gen(std::string_view id, std::uint64_t generation, std::uint8_t flags = 0) {
  return SessionOpen{id, 3600, 5, flags, generation};
}

class RecoveryDir : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("ringmq-recovery-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(std::uint32_t shard, std::uint64_t seq) const {
    return (dir_ / segment_file_name(shard, seq)).string();
  }

  // Writes segment `seq` of `shard` holding `records`; returns each record's file offset.
  std::vector<std::uint64_t> write_log(std::uint32_t shard, std::uint64_t seq,
                                       const std::vector<AnyRecord>& records,
                                       std::vector<std::uint8_t>* image = nullptr /* bytes */) {
    std::vector<std::uint8_t> bytes(kSegmentHeaderSize);
    encode_segment_header(SegmentHeader{kSegmentVersion, shard, seq, 1}, bytes);
    RecordBuffer buffer;
    std::vector<std::uint64_t> offsets;
    for (const AnyRecord& r : records) {
      offsets.push_back(kSegmentHeaderSize + buffer.size());
      EXPECT_TRUE(buffer.append_any(r));
    }
    bytes.insert(bytes.end(), buffer.bytes().begin(), buffer.bytes().end());
    write_bytes(shard, seq, bytes);
    if (image != nullptr) *image = bytes;
    return offsets;
  }
  void write_bytes(std::uint32_t shard, std::uint64_t seq, const std::vector<std::uint8_t>& b) {
    std::ofstream(path(shard, seq), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }

  std::unique_ptr<Recovery> run(std::uint32_t shards, bool skip_corrupt = false,
                                std::uint64_t now_ms = 10'000) {
    RecoveryOptions options;
    options.dir = dir_.string();
    options.shards = shards;
    options.skip_corrupt = skip_corrupt;
    options.now_wall_ms = now_ms;
    error_.clear();
    return recover(options, &error_);
  }

  // The segment file names in the directory, sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  std::string error_;
};

// The client ids of the sessions held, in order.
std::vector<std::string> clients(const RecoveredState& s) {
  std::vector<std::string> out;
  for (const auto& [client, ss] : s.sessions()) out.push_back(client);
  return out;
}
// The session of `id`, or (a failure) an empty one.
const RecoveredSession& get(const RecoveredState& s, const std::string& id) {
  static const RecoveredSession kNone;
  auto it = s.sessions().find(id);
  if (it == s.sessions().end()) ADD_FAILURE() << "no session " << id;
  return it != s.sessions().end() ? it->second : kNone;
}

// Every queue entry and retained topic names a held message, and each message's refs count them.
void expect_consistent(const RecoveredState& s) {
  std::map<std::uint64_t, std::uint32_t> refs;
  for (const auto& [client, ss] : s.sessions()) {
    for (const QueueEntry& e : ss.queue) ++refs[e.message_id];
  }
  for (const auto& [topic, id] : s.retained()) ++refs[id];
  for (const auto& [id, n] : refs) {
    ASSERT_EQ(s.messages().count(id), 1u) << "message " << id;
    EXPECT_EQ(s.messages().at(id).refs, n) << "message " << id;
  }
  EXPECT_EQ(refs.size(), s.messages().size()) << "no unreferenced message";
}

// The state with every message id replaced by the message itself: recovery renumbers ids, so
// states are compared by content.
struct CanonEntry {
  RecoveredMessage message;
  QueueEntry entry;
  friend bool operator==(const CanonEntry&, const CanonEntry&) = default;
};
struct CanonSession {
  RecoveredSession session;  // queue cleared
  std::vector<CanonEntry> queue;
  friend bool operator==(const CanonSession&, const CanonSession&) = default;
};
struct Canon {
  std::map<std::string, CanonSession> sessions;
  std::map<std::string, RecoveredMessage> retained;
  friend bool operator==(const Canon&, const Canon&) = default;
};
RecoveredMessage content(const RecoveredState& s, std::uint64_t id) {
  RecoveredMessage m = s.messages().at(id);
  m.refs = 0;
  return m;
}
Canon canon(const RecoveredState& s) {
  Canon c;
  for (const auto& [client, ss] : s.sessions()) {
    CanonSession cs;
    cs.session = ss;
    cs.session.queue.clear();
    for (const QueueEntry& e : ss.queue) {
      QueueEntry entry = e;
      entry.message_id = 0;
      cs.queue.push_back(CanonEntry{content(s, e.message_id), entry});
    }
    c.sessions.emplace(client, std::move(cs));
  }
  for (const auto& [topic, id] : s.retained()) c.retained.emplace(topic, content(s, id));
  return c;
}
bool same_content(const RecoveredState& a, const RecoveredState& b) { return canon(a) == canon(b); }

std::string topic_of(const RecoveredState& s, const QueueEntry& e) {
  auto it = s.messages().find(e.message_id);
  return it == s.messages().end() ? "<none>" : it->second.topic;
}

TEST_F(RecoveryDir, EmptyDirectoryGivesEmptyShardsAndFreshSegments) {
  fs::remove_all(dir_);  // created by recover()
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  ASSERT_EQ(r->shards.size(), 2u);
  for (std::uint32_t i = 0; i < 2; ++i) {
    EXPECT_TRUE(r->shards[i].state.same_state(RecoveredState{}));
    EXPECT_EQ(r->shards[i].segment_seq, 1u);
    EXPECT_EQ(r->shards[i].segment_path, path(i, 1));
    EXPECT_EQ(r->shards[i].segment_size, kSegmentHeaderSize);
  }
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 1), segment_file_name(1, 1)}));
  EXPECT_EQ(r->report.segments, 0u);
  EXPECT_TRUE(r->report.warnings.empty());
}

// The records of one shard's log spanning two segments, and the state they describe.
std::vector<AnyRecord> first_part() {
  return {open_gen("a", 4),
          Subscribe{"a", "x/#", 1, 5},
          WillSet{"a", "will", as_bytes("bye"), 1, 0, {}, 10},
          msg(1, "q1"),
          msg(2, "q2"),
          msg(3, "q3"),
          Enqueue{"a", 1, 1, 0, {}},
          Enqueue{"a", 2, 2, 0, {}},
          Enqueue{"a", 3, 1, 0, {}}};
}
std::vector<AnyRecord> second_part() {
  return {Sent{"a", 1, 11},     Sent{"a", 2, 12},         PubrecReceived{"a", 12},
          InboundQos2{"a", 40}, msg(4, "r", 1500, "v"),   RetainedSet{"r", 4},
          open_gen("b", 6),     SessionOffline{"a", 2000}};
}

TEST_F(RecoveryDir, OneShardRoundTrip) {
  write_log(0, 3, first_part());
  write_log(0, 4, second_part());
  RecoveredState expected;
  for (const AnyRecord& rec : first_part()) expected.apply(rec);
  for (const AnyRecord& rec : second_part()) expected.apply(rec);
  expected.finish();

  auto r = run(1);
  ASSERT_NE(r, nullptr) << error_;
  ASSERT_EQ(r->shards.size(), 1u);
  const RecoveredState& got = r->shards[0].state;
  // Ids are renumbered above the old segments' (1..4): compared by content.
  EXPECT_TRUE(same_content(got, expected));
  EXPECT_EQ(got.messages().begin()->first, 5u);
  const RecoveredSession& a = get(got, "a");
  EXPECT_EQ(a.generation, 4u);
  EXPECT_EQ(a.offline_wall_ms, 2000u);
  ASSERT_EQ(a.queue.size(), 3u);
  EXPECT_EQ(a.queue[0].stage, EntryStage::kAwaitAck);
  EXPECT_EQ(a.queue[1].stage, EntryStage::kAwaitPubcomp);
  EXPECT_EQ(a.queue[2].stage, EntryStage::kQueued);
  EXPECT_EQ(topic_of(got, a.queue[2]), "q3");
  EXPECT_EQ(a.inbound_qos2, (std::set<std::uint16_t>{40}));
  expect_consistent(got);

  const RecoveryReport& rep = r->report;
  EXPECT_EQ(rep.segments, 2u);
  EXPECT_EQ(rep.records, first_part().size() + second_part().size());
  EXPECT_EQ(rep.anomalies.total(), 0u);
  EXPECT_EQ(rep.max_generation, 6u);
  EXPECT_EQ(rep.summary.sessions, 2u);
  EXPECT_EQ(rep.summary.subscriptions, 1u);
  EXPECT_EQ(rep.summary.wills, 1u);
  EXPECT_EQ(rep.summary.queued, 1u);
  EXPECT_EQ(rep.summary.inflight_outbound, 2u);
  EXPECT_EQ(rep.summary.inflight_inbound, 1u);
  EXPECT_EQ(rep.summary.messages, 4u);
  EXPECT_EQ(rep.summary.retained, 1u);

  // The fresh segment follows the highest sequence; the old ones are gone.
  EXPECT_EQ(r->shards[0].segment_seq, 5u);
  EXPECT_EQ(r->shards[0].segment_path, path(0, 5));
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 5)}));
  EXPECT_EQ(fs::file_size(path(0, 5)), r->shards[0].segment_size);

  // Recovering the fresh directory gives the same state again.
  auto again = run(1);
  ASSERT_NE(again, nullptr) << error_;
  EXPECT_TRUE(same_content(again->shards[0].state, got));
  EXPECT_EQ(again->report.anomalies, Anomalies{});
  EXPECT_EQ(again->shards[0].segment_seq, 6u);
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 6)}));
}

TEST_F(RecoveryDir, HighestGenerationWinsAcrossLogs) {
  write_log(0, 1,
            {open_gen("c", 3), Subscribe{"c", "old", 0, 0}, open_gen("d", 9),
             Subscribe{"d", "d-new", 0, 0}});
  write_log(1, 1,
            {open_gen("c", 5), Subscribe{"c", "new", 0, 0}, open_gen("d", 2),
             Subscribe{"d", "d-old", 0, 0}});
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s0 = r->shards[0].state;
  const RecoveredState& s1 = r->shards[1].state;
  EXPECT_EQ(clients(s0), (std::vector<std::string>{"d"}));
  EXPECT_EQ(clients(s1), (std::vector<std::string>{"c"})) << "c's newest generation is in log 1";
  EXPECT_EQ(get(s1, "c").generation, 5u);
  EXPECT_EQ(get(s1, "c").subscriptions.count("new"), 1u);
  EXPECT_EQ(get(s1, "c").subscriptions.count("old"), 0u);
  EXPECT_EQ(get(s0, "d").generation, 9u);
  EXPECT_EQ(get(s0, "d").subscriptions.size(), 1u);
  EXPECT_EQ(get(s0, "d").subscriptions.count("d-new"), 1u);
  EXPECT_EQ(r->report.max_generation, 9u);
  EXPECT_EQ(r->report.summary.sessions, 2u);
}

TEST_F(RecoveryDir, ContinuedSessionTakesTheNextLowerGenerationFirst) {
  // Generation 2 (shard 2) is older than the one generation 7 continues: not taken.
  write_log(2, 1,
            {open_gen("c", 2), Subscribe{"c", "ancient", 0, 0}, msg(1, "ancient"),
             Enqueue{"c", 1, 1, 0, {}}});
  write_log(0, 1,
            {open_gen("c", 4), Subscribe{"c", "a", 0, 0}, Subscribe{"c", "both", 1, 0},
             msg(1, "old-1"), msg(2, "old-2"), Enqueue{"c", 1, 1, 0, {}}, Enqueue{"c", 2, 1, 0, {}},
             Sent{"c", 1, 3}, InboundQos2{"c", 8}});
  write_log(
      1, 1,
      {open_gen("c", 7, kOpenContinues), Subscribe{"c", "b", 0, 0}, Subscribe{"c", "both", 2, 0},
       msg(1, "new-1"), Enqueue{"c", 1, 1, 0, {}}, InboundQos2{"c", 9}});
  auto r = run(3);
  ASSERT_NE(r, nullptr) << error_;
  EXPECT_TRUE(r->shards[0].state.sessions().empty());
  EXPECT_TRUE(r->shards[2].state.sessions().empty());
  const RecoveredState& s = r->shards[1].state;
  const RecoveredSession& c = get(s, "c");
  EXPECT_EQ(c.generation, 7u);
  EXPECT_FALSE(c.continues) << "the continued state was found";
  ASSERT_EQ(c.queue.size(), 3u);
  EXPECT_EQ(topic_of(s, c.queue[0]), "old-1");
  EXPECT_EQ(c.queue[0].stage, EntryStage::kAwaitAck);
  EXPECT_EQ(c.queue[0].packet_id, 3);
  EXPECT_EQ(topic_of(s, c.queue[1]), "old-2");
  EXPECT_EQ(topic_of(s, c.queue[2]), "new-1");
  EXPECT_EQ(c.subscriptions.size(), 3u);
  EXPECT_EQ(c.subscriptions.count("a"), 1u);
  EXPECT_EQ(c.subscriptions.count("b"), 1u);
  ASSERT_EQ(c.subscriptions.count("both"), 1u);
  EXPECT_EQ(c.subscriptions.at("both").options, 2) << "the newer generation's grant";
  EXPECT_EQ(c.subscriptions.count("ancient"), 0u);
  EXPECT_EQ(c.inbound_qos2, (std::set<std::uint16_t>{8, 9}));
  EXPECT_EQ(s.messages().size(), 3u);
  expect_consistent(s);
}

TEST_F(RecoveryDir, ContinuesWhoseStateIsInItsOwnLogIgnoresOlderLogs) {
  write_log(0, 1, {open_gen("c", 3), Subscribe{"c", "stale", 0, 0}});
  write_log(1, 1, {open_gen("c", 5), Subscribe{"c", "a", 0, 0}, open_gen("c", 7, kOpenContinues)});
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredSession& c = get(r->shards[1].state, "c");
  EXPECT_EQ(c.generation, 7u);
  EXPECT_EQ(c.subscriptions.size(), 1u);
  EXPECT_EQ(c.subscriptions.count("a"), 1u);
  EXPECT_TRUE(r->shards[0].state.sessions().empty());
}

TEST_F(RecoveryDir, FewerShardsThanLogs) {
  for (std::uint32_t shard = 0; shard < 3; ++shard) {
    const std::string client = "c" + std::to_string(shard);
    const std::string topic = "t" + std::to_string(shard);
    write_log(shard, 2,
              {open_gen(client, 10 + shard), msg(1, topic), msg(2, topic + "-b"),
               Enqueue{client, 1, 1, 0, {}}, Enqueue{client, 2, 1, 0, {}}});
  }
  // A message shared by two sessions of shard 2's log.
  write_log(
      2, 3,
      {open_gen("z", 20), msg(3, "shared"), Enqueue{"c2", 3, 1, 0, {}}, Enqueue{"z", 3, 1, 0, {}}});
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  ASSERT_EQ(r->shards.size(), 2u);
  const RecoveredState& s0 = r->shards[0].state;
  const RecoveredState& s1 = r->shards[1].state;
  ASSERT_EQ(clients(s0), (std::vector<std::string>{"c0", "c2", "z"})) << "2 % 2 == 0";
  ASSERT_EQ(clients(s1), (std::vector<std::string>{"c1"}));
  for (const RecoveredState* s : {&s0, &s1}) {
    expect_consistent(*s);
    std::uint64_t id = 4;  // renumbered per target shard from above the logs' highest id (3)
    for (const auto& [mid, m] : s->messages()) EXPECT_EQ(mid, id++);
  }
  EXPECT_EQ(s0.messages().size(), 5u);
  EXPECT_EQ(s1.messages().size(), 2u);
  const auto topics = [&](const RecoveredState& s, const char* client) {
    std::vector<std::string> out;
    for (const QueueEntry& e : get(s, client).queue) out.push_back(topic_of(s, e));
    return out;
  };
  EXPECT_EQ(topics(s0, "c0"), (std::vector<std::string>{"t0", "t0-b"}));
  EXPECT_EQ(topics(s0, "c2"), (std::vector<std::string>{"t2", "t2-b", "shared"}));
  EXPECT_EQ(topics(s0, "z"), (std::vector<std::string>{"shared"}));
  EXPECT_EQ(topics(s1, "c1"), (std::vector<std::string>{"t1", "t1-b"}));
  ASSERT_EQ(get(s0, "z").queue.size(), 1u);
  ASSERT_EQ(get(s0, "c2").queue.size(), 3u);
  EXPECT_EQ(get(s0, "z").queue[0].message_id, get(s0, "c2").queue[2].message_id);
  EXPECT_EQ(s0.messages().at(get(s0, "z").queue[0].message_id).refs, 2u);
  EXPECT_EQ(r->report.segments, 4u);
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 3), segment_file_name(1, 3)}))
      << "shard 2's segments are gone";
  auto again = run(2);
  ASSERT_NE(again, nullptr) << error_;
  EXPECT_TRUE(same_content(again->shards[0].state, s0));
  EXPECT_TRUE(same_content(again->shards[1].state, s1));
}

// A topic whose retained_owner among 2 shards is `owner`.
std::string topic_owned_by(std::uint32_t owner) {
  for (int i = 0;; ++i) {
    std::string t = "ret/" + std::to_string(i);
    if (retained_owner(t, 2) == owner) return t;
  }
}

TEST_F(RecoveryDir, RetainedTopicKeepsTheNewestAndLandsOnItsOwner) {
  const std::string on0 = topic_owned_by(0);  // its newest message is in shard 1's log
  const std::string on1 = topic_owned_by(1);  // its newest message is in shard 0's log
  write_log(0, 1,
            {msg(1, on0, 2000, "old0"), RetainedSet{on0, 1}, msg(2, on1, 5000, "new1"),
             RetainedSet{on1, 2}});
  write_log(1, 1,
            {msg(7, on0, 3000, "new0"), RetainedSet{on0, 7}, msg(8, on1, 4000, "old1"),
             RetainedSet{on1, 8}});
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s0 = r->shards[0].state;
  const RecoveredState& s1 = r->shards[1].state;
  ASSERT_EQ(s0.retained().count(on0), 1u);
  ASSERT_EQ(s1.retained().count(on1), 1u);
  const RecoveredMessage& m0 = s0.messages().at(s0.retained().at(on0));
  const RecoveredMessage& m1 = s1.messages().at(s1.retained().at(on1));
  EXPECT_EQ(std::string(m0.payload.begin(), m0.payload.end()), "new0");
  EXPECT_EQ(m0.received_wall_ms, 3000u);
  EXPECT_EQ(std::string(m1.payload.begin(), m1.payload.end()), "new1");
  EXPECT_EQ(m1.received_wall_ms, 5000u);
  EXPECT_EQ(s0.messages().size(), 1u);
  EXPECT_EQ(s1.messages().size(), 1u);
  expect_consistent(s0);
  expect_consistent(s1);
  EXPECT_EQ(r->report.summary.retained, 2u);
}

TEST_F(RecoveryDir, OfflineSessionWhoseExpiryPassedIsDropped) {
  write_log(0, 1,
            {SessionOpen{"gone", 10, 5, 0, 1}, SessionOpen{"kept", 100, 5, 0, 2},
             SessionOpen{"online", 10, 5, 0, 3}, msg(1, "q"), Enqueue{"gone", 1, 1, 0, {}},
             SessionOffline{"gone", 1000}, SessionOffline{"kept", 1000}});
  auto r = run(1, false, /*now_ms=*/1000 + 10'000 + 1);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s = r->shards[0].state;
  // "kept" expires 100 s after 1000; "online" was connected when the log ended: never expires.
  EXPECT_EQ(clients(s), (std::vector<std::string>{"kept", "online"}));
  EXPECT_EQ(r->report.expired_sessions, 1u);
  EXPECT_TRUE(s.messages().empty()) << "the expired session's queue went with it";
  EXPECT_EQ(r->report.summary.sessions, 2u);
}

// A message both retained and queued keeps one copy (both references) on a shard that holds
// both, and a copy of its own on each shard holding one of them.
TEST_F(RecoveryDir, MessageRetainedAndQueuedIsSharedPerTargetShard) {
  const std::string on0 = topic_owned_by(0);
  const std::string on1 = topic_owned_by(1);
  write_log(0, 1,
            {open_gen("a", 1), msg(1, on0), msg(2, on1), Enqueue{"a", 1, 1, 0, {}},
             Enqueue{"a", 2, 1, 0, {}}, RetainedSet{on0, 1}, RetainedSet{on1, 2}});
  auto r = run(2);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s0 = r->shards[0].state;
  const RecoveredState& s1 = r->shards[1].state;
  ASSERT_EQ(get(s0, "a").queue.size(), 2u);
  EXPECT_EQ(s0.messages().size(), 2u);
  ASSERT_EQ(s0.retained().count(on0), 1u);
  EXPECT_EQ(s0.retained().at(on0), get(s0, "a").queue[0].message_id);
  EXPECT_EQ(s0.messages().at(s0.retained().at(on0)).refs, 2u);
  ASSERT_EQ(s1.retained().count(on1), 1u);
  EXPECT_EQ(s1.messages().size(), 1u);
  EXPECT_EQ(s1.messages().at(s1.retained().at(on1)).topic, on1);
  expect_consistent(s0);
  expect_consistent(s1);
}

// A crash after the fresh segment is on disk but before the old ones are unlinked (the order
// recovery.h sets so that such a crash loses nothing) leaves the old segments and the fresh one;
// the next recovery must rebuild the same state.
//
// The fresh segment numbers its messages above every id of the old ones (records_schema.h:
// message ids are never reused by a shard), so replaying both still names the right messages.
TEST_F(RecoveryDir, CrashBeforeOldSegmentsAreUnlinkedLosesNothing) {
  std::vector<std::uint8_t> old_image;
  write_log(0, 1,
            {msg(1, "A", 1000, "a"), RetainedSet{"A", 1}, open_gen("c", 1), msg(2, "B", 1000, "b"),
             Enqueue{"c", 2, 1, 0, {}}},
            &old_image);
  auto first = run(1);
  ASSERT_NE(first, nullptr) << error_;
  const RecoveredState& want = first->shards[0].state;
  ASSERT_EQ(get(want, "c").queue.size(), 1u);
  ASSERT_EQ(topic_of(want, get(want, "c").queue[0]), "B");
  write_bytes(0, 1, old_image);  // as if the unlink had not happened
  ASSERT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 1), segment_file_name(0, 2)}));

  auto second = run(1);
  ASSERT_NE(second, nullptr) << error_;
  const RecoveredState& got = second->shards[0].state;
  ASSERT_EQ(get(got, "c").queue.size(), 1u);
  EXPECT_EQ(topic_of(got, get(got, "c").queue[0]), "B");
  ASSERT_EQ(got.retained().count("A"), 1u);
  EXPECT_EQ(got.messages().count(got.retained().at("A")), 1u);
  EXPECT_TRUE(same_content(got, want));
  expect_consistent(got);
}

std::vector<AnyRecord> three_sessions() {
  return {open_gen("a", 1), open_gen("b", 2), Subscribe{"b", "lost", 0, 0}, open_gen("c", 3)};
}

TEST_F(RecoveryDir, CorruptMiddleRecordFailsUnlessSkipped) {
  std::vector<std::uint8_t> image;
  const auto offsets = write_log(0, 1, three_sessions(), &image);
  image[offsets[2] + kRecordHeaderSize + 1] ^= 0x55;  // the Subscribe's payload
  write_bytes(0, 1, image);
  auto r = run(1);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(error_.find(segment_file_name(0, 1)), std::string::npos) << error_;
  EXPECT_NE(error_.find("offset " + std::to_string(offsets[2])), std::string::npos) << error_;
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 1)}))
      << "a failed recovery writes nothing and deletes nothing";

  r = run(1, /*skip_corrupt=*/true);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s = r->shards[0].state;
  EXPECT_EQ(s.sessions().size(), 3u);
  EXPECT_TRUE(get(s, "b").subscriptions.empty());
  EXPECT_EQ(r->report.skipped_bytes, offsets[3] - offsets[2]);
  EXPECT_FALSE(r->report.warnings.empty());
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 2)}));
}

TEST_F(RecoveryDir, TornTailIsTruncatedWithAWarning) {
  std::vector<std::uint8_t> image;
  write_log(0, 1, three_sessions(), &image);
  image.resize(image.size() - 3);  // the last SessionOpen is torn
  write_bytes(0, 1, image);
  auto r = run(1);
  ASSERT_NE(r, nullptr) << error_;
  const RecoveredState& s = r->shards[0].state;
  EXPECT_EQ(clients(s), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->report.records, 3u);
  ASSERT_EQ(r->report.warnings.size(), 1u);
  EXPECT_NE(r->report.warnings[0].find("truncat"), std::string::npos) << r->report.warnings[0];
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 2)}));
}

TEST_F(RecoveryDir, MissingSegmentIsAnError) {
  write_log(0, 1, {open_gen("a", 1)});
  write_log(0, 3, {open_gen("b", 2)});
  auto r = run(1);
  EXPECT_EQ(r, nullptr);
  EXPECT_NE(error_.find(segment_file_name(0, 2)), std::string::npos) << error_;
  EXPECT_EQ(files(), (std::vector<std::string>{segment_file_name(0, 1), segment_file_name(0, 3)}));
}

}  // namespace
}  // namespace rmq::persist
