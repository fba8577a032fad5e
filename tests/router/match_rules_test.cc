// Every matching rule of MQTT 5.0 4.7, as a table run through the three implementations: the
// topic index, filter_matches(), and the retained store's lookup.
#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "router/retained_store.h"
#include "router/topic.h"
#include "router/topic_index.h"
#include "tests/router/router_test_util.h"

namespace rmq::router {
namespace {

using testing::sub;

struct Rule {
  const char* filter;
  const char* topic;
  bool matches;
  const char* why;
};

const Rule kRules[] = {
    // 4.7.1.2 Multi-level wildcard.
    {"sport/tennis/player1/#", "sport/tennis/player1", true, "4.7.1.2: # includes the parent"},
    {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true, "4.7.1.2"},
    {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true, "4.7.1.2"},
    {"sport/#", "sport", true, "4.7.1.2: sport/# also matches the singular sport"},
    {"#", "sport/tennis/player1", true, "4.7.1.2: # matches every message"},
    {"#", "/", true, "# matches two empty levels"},
    {"sport/tennis/#", "sport/tennis", true, "4.7.1.2"},
    {"sport/tennis/#", "sport/tennisplayer", false, "levels are whole strings"},
    {"sport/tennis/#", "sport", false, "# does not match above its parent"},
    {"a/#", "a/", true, "an empty child level"},
    // 4.7.1.3 Single-level wildcard.
    {"sport/tennis/+", "sport/tennis/player1", true, "4.7.1.3"},
    {"sport/tennis/+", "sport/tennis/player2", true, "4.7.1.3"},
    {"sport/tennis/+", "sport/tennis/player1/ranking", false, "4.7.1.3: one level only"},
    {"sport/+", "sport", false, "4.7.1.3: sport/+ does not match sport"},
    {"sport/+", "sport/", true, "4.7.1.3: but it does match sport/"},
    {"+", "sport", true, "4.7.1.3: + alone"},
    {"+/tennis/#", "sport/tennis/player1", true, "4.7.1.3"},
    {"+/tennis/#", "sport/tennis", true, "+ then # with no level left"},
    {"sport/+/player1", "sport/tennis/player1", true, "4.7.1.3"},
    {"+/+", "/finance", true, "4.7.1.3: /finance matches +/+"},
    {"/+", "/finance", true, "4.7.1.3: and /+"},
    {"+", "/finance", false, "4.7.1.3: but not +"},
    {"+/#", "a", true, "+ then # matching nothing"},
    {"a/+/#", "a", false, "+ needs a level"},
    {"a/+/#", "a/b", true, "# matches zero levels after +"},
    // 4.7.2 Topics beginning with $.
    {"#", "$SYS/monitor/Clients", false, "MQTT-4.7.2-1 # does not see $ topics"},
    {"+/monitor/Clients", "$SYS/monitor/Clients", false, "MQTT-4.7.2-1"},
    {"$SYS/#", "$SYS/monitor/Clients", true, "4.7.2"},
    {"$SYS/monitor/+", "$SYS/monitor/Clients", true, "4.7.2"},
    {"$SYS/#", "$SYS", true, "# includes the $SYS parent"},
    {"+/#", "$SYS", false, "MQTT-4.7.2-1"},
    {"+", "$", false, "MQTT-4.7.2-1"},
    {"$SYS", "$SYS", true, "exact $ filter"},
    {"a/+", "a/$b", true, "only the first level is special"},
    {"a/#", "a/$b", true, "only the first level is special"},
    // 4.7.3 Topic semantics.
    {"ACCOUNTS", "Accounts", false, "4.7.3: case sensitive"},
    {"Accounts payable", "Accounts payable", true, "4.7.3: spaces are characters"},
    {"/finance", "finance", false, "4.7.3: a leading / makes a level"},
    {"finance", "/finance", false, "4.7.3"},
    {"+/+", "/", true, "4.7.3: / is two empty levels"},
    {"+", "/", false, "two levels"},
    {"/", "/", true, "exact empty levels"},
    {"a//b", "a//b", true, "empty levels are levels"},
    {"a/+/b", "a//b", true, "+ matches an empty level"},
    {"a/b", "a//b", false, "empty level not skipped"},
    {"a//b", "a/b", false, "empty level not invented"},
    {"+//+", "x//y", true, "empty middle level"},
    {"a/b/", "a/b", false, "trailing empty level"},
    {"a/b/+", "a/b/", true, "trailing empty level matched by +"},
    {"sport/tennis", "sport/tennis", true, "exact"},
    {"sport/tennis", "sport/tennis/x", false, "exact, no prefix match"},
};

void PrintTo(const Rule& rule, std::ostream* os) {
  *os << '"' << rule.filter << "\" vs \"" << rule.topic << "\" (" << rule.why << ')';
}

class MatchRules : public ::testing::TestWithParam<Rule> {};

TEST_P(MatchRules, TopicIndex) {
  const Rule& rule = GetParam();
  TopicIndex index({.shards = 1});
  testing::OnlineReader reader(index, 0);
  ASSERT_TRUE(index.subscribe(rule.filter, sub(0, 7)).ok());
  MatchResult result;
  index.match(rule.topic, result);
  EXPECT_EQ(result.size(), rule.matches ? 1u : 0u) << rule.filter << " vs " << rule.topic;
}

TEST_P(MatchRules, SharedSubscription) {
  const Rule& rule = GetParam();
  TopicIndex index({.shards = 1});
  testing::OnlineReader reader(index, 0);
  ASSERT_TRUE(index.subscribe(std::string("$share/g/") + rule.filter, sub(0, 7)).ok());
  MatchResult result;
  index.match(rule.topic, result);
  EXPECT_EQ(result.size(), rule.matches ? 1u : 0u) << rule.filter << " vs " << rule.topic;
}

TEST_P(MatchRules, FilterMatches) {
  const Rule& rule = GetParam();
  EXPECT_EQ(filter_matches(rule.filter, rule.topic), rule.matches)
      << rule.filter << " vs " << rule.topic;
  EXPECT_EQ(testing::naive_match(rule.filter, rule.topic), rule.matches) << "test oracle";
}

TEST_P(MatchRules, RetainedLookup) {
  const Rule& rule = GetParam();
  RetainedStore store;
  const std::uint8_t payload[] = {1};
  RetainedFields fields;
  fields.topic = rule.topic;
  fields.payload = payload;
  ASSERT_EQ(store.set(RetainedMessage::create(fields)), RetainOutcome::kStored);
  std::vector<RetainedPtr> found;
  ASSERT_TRUE(store.lookup(rule.filter, MonoTime{}, found).ok());
  EXPECT_EQ(found.size(), rule.matches ? 1u : 0u) << rule.filter << " vs " << rule.topic;
}

INSTANTIATE_TEST_SUITE_P(Spec, MatchRules, ::testing::ValuesIn(kRules));

TEST(TopicIndex, RejectsInvalidFilters) {
  TopicIndex index({.shards = 2});
  for (const char* bad :
       {"", "a/#/b", "a#", "a/b+", "+a", "$share/g", "$share//a", "$share/g+/a"}) {
    const auto r = index.subscribe(bad, sub(0, 1));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_FALSE(index.unsubscribe(bad, {0, 1}).ok()) << bad;
  }
  EXPECT_FALSE(index.subscribe("a", sub(2, 1)).ok()) << "shard out of range";
  EXPECT_EQ(index.stats().subscriptions, 0u);
}

TEST(TopicIndex, ExactFiltersStayOutOfTheTrie) {
  TopicIndex index({.shards = 1});
  testing::OnlineReader reader(index, 0);
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(index.subscribe("site/" + std::to_string(i) + "/temp", sub(0, i)).ok());
  }
  IndexStats s = index.stats();
  EXPECT_EQ(s.exact_filters, 100u);
  EXPECT_EQ(s.wildcard_filters, 0u);
  EXPECT_EQ(s.trie_nodes, 1u) << "only the root: no exact filter creates a trie node";
  MatchResult result;
  index.match("site/42/temp", result);
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result.for_shard(0)[0].subscriber.session, 42u);

  ASSERT_TRUE(index.subscribe("site/+/temp", sub(0, 1000)).ok());
  s = index.stats();
  EXPECT_EQ(s.wildcard_filters, 1u);
  EXPECT_EQ(s.trie_nodes, 4u);
  index.match("site/42/temp", result);
  EXPECT_EQ(result.size(), 2u);
}

}  // namespace
}  // namespace rmq::router
