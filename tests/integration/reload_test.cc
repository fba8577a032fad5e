// SIGHUP on the binary reloads the password file and the ACL file while clients stay connected:
// a rule added to the ACL file and a user added to the password file take effect, and a
// subscriber connected before the reload keeps receiving.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "broker_process.h"

namespace rmq::itest {
namespace {

void write_file(const std::string& path, const std::string& text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text.c_str(), f);
  std::fclose(f);
}

int add_user(const std::string& file, const std::string& user, const std::string& password,
             bool create) {
  std::vector<std::string> argv = {RINGMQ_BINARY_PATH, "passwd"};
  if (create) argv.push_back("-c");
  argv.insert(argv.end(), {"-b", file, user, password});
  Command passwd(argv);
  return passwd.wait(10s);
}

// mosquitto_sub's output without its -d debug lines ("Client ...", "Subscribed ...").
std::string messages(const std::string& output) {
  std::string kept;
  std::size_t begin = 0;
  while (begin < output.size()) {
    std::size_t end = output.find('\n', begin);
    if (end == std::string::npos) end = output.size();
    const std::string line = output.substr(begin, end - begin);
    if (line.rfind("Client ", 0) != 0 && line.rfind("Subscribed ", 0) != 0) kept += line + "\n";
    begin = end + 1;
  }
  return kept;
}

int publish(const BrokerProcess& broker, const std::string& user, const std::string& password,
            const std::string& topic, const std::string& message) {
  Command pub({"mosquitto_pub", "-p", broker.port_text(), "-u", user, "-P", password, "-t", topic,
               "-m", message, "-q", "1"});
  return pub.wait(10s);
}

TEST(SighupReload, PasswordAndAclFilesChangeUnderConnectedClients) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("ringmq-reload-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string passwords = dir + "/passwords";
  const std::string acl = dir + "/acl";
  ASSERT_EQ(add_user(passwords, "alice", "alice-pw", true), 0);
  write_file(acl, "user alice\ntopic read #\ntopic write allowed/#\n");
  BrokerProcess broker({"--password-file", passwords, "--acl-file", acl});
  ASSERT_TRUE(broker.running());

  Command sub({"stdbuf",
               "-oL",
               "mosquitto_sub",
               "-p",
               broker.port_text(),
               "-u",
               "alice",
               "-P",
               "alice-pw",
               "-t",
               "#",
               "-q",
               "1",
               "-C",
               "2",
               "-W",
               "20",
               "-F",
               "%t %p",
               "-d"});
  ASSERT_TRUE(sub.wait_for_output("received SUBACK", 10s)) << sub.output() << broker.log();
  EXPECT_EQ(publish(broker, "alice", "alice-pw", "later/x", "before"), 0);  // accepted, dropped
  EXPECT_EQ(publish(broker, "alice", "alice-pw", "allowed/1", "a"), 0);
  EXPECT_NE(publish(broker, "carol", "carol-pw", "allowed/2", "c"), 0);  // no such user yet

  write_file(acl,
             "user alice\ntopic read #\ntopic write allowed/#\ntopic write later/#\n"
             "user carol\ntopic write allowed/#\n");
  ASSERT_EQ(add_user(passwords, "carol", "carol-pw", false), 0);
  kill(broker.pid(), SIGHUP);
  ASSERT_TRUE(broker.wait_for_log("ACL file reloaded")) << broker.log();
  ASSERT_TRUE(broker.wait_for_log("reloaded: 2 users")) << broker.log();

  EXPECT_EQ(publish(broker, "alice", "alice-pw", "later/x", "after"), 0);
  EXPECT_EQ(sub.wait(20s), 0) << sub.output();
  EXPECT_EQ(messages(sub.output()), "allowed/1 a\nlater/x after\n");
  EXPECT_EQ(publish(broker, "carol", "carol-pw", "allowed/2", "c"), 0);

  write_file(acl, "user\n");  // a broken file: the rules in force stay
  kill(broker.pid(), SIGHUP);
  ASSERT_TRUE(broker.wait_for_log("ACL reload refused")) << broker.log();
  EXPECT_EQ(publish(broker, "carol", "carol-pw", "allowed/3", "c"), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rmq::itest
