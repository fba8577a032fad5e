// Password files: Mosquitto's line format, the $7$ and $6$ hashes as mosquitto_passwd writes them
// (the vectors below come from Debian's mosquitto_passwd 2.0.11), errors naming file and line,
// and the line edits of `ringmq passwd`.
#include "broker/password_file.h"

#include <gtest/gtest.h>

#include <string>

namespace rmq::broker {
namespace {

// mosquitto_passwd -b -c pw alice secret
constexpr char kAlicePbkdf2[] =
    "$7$101$0m9raCKm3/3LJkn8$YWHd1YxzAAJGM13MDjgXBaT+D5sk4j0qFYUvWkcKmlD+eD/Ve0KG6TkPndP4FptiOSDaJj"
    "nQPo/smNnoOjoiFw==";
// mosquitto_passwd -H sha512 -b pw bob hunter2
constexpr char kBobSha512[] =
    "$6$nsHBzXIuAmVhxzLB$3CYTC2tf6H8Swn/d9v6xlyRoAKEKVD0JqQsDfMvlgbUZSaxtSYFVu0B7jkmIcLNslo63f2yqWC"
    "SlBf7RYXggoA==";

std::string file_text() {
  return std::string("# users\n\nalice:") + kAlicePbkdf2 + "\r\n  bob : " + kBobSha512 + "  \n";
}

TEST(PasswordHash, VerifiesMosquittoPbkdf2) {
  const Result<PasswordHash> hash = parse_password_hash(kAlicePbkdf2);
  ASSERT_TRUE(hash.ok()) << hash.status().message();
  EXPECT_EQ(hash->scheme, PasswordScheme::kPbkdf2Sha512);
  EXPECT_EQ(hash->iterations, 101u);
  EXPECT_EQ(hash->salt.size(), 12u);
  EXPECT_TRUE(verify_password(*hash, password_bytes("secret")));
  EXPECT_FALSE(verify_password(*hash, password_bytes("Secret")));
  EXPECT_FALSE(verify_password(*hash, password_bytes("")));
  EXPECT_EQ(format_password_hash(*hash), kAlicePbkdf2);
}

TEST(PasswordHash, VerifiesMosquittoSha512) {
  const Result<PasswordHash> hash = parse_password_hash(kBobSha512);
  ASSERT_TRUE(hash.ok()) << hash.status().message();
  EXPECT_EQ(hash->scheme, PasswordScheme::kSha512);
  EXPECT_TRUE(verify_password(*hash, password_bytes("hunter2")));
  EXPECT_FALSE(verify_password(*hash, password_bytes("hunter3")));
  EXPECT_EQ(format_password_hash(*hash), kBobSha512);
}

TEST(PasswordHash, MadeHashesVerifyAndDiffer) {
  const Result<PasswordHash> a = make_password_hash(password_bytes("pw"), 7);
  const Result<PasswordHash> b = make_password_hash(password_bytes("pw"), 7);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->salt, b->salt);  // a random salt each time
  const std::string text = format_password_hash(*a);
  EXPECT_TRUE(text.starts_with("$7$7$"));
  const Result<PasswordHash> back = parse_password_hash(text);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(verify_password(*back, password_bytes("pw")));
  EXPECT_FALSE(verify_password(*back, password_bytes("pw ")));
  EXPECT_FALSE(make_password_hash(password_bytes("pw"), 0).ok());
}

TEST(PasswordHash, RejectsWhatMosquittoRejects) {
  const std::string salt = "0m9raCKm3/3LJkn8";
  const std::string hash =
      "YWHd1YxzAAJGM13MDjgXBaT+D5sk4j0qFYUvWkcKmlD+eD/Ve0KG6TkPndP4FptiOSDaJjnQPo/smNnoOjoiFw==";
  EXPECT_TRUE(parse_password_hash("$7$101$" + salt + "$" + hash).ok());
  for (const std::string& bad : std::vector<std::string>{
           "secret",                                               // plain text
           std::string("$argon2id$v=19$m=47104,t=1,p=1$abc$def"),  // not supported
           "$7$0$" + salt + "$" + hash,                            // no iterations
           "$7$x$" + salt + "$" + hash,                            // not a number
           "$7$101$" + salt,                                       // no hash
           "$7$101$" + salt + "$" + hash + "$",                    // one part too many
           "$7$101$" + salt.substr(4) + "$" + hash,                // 9-byte salt
           "$7$101$" + salt + "$" + hash.substr(4),                // 61-byte hash
           "$7$101$" + salt + "$" + hash.substr(0, 86) + "*=",     // not base64
           "$6$" + salt,                                           // no hash
       }) {
    EXPECT_FALSE(parse_password_hash(bad).ok()) << bad;
  }
}

TEST(PasswordTable, ParsesCommentsBlanksAndCrlf) {
  std::string error;
  const std::optional<PasswordTable> table = PasswordTable::parse(file_text(), "pw", &error);
  ASSERT_TRUE(table) << error;
  EXPECT_EQ(table->size(), 2u);
  ASSERT_NE(table->find("alice"), nullptr);
  ASSERT_NE(table->find("bob"), nullptr);
  EXPECT_EQ(table->find("carol"), nullptr);
  EXPECT_EQ(table->find("# users"), nullptr);
  EXPECT_TRUE(verify_password(*table->find("bob"), password_bytes("hunter2")));
  EXPECT_EQ(table->typical_iterations(), 101u);
}

TEST(PasswordTable, ErrorsNameFileAndLineButNotTheLine) {
  struct Case {
    std::string text;
    std::string error;
  };
  const std::string alice = std::string("alice:") + kAlicePbkdf2 + "\n";
  for (const Case& c : std::vector<Case>{
           {alice + "bob\n", "users.pw:2: expected user:hash"},
           {alice + "\n:" + kBobSha512 + "\n", "users.pw:3: empty user name"},
           {"carol:plaintext-secret\n", "users.pw:1: unsupported password hash"},
           {alice + alice, "users.pw:2: user 'alice' appears twice"},
       }) {
    std::string error;
    EXPECT_FALSE(PasswordTable::parse(c.text, "users.pw", &error));
    EXPECT_TRUE(error.starts_with(c.error)) << error;
    EXPECT_EQ(error.find("plaintext-secret"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos);
  }
  std::string error;
  EXPECT_FALSE(PasswordTable::load("/nonexistent/users.pw", &error));
  EXPECT_NE(error.find("/nonexistent/users.pw"), std::string::npos) << error;
}

TEST(PasswordLines, SetReplacesOrAppendsAndRemoveDeletes) {
  std::vector<std::string> lines = {"# keep me", "alice:$7$old", "bob:$6$x"};
  set_user_line(lines, "alice", "$7$new");
  set_user_line(lines, "carol", "$7$c");
  EXPECT_EQ(lines,
            (std::vector<std::string>{"# keep me", "alice:$7$new", "bob:$6$x", "carol:$7$c"}));
  EXPECT_TRUE(remove_user_line(lines, "bob"));
  EXPECT_FALSE(remove_user_line(lines, "bob"));
  EXPECT_FALSE(remove_user_line(lines, "# keep me"));
  EXPECT_EQ(lines, (std::vector<std::string>{"# keep me", "alice:$7$new", "carol:$7$c"}));
}

}  // namespace
}  // namespace rmq::broker
