// PasswordAuthenticator (fast answers on the shard, the slow check in verify(), the cache of
// verified passwords, reload) and AuthWorker (verdicts posted to a shard's ExternalInbox, dropped
// for a detached shard or an expired request).
#include "broker/password_auth.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "base/log.h"
#include "broker/auth_worker.h"
#include "broker/password_file.h"

namespace rmq::broker {
namespace {

using namespace std::chrono_literals;

std::string hash_of(const std::string& password) {
  return format_password_hash(*make_password_hash(password_bytes(password), 11));
}

class TempFile {
 public:
  TempFile() {
    char name[] = "/tmp/ringmq-pw-XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = name;
  }
  ~TempFile() { unlink(path_.c_str()); }
  void write(const std::string& text) const { std::ofstream(path_, std::ios::trunc) << text; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Credentials creds(std::optional<std::string_view> user, std::optional<std::string_view> password) {
  Credentials c;
  c.client_id = "c1";
  c.username = user;
  if (password) c.password = password_bytes(*password);
  return c;
}

OwnedCredentials owned(const std::string& user, const std::string& password) {
  OwnedCredentials c;
  c.client_id = "c1";
  c.username = user;
  c.password.emplace(password.begin(), password.end());
  return c;
}

TEST(PasswordAuthenticator, AnswersFastOrDefers) {
  TempFile file;
  file.write("alice:" + hash_of("secret") + "\n");
  std::string error;
  auto auth = PasswordAuthenticator::open(file.path(), &error);
  ASSERT_NE(auth, nullptr) << error;
  EXPECT_EQ(auth->authenticate(creds(std::nullopt, std::nullopt)), AuthVerdict::kAccept);
  EXPECT_EQ(auth->authenticate(creds("alice", std::nullopt)), AuthVerdict::kBadCredentials);
  EXPECT_EQ(auth->authenticate(creds("alice", "secret")), AuthVerdict::kDeferred);
  EXPECT_EQ(auth->authenticate(creds("nobody", "secret")), AuthVerdict::kDeferred);
  Credentials enhanced = creds("alice", "secret");
  enhanced.method = "SCRAM-SHA-1";
  EXPECT_EQ(auth->authenticate(enhanced), AuthVerdict::kBadMethod);
}

TEST(PasswordAuthenticator, VerifiesAndCachesGoodPasswordsOnly) {
  TempFile file;
  file.write("alice:" + hash_of("secret") + "\n");
  std::string error;
  auto auth = PasswordAuthenticator::open(file.path(), &error);
  ASSERT_NE(auth, nullptr) << error;
  EXPECT_EQ(auth->verify(owned("alice", "wrong")), AuthVerdict::kBadCredentials);
  EXPECT_EQ(auth->verify(owned("nobody", "secret")), AuthVerdict::kBadCredentials);
  EXPECT_EQ(auth->authenticate(creds("alice", "wrong")), AuthVerdict::kDeferred);
  EXPECT_EQ(auth->verify(owned("alice", "secret")), AuthVerdict::kAccept);
  // Verified once: the next CONNECT with the same password is accepted without hashing.
  EXPECT_EQ(auth->authenticate(creds("alice", "secret")), AuthVerdict::kAccept);
  EXPECT_EQ(auth->cache_hits(), 1u);
  EXPECT_EQ(auth->authenticate(creds("alice", "secret2")), AuthVerdict::kDeferred);
}

TEST(PasswordAuthenticator, ReloadSwapsTheTableAndForgetsTheCache) {
  set_log_level(LogLevel::kOff);
  TempFile file;
  file.write("alice:" + hash_of("old") + "\n");
  std::string error;
  auto auth = PasswordAuthenticator::open(file.path(), &error);
  ASSERT_NE(auth, nullptr) << error;
  EXPECT_EQ(auth->verify(owned("alice", "old")), AuthVerdict::kAccept);
  EXPECT_EQ(auth->authenticate(creds("alice", "old")), AuthVerdict::kAccept);

  file.write("alice:" + hash_of("new") + "\nbob:" + hash_of("b") + "\n");
  ASSERT_TRUE(auth->reload().ok());
  EXPECT_EQ(auth->users(), 2u);
  EXPECT_EQ(auth->authenticate(creds("alice", "old")), AuthVerdict::kDeferred);
  EXPECT_EQ(auth->verify(owned("alice", "old")), AuthVerdict::kBadCredentials);
  EXPECT_EQ(auth->verify(owned("alice", "new")), AuthVerdict::kAccept);

  file.write("alice:" + hash_of("newer") + "\nbroken line\n");
  EXPECT_FALSE(auth->reload().ok());  // the previous table stays
  EXPECT_EQ(auth->users(), 2u);
  EXPECT_EQ(auth->verify(owned("bob", "b")), AuthVerdict::kAccept);
  set_log_level(LogLevel::kInfo);
}

TEST(PasswordAuthenticator, OpenFailsOnAMalformedFile) {
  TempFile file;
  file.write("alice:" + hash_of("x") + "\nbob:$7$nope\n");
  std::string error;
  EXPECT_EQ(PasswordAuthenticator::open(file.path(), &error), nullptr);
  EXPECT_EQ(error, file.path() + ":2: expected $7$N$salt$hash");
}

// Waits (generously: never a timing assertion) for `count` messages on `inbox`.
std::vector<engine::MailboxMessage> take(engine::ExternalInbox& inbox, std::size_t count) {
  std::vector<engine::MailboxMessage> all;
  std::vector<engine::MailboxMessage> batch;
  for (int i = 0; i < 20000 && all.size() < count; ++i) {
    inbox.take_all(batch);
    all.insert(all.end(), batch.begin(), batch.end());
    if (all.size() < count) std::this_thread::sleep_for(1ms);
  }
  return all;
}

std::unique_ptr<AuthRequest> request(const Authenticator& auth, std::uint32_t shard,
                                     const std::string& user, const std::string& password) {
  auto r = std::make_unique<AuthRequest>();
  r->shard = shard;
  r->conn = engine::ConnId(shard, 3, 9);
  r->authenticator = &auth;
  r->credentials = owned(user, password);
  r->deadline = std::chrono::steady_clock::now() + 1h;
  return r;
}

TEST(AuthWorker, PostsVerdictsToTheShardsInbox) {
  TempFile file;
  file.write("alice:" + hash_of("secret") + "\n");
  std::string error;
  auto auth = PasswordAuthenticator::open(file.path(), &error);
  ASSERT_NE(auth, nullptr) << error;
  engine::ExternalInbox inbox;
  ASSERT_TRUE(inbox.open().ok());
  AuthWorker worker(2, kAuthVerdictMail);
  worker.attach(1, &inbox);
  EXPECT_EQ(worker.submit(request(*auth, 1, "alice", "secret")), nullptr);
  EXPECT_EQ(worker.submit(request(*auth, 1, "alice", "nope")), nullptr);
  const std::vector<engine::MailboxMessage> got = take(inbox, 2);
  ASSERT_EQ(got.size(), 2u);
  std::unique_ptr<AuthRequest> first(static_cast<AuthRequest*>(got[0].ptr));
  std::unique_ptr<AuthRequest> second(static_cast<AuthRequest*>(got[1].ptr));
  EXPECT_EQ(got[0].type, kAuthVerdictMail);
  EXPECT_EQ(first->verdict, AuthVerdict::kAccept);
  EXPECT_EQ(first->conn, engine::ConnId(1, 3, 9));
  EXPECT_EQ(second->verdict, AuthVerdict::kBadCredentials);
  EXPECT_EQ(worker.verified(), 2u);
}

TEST(AuthWorker, DropsVerdictsForAGoneShardOrAnExpiredRequest) {
  TempFile file;
  file.write("alice:" + hash_of("secret") + "\n");
  std::string error;
  auto auth = PasswordAuthenticator::open(file.path(), &error);
  ASSERT_NE(auth, nullptr) << error;
  engine::ExternalInbox inbox;
  ASSERT_TRUE(inbox.open().ok());
  AuthWorker worker(1, kAuthVerdictMail);
  worker.attach(0, &inbox);
  auto expired = request(*auth, 0, "alice", "secret");
  expired->deadline = std::chrono::steady_clock::now() - 1s;
  EXPECT_EQ(worker.submit(std::move(expired)), nullptr);
  inbox.close();  // the shard stopped: post() fails and the worker frees the request
  EXPECT_EQ(worker.submit(request(*auth, 0, "alice", "secret")), nullptr);
  worker.detach(0);
  EXPECT_EQ(worker.submit(request(*auth, 0, "alice", "secret")), nullptr);
  for (int i = 0; i < 20000 && worker.expired() + worker.verified() < 3; ++i) {
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(worker.expired(), 1u);
  EXPECT_EQ(worker.verified(), 2u);
  EXPECT_TRUE(take(inbox, 0).empty());
  // Whatever is still queued is dropped (freed) when the worker is destroyed: ASan checks.
}

}  // namespace
}  // namespace rmq::broker
