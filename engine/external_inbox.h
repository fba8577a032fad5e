// ExternalInbox: a shard's mailbox for threads that are not shards (worker threads such as the
// broker's password hashing). Any thread may post; the owning shard delivers the messages to its
// handler's on_mailbox, in order, on its own thread.
//
// It is for rare control traffic: a mutex-guarded vector and an eventfd whose read the shard keeps
// armed on its ring. A message's ownership (what `ptr` points to, the `bytes` reference) passes to
// the shard when post() returns true; once the shard has stopped, post() returns false and the
// caller keeps it.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "base/status.h"
#include "engine/mailbox.h"

namespace rmq::engine {

class ExternalInbox {
 public:
  ExternalInbox() = default;
  ExternalInbox(const ExternalInbox&) = delete;
  ExternalInbox& operator=(const ExternalInbox&) = delete;
  ~ExternalInbox();

  // Creates the eventfd. Called once by the shard before it runs.
  Status open();
  int fd() const { return fd_; }

  // Any thread. False when the inbox is closed (the shard stopped): the message was not taken.
  bool post(const MailboxMessage& message);

  // The shard: moves every posted message into `out` (cleared first).
  void take_all(std::vector<MailboxMessage>& out);
  // The shard, once it delivered its last messages: later posts fail.
  void close();

 private:
  std::mutex mutex_;
  std::vector<MailboxMessage> messages_;
  bool closed_ = false;
  int fd_ = -1;
};

}  // namespace rmq::engine
