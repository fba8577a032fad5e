// --acl-file end to end: the real broker (two shards) with a Mosquitto-format ACL file, driven by
// python3-paho-mqtt and mosquitto_pub through python/acl_checks.py, one check per test; and the
// binary refusing a malformed file at start.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "broker_process.h"

namespace rmq::itest {
namespace {

// A file holding `text`, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/ringmq_acl_itest_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    ::close(fd);
    path_ = name;
    std::ofstream(path_, std::ios::trunc) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string acl_rules() {
  const auto [code, text] = run({"/usr/bin/python3", RINGMQ_ACL_CHECKS, "--print-acl"});
  EXPECT_EQ(code, 0) << text;
  return text;
}

class AclChecks : public ::testing::TestWithParam<const char*> {};

TEST_P(AclChecks, Check) {
  const TempFile acl(acl_rules());
  BrokerProcess broker({"--acl-file", acl.path(), "--sys-interval", "1"}, 2);
  ASSERT_TRUE(broker.running()) << broker.log();
  const auto [code, output] =
      run({"/usr/bin/python3", RINGMQ_ACL_CHECKS, broker.port_text(), GetParam()}, 60s);
  EXPECT_EQ(code, 0) << output << "\nbroker log:\n" << broker.log();
}

INSTANTIATE_TEST_SUITE_P(Checks, AclChecks,
                         ::testing::Values("subscribe_codes", "publish_denied_v5",
                                           "publish_denied_v311", "wildcard_crossing_denied_topic",
                                           "shared_subscription_filters_denied_topic",
                                           "retained_denied_not_sent_on_subscribe",
                                           "patterns_client_id_and_username", "anonymous_rules",
                                           "will_on_denied_topic_not_published",
                                           "denials_counted_in_sys"));

TEST(AclFile, MalformedLineRefusedAtStartWithFileAndLine) {
  const TempFile acl("user alice\ntopic read alice/#\ntopic sometimes alice/x\n");
  const auto [code, output] =
      run({broker_binary(), "--listen", "127.0.0.1:0", "--acl-file", acl.path()});
  EXPECT_EQ(code, 2) << output;
  EXPECT_EQ(output, "ringmq: --acl-file: " + acl.path() +
                        ":3: unknown access 'sometimes' (expected read, write, readwrite or "
                        "deny)\n");
}

TEST(AclFile, MissingFileRefusedAtStart) {
  const auto [code, output] =
      run({broker_binary(), "--listen", "127.0.0.1:0", "--acl-file", "/nonexistent/ringmq.acl"});
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("/nonexistent/ringmq.acl: cannot read the ACL file"), std::string::npos)
      << output;
}

}  // namespace
}  // namespace rmq::itest
