#include "broker/persist/recovered_state.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "broker/persist/scan.h"
#include "broker/persist/segment.h"
#include "tests/persist/records_util.h"

namespace rmq::persist {
namespace {

Bytes as_bytes(std::string_view s) {
  return Bytes(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
}

// Replays records through their encoded form, as recovery does.
void replay(RecoveredState& state, std::initializer_list<AnyRecord> records) {
  for (const AnyRecord& r : records) {
    const testing::Encoded e = testing::encode_any(r);
    ASSERT_TRUE(state.apply_payload(e.type, e.payload).ok());
  }
}

MessageRec msg(std::uint64_t id, std::uint8_t qos = 1, std::string_view topic = "t") {
  return MessageRec{id, topic, as_bytes("payload"), qos, 0, {}, 0, 1000};
}

const RecoveredSession& session(const RecoveredState& s, const std::string& id) {
  static const RecoveredSession kNone;
  auto it = s.sessions().find(id);
  EXPECT_NE(it, s.sessions().end()) << id;
  return it == s.sessions().end() ? kNone : it->second;
}

TEST(RecoveredState, SubscribeThenUnsubscribe) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, Subscribe{"c", "a/#", 0x01, 7}, Subscribe{"c", "b", 0, 0},
             Subscribe{"c", "a/#", 0x02, 9}, Unsubscribe{"c", "b"}});
  const auto& subs = session(s, "c").subscriptions;
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs.at("a/#"), (RecoveredSubscription{0x02, 9}));
  replay(s, {Unsubscribe{"c", "b"}});
  EXPECT_EQ(s.anomalies().no_entry, 1u);
  EXPECT_EQ(s.summary().subscriptions, 1u);
}

TEST(RecoveredState, QueueAndAckQos1) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1), msg(2), Enqueue{"c", 1, 1, 0, {}},
             Enqueue{"c", 2, 1, 1, {}}, Sent{"c", 1, 10}});
  auto sum = s.summary();
  EXPECT_EQ(sum.queued, 1u);
  EXPECT_EQ(sum.inflight_outbound, 1u);
  EXPECT_EQ(sum.messages, 2u);
  EXPECT_EQ(session(s, "c").queue.front().packet_id, 10);
  replay(s, {Ack{"c", 1, 10}});
  EXPECT_EQ(s.messages().count(1), 0u) << "released when its last entry went";
  ASSERT_EQ(session(s, "c").queue.size(), 1u);
  EXPECT_EQ(session(s, "c").queue.front().retain, 1);
  replay(s, {Ack{"c", 2, 0}});  // dropped before being sent (e.g. expired)
  EXPECT_TRUE(session(s, "c").queue.empty());
  EXPECT_TRUE(s.messages().empty());
  EXPECT_EQ(s.anomalies().total(), 0u);
}

TEST(RecoveredState, Qos2OutboundThroughPubrecAndPubcomp) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1, 2), Enqueue{"c", 1, 2, 0, {}}, Sent{"c", 1, 3}});
  EXPECT_EQ(session(s, "c").queue.front().stage, EntryStage::kAwaitAck);
  replay(s, {PubrecReceived{"c", 3}});
  EXPECT_EQ(session(s, "c").queue.front().stage, EntryStage::kAwaitPubcomp);
  EXPECT_EQ(s.summary().inflight_outbound, 1u);
  replay(s, {PubrecReceived{"c", 3}});  // a repeated PUBREC: no entry awaits it any more
  EXPECT_EQ(s.anomalies().no_entry, 1u);
  replay(s, {Ack{"c", 1, 3}});
  EXPECT_TRUE(session(s, "c").queue.empty());
  EXPECT_TRUE(s.messages().empty());
}

TEST(RecoveredState, PubrecForAQos1EntryIsSkipped) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1, 2), Enqueue{"c", 1, 1, 0, {}}, Sent{"c", 1, 3},
             PubrecReceived{"c", 3}, Ack{"c", 2, 3}, Sent{"c", 1, 4}});
  EXPECT_EQ(s.anomalies().no_entry, 3u) << "PUBREC for QoS 1, Ack with the wrong message, no "
                                           "queued entry left to send";
  EXPECT_EQ(session(s, "c").queue.front().stage, EntryStage::kAwaitAck);
}

TEST(RecoveredState, SentReusingAHeldPacketIdIsSkipped) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1), msg(2), Enqueue{"c", 1, 1, 0, {}},
             Enqueue{"c", 2, 1, 0, {}}, Sent{"c", 1, 5}, Sent{"c", 2, 5}});
  EXPECT_EQ(s.anomalies().duplicate_packet_id, 1u);
  EXPECT_EQ(s.summary().queued, 1u);
}

TEST(RecoveredState, InboundQos2ThroughPubrel) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, InboundQos2{"c", 1}, InboundQos2{"c", 2},
             InboundReleased{"c", 1}});
  EXPECT_EQ(session(s, "c").inbound_qos2, (std::set<std::uint16_t>{2}));
  EXPECT_EQ(s.summary().inflight_inbound, 1u);
  replay(s, {InboundQos2{"c", 2}, InboundReleased{"c", 9}});
  EXPECT_EQ(s.anomalies().duplicate_packet_id, 1u);
  EXPECT_EQ(s.anomalies().no_entry, 1u);
}

TEST(RecoveredState, WillSetAndClear) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0},
             WillSet{"c", "will/t", as_bytes("bye"), 1, 1, as_bytes("\x01\x01"), 30}});
  ASSERT_TRUE(session(s, "c").will.has_value());
  const RecoveredWill& w = *session(s, "c").will;
  EXPECT_EQ(w.topic, "will/t");
  EXPECT_EQ(std::string(w.payload.begin(), w.payload.end()), "bye");
  EXPECT_EQ(w.delay_s, 30u);
  EXPECT_EQ(w.properties.size(), 2u);
  EXPECT_EQ(s.summary().wills, 1u);
  replay(s, {WillClear{"c"}});
  EXPECT_FALSE(session(s, "c").will.has_value());
  replay(s, {WillClear{"c"}});
  EXPECT_EQ(s.anomalies().no_entry, 1u);
}

TEST(RecoveredState, SessionEndDropsItsQueueAndReleasesMessages) {
  RecoveredState s;
  replay(s, {SessionOpen{"a", 60, 5, 0}, SessionOpen{"b", 60, 4, 0}, msg(1), msg(2),
             Enqueue{"a", 1, 1, 0, {}}, Enqueue{"b", 1, 1, 0, {}}, Enqueue{"a", 2, 1, 0, {}},
             InboundQos2{"a", 4}, SessionEnd{"a"}});
  EXPECT_EQ(s.sessions().count("a"), 0u);
  EXPECT_EQ(s.messages().count(2), 0u);
  ASSERT_EQ(s.messages().count(1), 1u);
  EXPECT_EQ(s.messages().at(1).refs, 1u);
  // Records for the ended session are counted and skipped.
  replay(s, {Subscribe{"a", "x", 0, 0}, Enqueue{"a", 1, 1, 0, {}}, SessionEnd{"a"}});
  EXPECT_EQ(s.anomalies().no_session, 3u);
  EXPECT_EQ(s.messages().at(1).refs, 1u);
}

TEST(RecoveredState, SessionOpenAgainKeepsStateAndUpdatesExpiry) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, Subscribe{"c", "f", 1, 0}, SessionOffline{"c", 5000}});
  EXPECT_EQ(session(s, "c").offline_wall_ms, 5000u);
  replay(s, {SessionOpen{"c", 120, 4, 1}});
  EXPECT_EQ(session(s, "c").expiry_s, 120u);
  EXPECT_EQ(session(s, "c").protocol_version, 4);
  EXPECT_EQ(session(s, "c").offline_wall_ms, 0u);
  EXPECT_EQ(session(s, "c").subscriptions.size(), 1u);
}

TEST(RecoveredState, RetainedSetReplaceClear) {
  RecoveredState s;
  replay(s, {msg(1, 1, "r"), msg(2, 1, "r"), RetainedSet{"r", 1}});
  EXPECT_EQ(s.retained().at("r"), 1u);
  replay(s, {RetainedSet{"r", 1}});  // the same message again keeps it
  EXPECT_EQ(s.messages().at(1).refs, 1u);
  replay(s, {RetainedSet{"r", 2}});
  EXPECT_EQ(s.retained().at("r"), 2u);
  EXPECT_EQ(s.messages().count(1), 0u);
  replay(s, {RetainedClear{"r"}});
  EXPECT_TRUE(s.retained().empty());
  EXPECT_TRUE(s.messages().empty());
  replay(s, {RetainedClear{"r"}, RetainedSet{"r", 2}});
  EXPECT_EQ(s.anomalies().no_entry, 1u);
  EXPECT_EQ(s.anomalies().unknown_message, 1u);
}

TEST(RecoveredState, MessageRefcountsSpanQueuesAndRetained) {
  RecoveredState s;
  replay(s, {SessionOpen{"a", 60, 5, 0}, SessionOpen{"b", 60, 5, 0}, msg(7), RetainedSet{"t", 7},
             Enqueue{"a", 7, 1, 0, {}}, Enqueue{"b", 7, 1, 0, {}}, Enqueue{"b", 7, 1, 0, {}}});
  EXPECT_EQ(s.messages().at(7).refs, 4u);
  replay(s, {Ack{"b", 7, 0}, Ack{"a", 7, 0}, RetainedClear{"t"}});
  EXPECT_EQ(s.messages().at(7).refs, 1u);
  replay(s, {Ack{"b", 7, 0}});
  EXPECT_TRUE(s.messages().empty());
  // Once dropped, the id is unknown until its Message record is written again.
  replay(s, {Enqueue{"a", 7, 1, 0, {}}, msg(7), Enqueue{"a", 7, 1, 0, {}}});
  EXPECT_EQ(s.anomalies().unknown_message, 1u);
  EXPECT_EQ(s.messages().at(7).refs, 1u);
}

TEST(RecoveredState, DuplicateAndUnreferencedMessages) {
  RecoveredState s;
  replay(s, {msg(1, 1, "first"), msg(1, 2, "second"), msg(2)});
  EXPECT_EQ(s.anomalies().duplicate_message, 1u);
  EXPECT_EQ(s.messages().at(1).topic, "first");
  s.finish();
  EXPECT_TRUE(s.messages().empty());
  EXPECT_EQ(s.anomalies().unreferenced_messages, 2u);
}

TEST(RecoveredState, MalformedPayloadsAreCountedAndSkipped) {
  RecoveredState s;
  const std::uint8_t bad[] = {0x05, 'a'};
  EXPECT_FALSE(s.apply_payload(static_cast<std::uint8_t>(RecordType::kSessionOpen), bad).ok());
  EXPECT_FALSE(s.apply_payload(200, bad).ok());
  EXPECT_EQ(s.anomalies().malformed, 2u);
  EXPECT_TRUE(s.sessions().empty());
}

TEST(RecoveredState, EnqueueKeepsSubscriptionIds) {
  RecoveredState s;
  const std::uint32_t ids[] = {3, 300000};
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1), Enqueue{"c", 1, 1, 0, SubscriptionIds(ids)}});
  EXPECT_EQ(session(s, "c").queue.front().subscription_ids,
            (std::vector<std::uint32_t>{3, 300000}));
}

TEST(RecoveredState, SnapshotOfAScenario) {
  RecoveredState s;
  replay(s, {SessionOpen{"c", 60, 5, 0}, msg(1, 2), msg(2), msg(3), Enqueue{"c", 1, 2, 0, {}},
             Enqueue{"c", 2, 1, 0, {}}, Sent{"c", 1, 1}, PubrecReceived{"c", 1},
             RetainedSet{"r", 3}, SessionOffline{"c", 99}});
  s.finish();
  std::vector<testing::Encoded> encoded;
  s.emit_snapshot([&](const AnyRecord& r) { encoded.push_back(testing::encode_any(r)); });
  RecoveredState fresh;
  for (const auto& e : encoded) ASSERT_TRUE(fresh.apply_payload(e.type, e.payload).ok());
  fresh.finish();
  EXPECT_TRUE(fresh.same_state(s));
  EXPECT_EQ(fresh.anomalies(), Anomalies{});
  // 3 Messages, SessionOpen, 2 Enqueue, Sent + PubrecReceived, the commit SessionOpen,
  // SessionOffline, RetainedSet.
  EXPECT_EQ(encoded.size(), 11u);
}

// A segment of framed typed records whose last record is torn (a crash mid-write): the scan
// delivers the records before it and recovery rebuilds the state they describe.
TEST(RecoveredState, ReplaysAScannedSegmentWithATornTail) {
  const std::vector<AnyRecord> records = {SessionOpen{"c", 60, 5, 0},
                                          Subscribe{"c", "a/#", 1, 0},
                                          msg(1, 2),
                                          Enqueue{"c", 1, 2, 0, {}},
                                          Sent{"c", 1, 9},
                                          InboundQos2{"c", 4},
                                          RetainedSet{"t", 1},
                                          Ack{"c", 1, 9}};
  std::vector<std::uint8_t> image(kSegmentHeaderSize);
  encode_segment_header(SegmentHeader{kSegmentVersion, 0, 1, 1}, image);
  RecoveredState expected;
  for (const AnyRecord& r : records) {
    const std::size_t at = image.size();
    image.resize(at + 256);
    auto n = std::visit(
        [&](const auto& rec) { return encode_framed(std::span(image).subspan(at), rec); }, r);
    ASSERT_TRUE(n.ok());
    image.resize(at + *n);
    if (&r != &records.back()) expected.apply(r);
  }
  image.resize(image.size() - 3);  // the Ack is torn
  RecoveredState state;
  const ScanResult scan = scan_segment_image(
      image, "shard-0-00000000000000000001.log", ScanOptions{},
      [&](std::uint8_t type, std::span<const std::uint8_t> payload, std::uint64_t) {
        EXPECT_TRUE(state.apply_payload(type, payload).ok());
      });
  EXPECT_EQ(scan.error, ScanError::kNone);
  EXPECT_EQ(scan.records, records.size() - 1);
  EXPECT_TRUE(scan.truncate_to.has_value());
  EXPECT_TRUE(state.same_state(expected));
  const RecoverySummary sum = state.summary();
  EXPECT_EQ(sum.sessions, 1u);
  EXPECT_EQ(sum.inflight_outbound, 1u);
  EXPECT_EQ(sum.inflight_inbound, 1u);
  EXPECT_EQ(sum.retained, 1u);
  EXPECT_EQ(sum.messages, 1u);
  EXPECT_EQ(state.messages().at(1).refs, 2u);
}

// Generations (records_schema.h): a SessionOpen of the open session's generation updates it; a
// SessionOpen of another generation replaces it unless kOpenContinues; kOpenReset drops it.
SessionOpen open_gen(std::string_view id, std::uint64_t generation, std::uint8_t flags = 0,
                     std::uint32_t expiry_s = 60) {
  return SessionOpen{id, expiry_s, 5, flags, generation};
}

// Gives "c" a subscription, a will, a queued message (id 1) and an inbound QoS 2 packet id.
void fill(RecoveredState& s) {
  replay(s, {Subscribe{"c", "f", 1, 0}, WillSet{"c", "w", as_bytes("x"), 0, 0, {}, 0}, msg(1),
             Enqueue{"c", 1, 1, 0, {}}, InboundQos2{"c", 7}});
}

void expect_filled(const RecoveredState& s) {
  const RecoveredSession& ss = session(s, "c");
  EXPECT_EQ(ss.subscriptions.size(), 1u);
  EXPECT_TRUE(ss.will.has_value());
  EXPECT_EQ(ss.queue.size(), 1u);
  EXPECT_EQ(ss.inbound_qos2.size(), 1u);
  ASSERT_EQ(s.messages().count(1), 1u);
  EXPECT_EQ(s.messages().at(1).refs, 1u);
}

void expect_empty(const RecoveredState& s) {
  const RecoveredSession& ss = session(s, "c");
  EXPECT_TRUE(ss.subscriptions.empty());
  EXPECT_FALSE(ss.will.has_value());
  EXPECT_TRUE(ss.queue.empty());
  EXPECT_TRUE(ss.inbound_qos2.empty());
  EXPECT_TRUE(s.messages().empty()) << "the dropped queue released its message";
}

TEST(RecoveredStateGeneration, SameGenerationKeepsState) {
  RecoveredState s;
  replay(s, {open_gen("c", 3)});
  fill(s);
  replay(s, {SessionOffline{"c", 500}, open_gen("c", 3, 0x01, 90)});
  expect_filled(s);
  const RecoveredSession& ss = session(s, "c");
  EXPECT_EQ(ss.generation, 3u);
  EXPECT_EQ(ss.expiry_s, 90u);
  EXPECT_EQ(ss.flags, 0x01);
  EXPECT_EQ(ss.offline_wall_ms, 0u);
  EXPECT_FALSE(ss.continues);
  EXPECT_EQ(s.anomalies().total(), 0u);
}

TEST(RecoveredStateGeneration, AnotherGenerationWithoutFlagsReplacesState) {
  RecoveredState s;
  replay(s, {open_gen("c", 3)});
  fill(s);
  replay(s, {open_gen("c", 4)});
  expect_empty(s);
  EXPECT_EQ(session(s, "c").generation, 4u);
  EXPECT_FALSE(session(s, "c").continues);
  // An older generation is another generation too.
  fill(s);
  replay(s, {open_gen("c", 2)});
  expect_empty(s);
  EXPECT_EQ(session(s, "c").generation, 2u);
  EXPECT_EQ(s.anomalies().total(), 0u);
}

TEST(RecoveredStateGeneration, ContinuesKeepsStateOfAnotherGenerationAndClearsContinues) {
  RecoveredState s;
  replay(s, {open_gen("c", 1, kOpenContinues)});
  EXPECT_TRUE(session(s, "c").continues);
  fill(s);
  replay(s, {open_gen("c", 2, kOpenContinues | 0x01)});
  expect_filled(s);
  const RecoveredSession& ss = session(s, "c");
  EXPECT_EQ(ss.generation, 2u);
  EXPECT_FALSE(ss.continues) << "the older generation it continues is right here";
  EXPECT_EQ(ss.flags, 0x01) << "kOpenContinues is not kept in flags";
}

TEST(RecoveredStateGeneration, ContinuesWithNoSessionMarksContinues) {
  RecoveredState s;
  replay(s, {open_gen("c", 5, kOpenContinues | 0x02), open_gen("d", 6)});
  EXPECT_TRUE(session(s, "c").continues);
  EXPECT_EQ(session(s, "c").generation, 5u);
  EXPECT_EQ(session(s, "c").flags, 0x02);
  EXPECT_FALSE(session(s, "d").continues);
  // After its end the client id holds no session again.
  replay(s, {SessionEnd{"d", 6}, open_gen("d", 8, kOpenContinues)});
  EXPECT_TRUE(session(s, "d").continues);
}

TEST(RecoveredStateGeneration, ResetReplacesStateOnlyWhenCommitted) {
  RecoveredState s;
  replay(s, {open_gen("c", 3)});
  fill(s);
  replay(s, {open_gen("c", 3, kOpenReset)});
  EXPECT_EQ(s.sessions().at("c").generation, 3u);
  replay(s, {open_gen("c", 3, kOpenCommit)});
  expect_empty(s);
  EXPECT_EQ(session(s, "c").generation, 3u);
  EXPECT_EQ(session(s, "c").flags, 0) << "kOpenReset is not kept in flags";
  fill(s);
  replay(s, {open_gen("c", 9, kOpenReset), open_gen("c", 9, kOpenCommit)});
  expect_empty(s);
  EXPECT_EQ(session(s, "c").generation, 9u);
  EXPECT_EQ(s.anomalies().total(), 0u);
  // A snapshot cut short (no commit) leaves the state before it.
  fill(s);
  replay(s, {open_gen("c", 10, kOpenReset)});
  s.finish();
  expect_filled(s);
  EXPECT_EQ(session(s, "c").generation, 9u);
  EXPECT_EQ(s.anomalies().incomplete_snapshots, 1u);
}

TEST(RecoveredStateGeneration, SessionEndOfAnOlderGenerationIsIgnored) {
  RecoveredState s;
  replay(s, {open_gen("c", 5)});
  fill(s);
  replay(s, {SessionEnd{"c", 4}});
  expect_filled(s);
  EXPECT_EQ(session(s, "c").generation, 5u);
  replay(s, {SessionEnd{"c", 5}});
  EXPECT_EQ(s.sessions().count("c"), 0u);
  EXPECT_TRUE(s.messages().empty());
  replay(s, {open_gen("c", 5)});
  fill(s);
  replay(s, {SessionEnd{"c", 6}});
  EXPECT_EQ(s.sessions().count("c"), 0u) << "a newer generation's end ends it too";
  EXPECT_TRUE(s.messages().empty());
  EXPECT_EQ(s.anomalies().total(), 0u);
  replay(s, {SessionEnd{"c", 6}});
  EXPECT_EQ(s.anomalies().no_session, 1u);
}

TEST(RecoveredStateGeneration, SnapshotKeepsGenerationAndContinues) {
  RecoveredState s;
  replay(s, {open_gen("a", 7, kOpenContinues | 0x04), msg(1), Enqueue{"a", 1, 1, 0, {}},
             Subscribe{"a", "x", 0, 0}, open_gen("b", 9, 0x01), SessionOffline{"b", 42}});
  s.finish();
  std::vector<testing::Encoded> encoded;
  std::vector<SessionOpen> opens;
  s.emit_snapshot([&](const AnyRecord& r) {
    encoded.push_back(testing::encode_any(r));
    if (const auto* o = std::get_if<SessionOpen>(&r)) opens.push_back(*o);
  });
  ASSERT_EQ(opens.size(), 4u);  // each session's reset and its commit
  EXPECT_EQ(opens[0].generation, 7u);
  EXPECT_EQ(opens[0].flags, kOpenReset | kOpenContinues | 0x04);
  EXPECT_EQ(opens[1].flags, kOpenCommit);
  EXPECT_EQ(opens[2].generation, 9u);
  EXPECT_EQ(opens[2].flags, kOpenReset | 0x01);
  EXPECT_EQ(opens[3].flags, kOpenCommit);
  RecoveredState fresh;
  for (const auto& e : encoded) ASSERT_TRUE(fresh.apply_payload(e.type, e.payload).ok());
  fresh.finish();
  EXPECT_TRUE(fresh.same_state(s));
  EXPECT_EQ(session(fresh, "a").generation, 7u);
  EXPECT_TRUE(session(fresh, "a").continues);
  EXPECT_EQ(session(fresh, "b").generation, 9u);
  EXPECT_FALSE(session(fresh, "b").continues);
  // Applied over an older state of the same client ids, the snapshot replaces it.
  RecoveredState over;
  replay(over, {open_gen("a", 7)});
  for (const auto& e : encoded) ASSERT_TRUE(over.apply_payload(e.type, e.payload).ok());
  over.finish();
  EXPECT_TRUE(over.same_state(s));
}

}  // namespace
}  // namespace rmq::persist
