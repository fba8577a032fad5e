#include "broker/auth_worker.h"

#include <openssl/crypto.h>
#include <sys/resource.h>
#include <unistd.h>

#include <system_error>

#include "base/log.h"

namespace rmq::broker {
namespace {
constexpr int kNice = 10;
}  // namespace

AuthRequest::~AuthRequest() {
  if (credentials.password && !credentials.password->empty()) {
    OPENSSL_cleanse(credentials.password->data(), credentials.password->size());
  }
}

AuthWorker::AuthWorker(std::uint32_t shards, std::uint16_t mail_type)
    : mail_type_(mail_type), inboxes_(shards, nullptr) {}

AuthWorker::~AuthWorker() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuthWorker::attach(std::uint32_t shard, engine::ExternalInbox* inbox) {
  std::lock_guard lock(mutex_);
  if (shard >= inboxes_.size()) inboxes_.resize(shard + 1, nullptr);
  inboxes_[shard] = inbox;
}

void AuthWorker::detach(std::uint32_t shard) {
  std::lock_guard lock(mutex_);
  if (shard < inboxes_.size()) inboxes_[shard] = nullptr;
}

std::size_t AuthWorker::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::unique_ptr<AuthRequest> AuthWorker::submit(std::unique_ptr<AuthRequest> request) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return request;
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { run(); });
      } catch (const std::system_error& e) {
        RMQ_LOG_ERROR("cannot start the authentication thread: %s", e.what());
        return request;
      }
    }
    queue_.push_back(std::move(request));
  }
  wake_.notify_one();
  return nullptr;
}

void AuthWorker::run() {
  // Below the shards: when cores are short, a storm of password checks waits, not the traffic.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kNice);
  for (;;) {
    std::unique_ptr<AuthRequest> request;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // queued requests are dropped with the worker
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    if (std::chrono::steady_clock::now() > request->deadline) {
      expired_.fetch_add(1, std::memory_order_relaxed);  // its connection has timed out
      continue;
    }
    request->verdict = request->authenticator->verify(request->credentials);
    verified_.fetch_add(1, std::memory_order_relaxed);
    answer(std::move(request));
  }
}

void AuthWorker::answer(std::unique_ptr<AuthRequest> request) {
  std::lock_guard lock(mutex_);
  engine::ExternalInbox* inbox =
      request->shard < inboxes_.size() ? inboxes_[request->shard] : nullptr;
  if (inbox == nullptr) return;  // the shard is gone: the request is freed here
  engine::MailboxMessage message;
  message.type = mail_type_;
  message.ptr = request.get();
  if (inbox->post(message)) (void)request.release();  // the shard owns it now
}

}  // namespace rmq::broker
