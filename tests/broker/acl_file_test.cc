// The ACL file: parsing (Mosquitto's acl_file format), matching topics and subscription filters,
// per-session patterns and cache, reload, and the --acl-file flag.
#include "broker/acl_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "broker/app/options.h"
#include "router/topic.h"

namespace rmq::broker {
namespace {

std::shared_ptr<const AclRules> parse_ok(std::string_view text) {
  AclParse parsed = parse_acl(text, "acl");
  EXPECT_EQ(parsed.error, "");
  EXPECT_NE(parsed.rules, nullptr);
  return parsed.rules;
}

std::string parse_error(std::string_view text) {
  AclParse parsed = parse_acl(text, "file.acl");
  EXPECT_EQ(parsed.rules, nullptr);
  return parsed.error;
}

SessionAcl session(std::shared_ptr<const AclRules> rules, std::string_view client_id,
                   std::string_view username) {
  return SessionAcl(std::move(rules), 1, client_id, SharedString(username));
}

// A file removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view text) {
    char name[] = "/tmp/ringmq_acl_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
    write(text);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  void write(std::string_view text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(AclParse, DirectivesAccessWordsAndComments) {
  const auto rules = parse_ok(
      "# comment\n"
      "\n"
      "topic read public/#\n"
      "  topic   anon/only  \n"
      "user alice\n"
      "topic write alice/out\n"
      "topic deny alice/out/secret\n"
      "topic readwrite shared/+\n"
      "user bob smith\n"
      "topic bob/#\n"
      "pattern read devices/%c/in\n"
      "pattern write users/%u/#\n"
      "pattern deny devices/%c/in/private\n");
  ASSERT_EQ(rules->anonymous.grant.size(), 2u);
  EXPECT_EQ(rules->anonymous.grant[0].filter, "public/#");
  EXPECT_EQ(rules->anonymous.grant[0].access, kAclRead);
  EXPECT_EQ(rules->anonymous.grant[1].filter, "anon/only");
  EXPECT_EQ(rules->anonymous.grant[1].access, kAclReadWrite);
  EXPECT_TRUE(rules->anonymous.grant[1].literal);
  const AclRuleSet* alice = rules->for_user("alice");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->grant.size(), 2u);
  ASSERT_EQ(alice->deny.size(), 1u);
  EXPECT_EQ(alice->deny[0].filter, "alice/out/secret");
  ASSERT_NE(rules->for_user("bob smith"), nullptr);  // a username may hold spaces
  EXPECT_EQ(rules->for_user("carol"), nullptr);
  EXPECT_EQ(rules->for_user(""), &rules->anonymous);
  EXPECT_EQ(rules->patterns.grant.size(), 2u);
  EXPECT_EQ(rules->patterns.deny.size(), 1u);
  EXPECT_TRUE(rules->patterns_use_client_id);
  EXPECT_TRUE(rules->patterns_use_username);
}

TEST(AclParse, MalformedLinesNameTheFileAndLine) {
  EXPECT_EQ(parse_error("topic a\nbogus line\n"),
            "file.acl:2: unknown directive 'bogus' (expected user, topic or pattern)");
  EXPECT_EQ(parse_error("user\n"), "file.acl:1: `user` needs a username");
  EXPECT_EQ(parse_error("\n\ntopic\n"), "file.acl:3: `topic` needs a topic filter");
  EXPECT_EQ(parse_error("topic readonly a/b\n"),
            "file.acl:1: unknown access 'readonly' (expected read, write, readwrite or deny)");
  EXPECT_EQ(parse_error("topic read a/#/b\n"), "file.acl:1: invalid topic filter 'a/#/b'");
  EXPECT_EQ(parse_error("pattern read a/x%c+\n"), "file.acl:1: invalid topic filter 'a/x%c+'");
  EXPECT_EQ(parse_error("topic read $share/g/a\n"),
            "file.acl:1: invalid topic filter '$share/g/a'");
  EXPECT_EQ(load_acl_file("/nonexistent/acl").error, "/nonexistent/acl: cannot read the ACL file");
}

TEST(AclMatch, TopicsWithWildcards) {
  const auto m = [](std::string_view filter, std::string_view topic) {
    const bool fast = acl_rule_matches(make_acl_rule(std::string(filter), kAclRead), topic);
    EXPECT_EQ(fast, router::filter_matches(filter, topic)) << filter << " " << topic;
    return fast;
  };
  EXPECT_TRUE(m("a/b", "a/b"));
  EXPECT_FALSE(m("a/b", "a/bc"));
  EXPECT_TRUE(m("a/+/c", "a/x/c"));
  EXPECT_FALSE(m("a/+/c", "a/x/y/c"));
  EXPECT_TRUE(m("a/#", "a"));
  EXPECT_TRUE(m("a/#", "a/b/c"));
  EXPECT_TRUE(m("#", "anything/at/all"));
  EXPECT_FALSE(m("#", "$SYS/broker/uptime"));
  EXPECT_FALSE(m("+/broker/uptime", "$SYS/broker/uptime"));
  EXPECT_TRUE(m("$SYS/#", "$SYS/broker/uptime"));
  EXPECT_TRUE(m("a/b/#", "a/b"));
  EXPECT_FALSE(m("a/b/#", "a/bc"));
  EXPECT_TRUE(m("a/+", "a/"));
  EXPECT_TRUE(m("+/b", "/b"));
  EXPECT_FALSE(m("ab/+/c", "a/x/c"));
  EXPECT_FALSE(m("a/b/+", "a/b"));
}

TEST(AclMatch, SubscriptionFiltersAreCoveredOnlyByWiderRules) {
  EXPECT_TRUE(acl_rule_covers("a/b", "a/b"));
  EXPECT_TRUE(acl_rule_covers("a/+", "a/b"));
  EXPECT_TRUE(acl_rule_covers("a/+", "a/+"));
  EXPECT_TRUE(acl_rule_covers("a/#", "a/#"));
  EXPECT_TRUE(acl_rule_covers("a/#", "a/+/c"));
  EXPECT_TRUE(acl_rule_covers("a/#", "a"));
  EXPECT_TRUE(acl_rule_covers("#", "#"));
  EXPECT_FALSE(acl_rule_covers("a/b", "a/+"));
  EXPECT_FALSE(acl_rule_covers("a/+", "a/#"));  // '#' reaches deeper than '+'
  EXPECT_FALSE(acl_rule_covers("a/b/#", "a/#"));
  EXPECT_FALSE(acl_rule_covers("a/+/c", "a/+/#"));
  EXPECT_FALSE(acl_rule_covers("a/b", "a/b/c"));
  EXPECT_FALSE(acl_rule_covers("a/b/c", "a/b"));
  EXPECT_FALSE(acl_rule_covers("#", "$SYS/#"));
  EXPECT_TRUE(acl_rule_covers("$SYS/#", "$SYS/broker/+"));
}

TEST(AclDecision, UsersAnonymousAndDenyWins) {
  const auto rules = parse_ok(
      "topic read public/#\n"
      "user alice\n"
      "topic alice/#\n"
      "topic read sensors/#\n"
      "topic deny sensors/secret\n"
      "topic deny alice/locked/#\n");
  SessionAcl anon = session(rules, "c1", "");
  EXPECT_EQ(anon.topic_access("public/x"), kAclRead);
  EXPECT_EQ(anon.topic_access("alice/x"), 0);
  SessionAcl alice = session(rules, "c2", "alice");
  EXPECT_EQ(alice.topic_access("alice/x"), kAclReadWrite);
  EXPECT_EQ(alice.topic_access("alice/locked/x"), 0);
  EXPECT_EQ(alice.topic_access("sensors/a"), kAclRead);
  EXPECT_EQ(alice.topic_access("sensors/secret"), 0);
  EXPECT_EQ(alice.topic_access("public/x"), 0);      // anonymous rules are not a user's
  SessionAcl carol = session(rules, "c3", "carol");  // no block: nothing but patterns
  EXPECT_EQ(carol.topic_access("public/x"), 0);

  EXPECT_TRUE(alice.may_subscribe("sensors/#"));  // crosses sensors/secret: filtered per message
  EXPECT_TRUE(alice.may_subscribe("sensors/+"));
  EXPECT_FALSE(alice.may_subscribe("sensors/secret"));
  EXPECT_FALSE(alice.may_subscribe("alice/locked/+"));
  EXPECT_FALSE(alice.may_subscribe("#"));
  EXPECT_FALSE(alice.may_subscribe("public/#"));
  EXPECT_TRUE(alice.may_subscribe("$share/g/sensors/#"));
  EXPECT_FALSE(alice.may_subscribe("$share/g/other/#"));
  EXPECT_TRUE(anon.may_subscribe("public/+/x"));
}

TEST(AclDecision, WriteOnlyRuleDoesNotGrantSubscribe) {
  const auto rules = parse_ok("topic write out/#\ntopic read in/#\n");
  SessionAcl s = session(rules, "c", "");
  EXPECT_FALSE(s.may_subscribe("out/#"));
  EXPECT_TRUE(s.may_subscribe("in/#"));
  EXPECT_TRUE(s.may_write("out/a"));
  EXPECT_FALSE(s.may_read("out/a"));
}

TEST(AclDecision, PatternsSubstituteClientIdAndUsername) {
  const auto rules = parse_ok(
      "pattern read devices/%c/in\n"
      "pattern write users/%u/#\n"
      "pattern deny users/%u/locked\n");
  SessionAcl dev = session(rules, "dev42", "bob");
  EXPECT_EQ(dev.topic_access("devices/dev42/in"), kAclRead);
  EXPECT_EQ(dev.topic_access("devices/dev43/in"), 0);
  EXPECT_EQ(dev.topic_access("users/bob/x"), kAclWrite);
  EXPECT_EQ(dev.topic_access("users/alice/x"), 0);
  EXPECT_EQ(dev.topic_access("users/bob/locked"), 0);
  EXPECT_TRUE(dev.may_subscribe("devices/dev42/in"));
  EXPECT_FALSE(dev.may_subscribe("devices/+/in"));
  // %u patterns do not apply to a client without a username.
  SessionAcl anon = session(rules, "dev7", "");
  EXPECT_EQ(anon.topic_access("devices/dev7/in"), kAclRead);
  EXPECT_EQ(anon.topic_access("users//x"), 0);
}

TEST(AclDecision, WildcardInSubstitutedIdentityDeniesEverything) {
  const auto rules = parse_ok("topic read public/#\npattern readwrite devices/%c/#\n");
  SessionAcl bad = session(rules, "+", "");
  EXPECT_EQ(bad.topic_access("devices/x/y"), 0);
  EXPECT_EQ(bad.topic_access("public/x"), 0);
  EXPECT_FALSE(bad.may_subscribe("devices/+/#"));
  // Not substituted anywhere: harmless.
  const auto user_rules = parse_ok("pattern readwrite devices/%c/#\n");
  SessionAcl ok = session(user_rules, "dev", "we+ird");
  EXPECT_EQ(ok.topic_access("devices/dev/y"), kAclReadWrite);
}

TEST(AclCache, HitsReturnTheSameDecisionAndLongTopicsBypass) {
  const auto rules = parse_ok("topic read a/#\ntopic deny a/secret\n");
  SessionAcl s = session(rules, "c", "");
  EXPECT_EQ(s.topic_access("a/x"), kAclRead);
  EXPECT_EQ(s.topic_access("a/x"), kAclRead);
  EXPECT_EQ(s.topic_access("a/secret"), 0);
  EXPECT_EQ(s.topic_access("a/secret"), 0);
  EXPECT_EQ(s.cache_hits(), 2u);
  EXPECT_EQ(s.cache_misses(), 2u);
  // Many topics through 8 slots: every answer stays right whatever was evicted.
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 40; ++i) {
      const std::string topic = (i % 5 == 0 ? "b/" : "a/") + std::to_string(i);
      EXPECT_EQ(s.topic_access(topic), i % 5 == 0 ? 0 : kAclRead) << topic;
    }
  }
  // Up to kCacheEntries hot topics stay cached together.
  const std::uint64_t misses = s.cache_misses();
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < SessionAcl::kCacheEntries; ++i) {
      (void)s.topic_access("a/hot/" + std::to_string(i));
    }
  }
  EXPECT_EQ(s.cache_misses() - misses, SessionAcl::kCacheEntries);
  const std::string long_topic = "a/" + std::string(SessionAcl::kCachedTopicMax, 'x');
  const std::uint64_t hits = s.cache_hits();
  EXPECT_EQ(s.topic_access(long_topic), kAclRead);
  EXPECT_EQ(s.topic_access(long_topic), kAclRead);
  EXPECT_EQ(s.cache_hits(), hits);
}

TEST(AclAccess, ReloadSwapsRulesAndBumpsTheGeneration) {
  TempFile file("topic read a/#\n");
  std::string error;
  std::unique_ptr<AclAccess> acl = AclAccess::load(file.path(), &error);
  ASSERT_NE(acl, nullptr) << error;
  const std::uint64_t first = acl->generation();
  std::unique_ptr<SessionAcl> before = acl->compile("c", SharedString());
  EXPECT_EQ(before->generation(), first);
  EXPECT_TRUE(before->may_read("a/x"));

  file.write("topic read b/#\n");
  ASSERT_TRUE(acl->reload(&error).ok()) << error;
  EXPECT_GT(acl->generation(), first);
  std::unique_ptr<SessionAcl> after = acl->compile("c", SharedString());
  EXPECT_FALSE(after->may_read("a/x"));
  EXPECT_TRUE(after->may_read("b/x"));
  EXPECT_TRUE(before->may_read("a/x"));  // a session keeps its rules until it rebuilds

  file.write("topic read b/#\nnonsense\n");
  const std::uint64_t good = acl->generation();
  EXPECT_FALSE(acl->reload(&error).ok());
  EXPECT_EQ(error,
            file.path() + ":2: unknown directive 'nonsense' (expected user, topic or pattern)");
  EXPECT_EQ(acl->generation(), good);
  EXPECT_TRUE(acl->compile("c", SharedString())->may_read("b/x"));
}

TEST(AclOptions, FlagLoadsTheFileAndRefusesAMalformedOne) {
  TempFile good("user alice\ntopic alice/#\n");
  app::ParseResult ok = app::parse_options({"--acl-file", good.path()});
  EXPECT_EQ(ok.exit_code, -1) << ok.output;
  EXPECT_EQ(ok.options.broker.acl_file, good.path());

  TempFile bad("user alice\ntopic sometimes alice/#\n");
  app::ParseResult refused = app::parse_options({"--acl-file", bad.path()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.output, "--acl-file: " + bad.path() +
                                ":2: unknown access 'sometimes' (expected read, write, "
                                "readwrite or deny)");
  EXPECT_EQ(refused.output.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace rmq::broker
