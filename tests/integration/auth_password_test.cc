// Password authentication of the real binary: password files made by Debian's mosquitto_passwd
// and by `ringmq passwd`, checked with mosquitto_pub (3.1.1 and 5.0) and python3-paho-mqtt;
// anonymous clients allowed and refused; SIGHUP reloads the file while connected clients stay;
// and Debian's mosquitto accepts what `ringmq passwd` writes.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "broker_process.h"

namespace rmq::itest {
namespace {

namespace fs = std::filesystem;

bool have(const char* program) {
  return run({"sh", "-c", std::string("command -v ") + program}).first == 0;
}

// A directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/ringmq-auth-XXXXXX";
    path_ = mkdtemp(name) != nullptr ? name : "";
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string proto(bool v5) { return v5 ? "mqttv5" : "mqttv311"; }

// mosquitto_pub with the user name and password given ("" leaves either out).
std::pair<int, std::string> pub(std::uint16_t port, bool v5, const std::string& user,
                                const std::string& password, const std::string& topic = "a/t",
                                const std::string& message = "m") {
  std::vector<std::string> argv = {
      "mosquitto_pub", "-p", std::to_string(port), "-V", proto(v5), "-t", topic, "-m", message};
  if (!user.empty()) argv.insert(argv.end(), {"-u", user});
  if (!password.empty()) argv.insert(argv.end(), {"-P", password});
  return run(argv);
}

// What mosquitto_pub prints for each refusal.
std::string bad_credentials(bool v5) {
  return v5 ? "Bad User Name or Password" : "bad user name or password";
}
std::string not_authorized(bool v5) { return v5 ? "Not authorized" : "not authorised"; }

std::string ringmq_passwd(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {broker_binary(), "passwd"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto [code, output] = run(argv);
  EXPECT_EQ(code, 0) << output;
  return output;
}

TEST(AuthPassword, MosquittoPasswdFileWithMosquittoClients) {
  if (!have("mosquitto_passwd")) GTEST_SKIP() << "mosquitto_passwd is not installed";
  TempDir dir;
  const std::string file = dir.file("pw");
  ASSERT_EQ(run({"mosquitto_passwd", "-b", "-c", file, "alice", "secret"}).first, 0);
  ASSERT_EQ(run({"mosquitto_passwd", "-H", "sha512", "-b", file, "bob", "hunter2"}).first, 0);
  BrokerProcess broker({"--password-file", file}, 2);
  ASSERT_TRUE(broker.running());
  for (const bool v5 : {false, true}) {
    SCOPED_TRACE(proto(v5));
    EXPECT_EQ(pub(broker.port(), v5, "alice", "secret").first, 0);
    EXPECT_EQ(pub(broker.port(), v5, "bob", "hunter2").first, 0);
    for (const auto& [user, password] :
         std::vector<std::pair<std::string, std::string>>{{"alice", "not-the-password"},
                                                          {"bob", "secret"},
                                                          {"mallory", "secret"},
                                                          {"alice", ""}}) {
      const auto [code, output] = pub(broker.port(), v5, user, password);
      EXPECT_NE(code, 0);
      EXPECT_NE(output.find(bad_credentials(v5)), std::string::npos) << user << ": " << output;
    }
    // With a password file, anonymous clients are refused by default.
    const auto [code, output] = pub(broker.port(), v5, "", "");
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find(not_authorized(v5)), std::string::npos) << output;
  }
  const std::string log = broker.log();
  EXPECT_NE(log.find("authentication failed client="), std::string::npos) << log;
  EXPECT_NE(log.find("user=mallory addr=127.0.0.1:"), std::string::npos) << log;
  EXPECT_NE(log.find("anonymous clients are not allowed"), std::string::npos) << log;
  EXPECT_EQ(log.find("not-the-password"), std::string::npos) << "a password was logged";
}

TEST(AuthPassword, PythonPahoSeesTheRefusalCodes) {
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", file, "alice", "secret"});
  BrokerProcess broker({"--password-file", file}, 2);
  ASSERT_TRUE(broker.running());
  const auto connack = [&](const char* version, const char* user, const char* password) {
    const auto [code, output] = run(
        {"/usr/bin/python3", RINGMQ_PYTHON_AUTH, broker.port_text(), version, user, password}, 30s);
    EXPECT_EQ(code, 0) << output;
    return output.substr(0, output.find('\n'));
  };
  EXPECT_EQ(connack("311", "alice", "secret"), "connack 0x00");
  EXPECT_EQ(connack("311", "alice", "wrong"), "connack 0x04");
  EXPECT_EQ(connack("311", "mallory", "secret"), "connack 0x04");
  EXPECT_EQ(connack("311", "-", "-"), "connack 0x05");
  EXPECT_EQ(connack("5", "alice", "secret"), "connack 0x00");
  EXPECT_EQ(connack("5", "alice", "wrong"), "connack 0x86");
  EXPECT_EQ(connack("5", "alice", "-"), "connack 0x86");
  EXPECT_EQ(connack("5", "-", "-"), "connack 0x87");
}

TEST(AuthPassword, AnonymousAllowedOrRefusedByFlag) {
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", file, "alice", "secret"});
  {
    BrokerProcess broker({"--password-file", file, "--allow-anonymous", "true"});
    ASSERT_TRUE(broker.running());
    for (const bool v5 : {false, true}) {
      EXPECT_EQ(pub(broker.port(), v5, "", "").first, 0);
      EXPECT_EQ(pub(broker.port(), v5, "alice", "secret").first, 0);
      EXPECT_NE(pub(broker.port(), v5, "alice", "wrong").first, 0);  // a user name is checked
    }
  }
  {
    // Without a password file anonymous clients are allowed unless told otherwise; a client with
    // a user name has nothing to be checked against and is accepted.
    BrokerProcess broker({"--allow-anonymous", "false"});
    ASSERT_TRUE(broker.running());
    for (const bool v5 : {false, true}) {
      const auto [code, output] = pub(broker.port(), v5, "", "");
      EXPECT_NE(code, 0);
      EXPECT_NE(output.find(not_authorized(v5)), std::string::npos) << output;
      EXPECT_EQ(pub(broker.port(), v5, "anyone", "").first, 0);
    }
  }
}

TEST(AuthPassword, MalformedFileStopsTheStartWithFileAndLine) {
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", file, "alice", "secret"});
  std::ofstream(file, std::ios::app) << "bob:hunter2\n";
  const auto [code, output] =
      run({broker_binary(), "--listen", "127.0.0.1:0", "--password-file", file});
  EXPECT_EQ(code, 1);
  EXPECT_NE(output.find(file + ":2: unsupported password hash"), std::string::npos) << output;
  EXPECT_EQ(output.find("hunter2"), std::string::npos) << output;
}

// The subscriber connected with the old password keeps receiving after the reload.
TEST(AuthPassword, SighupReloadsTheFileAndConnectedClientsStay) {
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", file, "alice", "one"});
  ringmq_passwd({"-b", file, "bob", "b"});
  BrokerProcess broker({"--password-file", file}, 2);
  ASSERT_TRUE(broker.running());
  Command sub({"stdbuf", "-oL", "mosquitto_sub", "-p", broker.port_text(), "-t", "r/t", "-C", "1",
               "-W", "20", "-d", "-u", "alice", "-P", "one"});
  ASSERT_TRUE(sub.wait_for_output("received SUBACK")) << sub.output();

  ringmq_passwd({"-b", file, "alice", "two"});
  ringmq_passwd({"-D", file, "bob"});
  ringmq_passwd({"-b", file, "carol", "c"});
  ASSERT_EQ(kill(broker.pid(), SIGHUP), 0);
  ASSERT_TRUE(broker.wait_for_log("reloaded: 2 users")) << broker.log();
  EXPECT_NE(pub(broker.port(), true, "alice", "one").first, 0);
  EXPECT_NE(pub(broker.port(), false, "bob", "b").first, 0);
  EXPECT_EQ(pub(broker.port(), false, "carol", "c").first, 0);
  EXPECT_EQ(pub(broker.port(), true, "alice", "two", "r/t", "after-reload").first, 0);
  EXPECT_EQ(sub.wait(), 0) << sub.output();
  EXPECT_NE(sub.output().find("after-reload"), std::string::npos) << sub.output();

  // A broken file is refused with a log line; the table in use stays.
  std::ofstream(file, std::ios::app) << "broken\n";
  ASSERT_EQ(kill(broker.pid(), SIGHUP), 0);
  ASSERT_TRUE(broker.wait_for_log("password file not reloaded")) << broker.log();
  EXPECT_EQ(pub(broker.port(), false, "alice", "two").first, 0);
}

TEST(AuthPassword, RingmqPasswdCreatesUpdatesAndDeletes) {
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", "-I", "1000", file, "alice", "a1"});
  std::ofstream(file, std::ios::app) << "# a comment that stays\n";
  // Without -b the password is read twice from the input.
  const auto [code, output] =
      run({"sh", "-c",
           "printf 'b1\\nb1\\n' | " + std::string(broker_binary()) + " passwd " + file + " bob"});
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(
      run({"sh", "-c",
           "printf 'x\\ny\\n' | " + std::string(broker_binary()) + " passwd " + file + " bob"})
          .first,
      0);
  ringmq_passwd({"-b", file, "alice", "a2"});
  std::ostringstream read;
  read << std::ifstream(file).rdbuf();
  const std::string text = read.str();
  EXPECT_EQ(text.find("alice:$7$101$"), 0u) << text;  // updated in place, default iterations
  EXPECT_NE(text.find("# a comment that stays\nbob:$7$101$"), std::string::npos) << text;
  struct stat st {};
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  {
    BrokerProcess broker({"--password-file", file});
    ASSERT_TRUE(broker.running());
    EXPECT_EQ(pub(broker.port(), false, "alice", "a2").first, 0);
    EXPECT_NE(pub(broker.port(), false, "alice", "a1").first, 0);
    EXPECT_EQ(pub(broker.port(), true, "bob", "b1").first, 0);
  }
  ringmq_passwd({"-D", file, "alice"});
  EXPECT_NE(run({broker_binary(), "passwd", "-D", file, "alice"}).first, 0);  // already gone
  EXPECT_NE(run({broker_binary(), "passwd", "-b", dir.file("missing"), "u", "p"}).first, 0);
  EXPECT_NE(run({broker_binary(), "passwd", "-b", file, "a:b", "p"}).first, 0);
  BrokerProcess broker({"--password-file", file});
  ASSERT_TRUE(broker.running());
  EXPECT_NE(pub(broker.port(), false, "alice", "a2").first, 0);
  EXPECT_EQ(pub(broker.port(), false, "bob", "b1").first, 0);
}

TEST(AuthPassword, MosquittoAcceptsRingmqPasswdFiles) {
  // Debian puts the broker in /usr/sbin, which a user's PATH may not hold.
  const std::string mosquitto = access("/usr/sbin/mosquitto", X_OK) == 0 ? "/usr/sbin/mosquitto"
                                : have("mosquitto")                      ? "mosquitto"
                                                                         : "";
  if (mosquitto.empty()) GTEST_SKIP() << "mosquitto is not installed";
  TempDir dir;
  const std::string file = dir.file("pw");
  ringmq_passwd({"-c", "-b", file, "alice", "secret"});
  ringmq_passwd({"-b", "-I", "2000", file, "bob", "b"});
  const std::uint16_t port = pick_free_port();
  const passwd* me = getpwuid(geteuid());
  ASSERT_NE(me, nullptr);
  std::ofstream(dir.file("mosquitto.conf"))
      << "user " << me->pw_name << "\n"  // as root: stay root, to read the 0600 file
      << "listener " << port << " 127.0.0.1\n"
      << "password_file " << file << "\n"
      << "allow_anonymous false\n";
  Command broker({mosquitto, "-c", dir.file("mosquitto.conf")});
  ASSERT_TRUE(broker.wait_for_output(" running")) << broker.output();
  EXPECT_EQ(pub(port, false, "alice", "secret").first, 0) << broker.output();
  EXPECT_EQ(pub(port, true, "bob", "b").first, 0) << broker.output();
  EXPECT_NE(pub(port, false, "alice", "wrong").first, 0);
}

}  // namespace
}  // namespace rmq::itest
