#include "engine/external_inbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace rmq::engine {

ExternalInbox::~ExternalInbox() {
  if (fd_ >= 0) ::close(fd_);
  for (const MailboxMessage& message : messages_) SharedBytes::from_raw(message.bytes);
}

Status ExternalInbox::open() {
  fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd_ < 0) return Status::Errno(StatusCode::kIoError, "eventfd() failed", errno);
  return OkStatus();
}

bool ExternalInbox::post(const MailboxMessage& message) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    wake = messages_.empty();
    messages_.push_back(message);
  }
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof(one));
  }
  return true;
}

void ExternalInbox::take_all(std::vector<MailboxMessage>& out) {
  out.clear();
  std::lock_guard lock(mutex_);
  out.swap(messages_);
}

void ExternalInbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
}

}  // namespace rmq::engine
