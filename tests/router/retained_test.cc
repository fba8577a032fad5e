// RetainedStore: set/replace/delete, limits, expiry, wildcard lookup; RetainedMessage blobs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "router/retained_store.h"

namespace rmq::router {
namespace {

using std::chrono::seconds;

const MonoTime kT0 = MonoTime{} + seconds(1000);

codec::BinaryView bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

RetainedPtr message(std::string_view topic, std::string_view payload, MonoTime at = kT0,
                    std::optional<std::uint32_t> expiry = std::nullopt) {
  return RetainedMessage::create({.topic = topic,
                                  .payload = bytes(payload),
                                  .qos = codec::QoS::kAtLeastOnce,
                                  .properties = {},
                                  .stored_at = at,
                                  .expiry_interval_s = expiry});
}

std::vector<std::string> topics(RetainedStore& store, std::string_view filter, MonoTime now = kT0) {
  std::vector<RetainedPtr> found;
  EXPECT_TRUE(store.lookup(filter, now, found).ok()) << filter;
  std::vector<std::string> out;
  for (const RetainedPtr& m : found) out.emplace_back(m->topic());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(RetainedMessage, HoldsItsFieldsInOneBlob) {
  const std::uint8_t props[] = {0x01, 0x01};
  RetainedPtr m = RetainedMessage::create({.topic = "a/b",
                                           .payload = bytes("hello"),
                                           .qos = codec::QoS::kExactlyOnce,
                                           .properties = props,
                                           .stored_at = kT0,
                                           .expiry_interval_s = 10});
  EXPECT_EQ(m->topic(), "a/b");
  EXPECT_EQ(std::string(m->payload().begin(), m->payload().end()), "hello");
  EXPECT_EQ(m->properties().size(), 2u);
  EXPECT_EQ(m->properties()[0], 0x01);
  EXPECT_EQ(m->qos(), codec::QoS::kExactlyOnce);
  EXPECT_EQ(m->size_bytes(), 3u + 5u + 2u);
  EXPECT_EQ(m->expiry_interval_s(), 10u);
  EXPECT_EQ(m->remaining_expiry_s(kT0 + seconds(4)), 6u);
  EXPECT_FALSE(m->expired(kT0 + seconds(9)));
  EXPECT_TRUE(m->expired(kT0 + seconds(10)));
  EXPECT_EQ(m->remaining_expiry_s(kT0 + seconds(60)), 0u);

  RetainedPtr shared = m.share();
  EXPECT_EQ(shared.get(), m.get()) << "share() is a reference, not a copy";
  m.reset();
  EXPECT_EQ(shared->topic(), "a/b") << "alive while a share remains";

  RetainedPtr forever = message("x", "y");
  EXPECT_FALSE(forever->expiry_interval_s().has_value());
  EXPECT_FALSE(forever->remaining_expiry_s(kT0 + seconds(1'000'000)).has_value());
  EXPECT_FALSE(forever->expired(kT0 + seconds(1'000'000)));
}

TEST(RetainedStore, SetReplaceDelete) {
  RetainedStore store;
  EXPECT_EQ(store.set(message("a/b", "1")), RetainOutcome::kStored);
  EXPECT_EQ(store.set(message("a/b", "22")), RetainOutcome::kReplaced);
  RetainedPtr got = store.find("a/b", kT0);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload().size(), 2u);
  EXPECT_EQ(store.stats().messages, 1u);
  EXPECT_EQ(store.stats().bytes, 3u + 2u);

  EXPECT_EQ(store.set(message("a/b", "")), RetainOutcome::kDeleted) << "[MQTT-3.3.1-6]";
  EXPECT_EQ(store.set(message("a/b", "")), RetainOutcome::kNothingToDelete);
  EXPECT_FALSE(store.find("a/b", kT0));
  EXPECT_EQ(store.stats().messages, 0u);
  EXPECT_EQ(store.stats().bytes, 0u);
  EXPECT_EQ(got->payload().size(), 2u) << "a reader's share outlives the deletion";

  EXPECT_EQ(store.set(message("a/b/c", "x")), RetainOutcome::kStored);
  EXPECT_EQ(store.remove("a/b"), RetainOutcome::kNothingToDelete) << "a/b is only a path";
  EXPECT_EQ(store.remove("a/b/c"), RetainOutcome::kDeleted);
  EXPECT_EQ(topics(store, "#"), std::vector<std::string>{});
}

TEST(RetainedStore, CountLimitRefusesNewTopicsOnly) {
  RetainedStore store({.max_messages = 2, .max_bytes = 1000});
  EXPECT_EQ(store.set(message("a", "1")), RetainOutcome::kStored);
  EXPECT_EQ(store.set(message("b", "1")), RetainOutcome::kStored);
  EXPECT_EQ(store.set(message("c", "1")), RetainOutcome::kRefusedCount);
  EXPECT_EQ(store.set(message("a", "2")), RetainOutcome::kReplaced) << "replacing is fine";
  EXPECT_EQ(store.stats().refused, 1u);
  EXPECT_EQ(store.set(message("a", "")), RetainOutcome::kDeleted);
  EXPECT_EQ(store.set(message("c", "1")), RetainOutcome::kStored) << "room again";
  EXPECT_EQ(topics(store, "+"), (std::vector<std::string>{"b", "c"}));
}

TEST(RetainedStore, ByteLimitCountsTopicPayloadAndProperties) {
  RetainedStore store({.max_messages = 100, .max_bytes = 20});
  EXPECT_EQ(store.set(message("t1", "12345678")), RetainOutcome::kStored);         // 10 bytes
  EXPECT_EQ(store.set(message("t2", "123456789")), RetainOutcome::kRefusedBytes);  // 11 more
  EXPECT_EQ(store.set(message("t2", "12345678")), RetainOutcome::kStored);         // exactly 20
  EXPECT_EQ(store.set(message("t1", "123456789")), RetainOutcome::kRefusedBytes)
      << "a replacement that does not fit is refused";
  EXPECT_EQ(store.set(message("t1", "1234")), RetainOutcome::kReplaced) << "one that fits is not";
  EXPECT_EQ(store.stats().bytes, 16u);
  EXPECT_EQ(store.stats().refused, 2u);
  EXPECT_EQ(store.find("t1", kT0)->payload().size(), 4u);
}

TEST(RetainedStore, ExpiredMessagesAreNotReturnedAndRemovedLazily) {
  RetainedStore store;
  ASSERT_EQ(store.set(message("e/short", "x", kT0, 5)), RetainOutcome::kStored);
  ASSERT_EQ(store.set(message("e/long", "x", kT0, 60)), RetainOutcome::kStored);
  ASSERT_EQ(store.set(message("e/never", "x", kT0)), RetainOutcome::kStored);
  EXPECT_EQ(topics(store, "e/#", kT0 + seconds(4)),
            (std::vector<std::string>{"e/long", "e/never", "e/short"}));
  EXPECT_EQ(store.stats().messages, 3u);
  EXPECT_EQ(topics(store, "e/#", kT0 + seconds(5)),
            (std::vector<std::string>{"e/long", "e/never"}));
  EXPECT_EQ(store.stats().messages, 2u) << "the lookup removed what it found expired";
  EXPECT_EQ(store.stats().expired, 1u);
  EXPECT_FALSE(store.find("e/long", kT0 + seconds(61)));
  EXPECT_EQ(store.stats().messages, 1u) << "find() removes too";
  EXPECT_EQ(store.purge_expired(kT0 + seconds(100000)), 0u);
  EXPECT_EQ(store.stats().expired, 2u);
}

TEST(RetainedStore, PurgeExpired) {
  RetainedStore store;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(store.set(message("p/" + std::to_string(i), "x", kT0, i % 2 ? 1 : 100)),
              RetainOutcome::kStored);
  }
  EXPECT_EQ(store.purge_expired(kT0 + seconds(2)), 5u);
  EXPECT_EQ(store.stats().messages, 5u);
  EXPECT_EQ(topics(store, "p/+", kT0 + seconds(2)).size(), 5u);
}

TEST(RetainedStore, FullStoreDropsExpiredBeforeRefusing) {
  RetainedStore store({.max_messages = 2, .max_bytes = 1000});
  ASSERT_EQ(store.set(message("a", "1", kT0, 1)), RetainOutcome::kStored);
  ASSERT_EQ(store.set(message("b", "1", kT0)), RetainOutcome::kStored);
  EXPECT_EQ(store.set(message("c", "1", kT0 + seconds(2))), RetainOutcome::kStored)
      << "a expired and made room";
  EXPECT_EQ(store.stats().expired, 1u);
  EXPECT_EQ(store.set(message("d", "1", kT0 + seconds(2))), RetainOutcome::kRefusedCount);
}

TEST(RetainedStore, WildcardLookup) {
  RetainedStore store;
  for (const char* t : {"s/1/temp", "s/2/temp", "s/2/hum", "s", "s/", "x/1/temp", "$SYS/up",
                        "$SYS/load/1", "/lead"}) {
    ASSERT_EQ(store.set(message(t, "v")), RetainOutcome::kStored) << t;
  }
  EXPECT_EQ(topics(store, "s/+/temp"), (std::vector<std::string>{"s/1/temp", "s/2/temp"}));
  EXPECT_EQ(topics(store, "s/#"),
            (std::vector<std::string>{"s", "s/", "s/1/temp", "s/2/hum", "s/2/temp"}));
  EXPECT_EQ(topics(store, "s/+"), (std::vector<std::string>{"s/"}));
  EXPECT_EQ(topics(store, "+/+/temp"),
            (std::vector<std::string>{"s/1/temp", "s/2/temp", "x/1/temp"}));
  EXPECT_EQ(topics(store, "#").size(), 7u) << "everything but the two $SYS topics";
  EXPECT_EQ(topics(store, "+/#").size(), 7u);
  EXPECT_EQ(topics(store, "$SYS/#"), (std::vector<std::string>{"$SYS/load/1", "$SYS/up"}));
  EXPECT_EQ(topics(store, "+/lead"), (std::vector<std::string>{"/lead"}));
  EXPECT_EQ(topics(store, "s/2/hum"), (std::vector<std::string>{"s/2/hum"}));
  EXPECT_EQ(topics(store, "nothing/#"), std::vector<std::string>{});

  std::vector<RetainedPtr> out;
  EXPECT_EQ(store.lookup("$share/g/#", kT0, out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.lookup("a/#/b", kT0, out).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(RetainedStore, DeepTopics) {
  std::string topic = "d";
  for (int i = 0; i < 20000; ++i) topic += "/d";
  RetainedStore store;
  ASSERT_EQ(store.set(message(topic, "v")), RetainOutcome::kStored);
  EXPECT_EQ(topics(store, "#").size(), 1u);
  EXPECT_EQ(topics(store, topic).size(), 1u);
  // Destruction with the deep path in place must not overflow the stack either.
}

}  // namespace
}  // namespace rmq::router
