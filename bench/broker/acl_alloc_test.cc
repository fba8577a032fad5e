// An ACL check on the publish and delivery path allocates nothing, hit or miss of the session's
// decision cache, and gives the same answer as the uncached walk.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "broker/acl_file.h"

namespace rmq::broker {
namespace {

TEST(AclAlloc, TopicChecksAllocateNothing) {
  const AclParse parsed = parse_acl(
      "user dev\n"
      "topic read fleet/+/+/telemetry\n"
      "topic write cmd/site1/status\n"
      "topic deny fleet/site0/secret/telemetry\n"
      "pattern readwrite devices/%c/#\n",
      "test");
  ASSERT_NE(parsed.rules, nullptr) << parsed.error;
  SessionAcl acl(parsed.rules, 1, "dev-42", SharedString("dev"));
  std::vector<std::string> topics;
  for (int i = 0; i < 64; ++i)
    topics.push_back("fleet/site" + std::to_string(i % 3) + "/d/telemetry");
  topics.push_back("fleet/site0/secret/telemetry");
  topics.push_back("devices/dev-42/" + std::string(80, 'x'));  // longer than a cache slot
  topics.push_back("cmd/site1/status");
  std::vector<std::uint8_t> expected;
  for (const std::string& t : topics) expected.push_back(acl.topic_access_uncached(t));

  const bench::AllocScope scope;
  std::size_t wrong = 0;
  for (int round = 0; round < 4; ++round) {
    for (std::size_t i = 0; i < topics.size(); ++i) {
      if (acl.topic_access(topics[i]) != expected[i]) ++wrong;
    }
  }
  EXPECT_EQ(scope.counts().allocations, 0u);
  EXPECT_EQ(wrong, 0u);
  EXPECT_GT(acl.cache_hits(), 0u);
  EXPECT_EQ(expected[64], 0);              // denied
  EXPECT_EQ(expected[65], kAclReadWrite);  // pattern
  EXPECT_EQ(expected[66], kAclWrite);
}

}  // namespace
}  // namespace rmq::broker
