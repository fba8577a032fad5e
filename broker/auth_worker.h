// AuthWorker: one thread for the slow part of authentication (Authenticator::verify, password
// hashing), so no shard ever stalls on PBKDF2.
//
// A shard parks the CONNECT (ConnPhase::kAwaitVerdict), submits an AuthRequest and goes on. The
// worker verifies the requests in order and posts each back to its shard's ExternalInbox as a
// MailboxMessage {type = the mail type given at construction, ptr = the AuthRequest}; the shard
// then owns the request and resumes or refuses the connection (or drops the verdict if the
// connection closed meanwhile). A request whose connection has already timed out (past its
// deadline) is dropped unverified. Each parked connection has at most one request, so the queue is
// bounded by the connection limit.
//
// Threading: submit(), attach() and detach() may be called from any thread. The thread starts on
// the first submit() and is joined by the destructor; requests still queued then are dropped.
// Posting happens under the worker's lock, so after detach(shard) returns nothing more is posted
// to that shard's inbox: the Broker attaches in its constructor and detaches in its destructor,
// which keeps the worker off an inbox that is gone, whatever the destruction order.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "broker/access.h"
#include "engine/external_inbox.h"
#include "engine/types.h"

namespace rmq::broker {

// The MailboxMessage type of verdicts (broker.h: MailType::kAuthVerdict).
inline constexpr std::uint16_t kAuthVerdictMail = 5;

struct AuthRequest {
  AuthRequest() = default;
  AuthRequest(const AuthRequest&) = delete;
  AuthRequest& operator=(const AuthRequest&) = delete;
  ~AuthRequest();  // wipes the password

  engine::ConnId conn;  // the parked connection
  std::uint32_t shard = 0;
  const Authenticator* authenticator = nullptr;  // outlives the worker
  OwnedCredentials credentials;
  std::chrono::steady_clock::time_point deadline;     // the connection's connect timeout
  AuthVerdict verdict = AuthVerdict::kNotAuthorized;  // filled by the worker
};

class AuthWorker {
 public:
  AuthWorker(std::uint32_t shards, std::uint16_t mail_type);
  ~AuthWorker();
  AuthWorker(const AuthWorker&) = delete;
  AuthWorker& operator=(const AuthWorker&) = delete;

  void attach(std::uint32_t shard, engine::ExternalInbox* inbox);
  void detach(std::uint32_t shard);

  // Queues `request`; returns null. Returns the request back when the thread cannot be started.
  std::unique_ptr<AuthRequest> submit(std::unique_ptr<AuthRequest> request);

  // Any thread; for stats and tests.
  std::uint64_t verified() const { return verified_.load(std::memory_order_relaxed); }
  std::uint64_t expired() const { return expired_.load(std::memory_order_relaxed); }
  std::size_t queued() const;

 private:
  void run();
  void answer(std::unique_ptr<AuthRequest> request);

  const std::uint16_t mail_type_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::unique_ptr<AuthRequest>> queue_;  // under mutex_
  std::vector<engine::ExternalInbox*> inboxes_;     // by shard; under mutex_
  bool stopping_ = false;                           // under mutex_
  std::thread thread_;                              // started under mutex_
  std::atomic<std::uint64_t> verified_{0};
  std::atomic<std::uint64_t> expired_{0};
};

}  // namespace rmq::broker
