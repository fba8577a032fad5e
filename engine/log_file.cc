#include "engine/log_file.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "base/log.h"
#include "engine/shard.h"

namespace rmq::engine {
namespace {

constexpr Duration kFirstRetryDelay = std::chrono::milliseconds(10);
constexpr Duration kMaxRetryDelay = std::chrono::seconds(1);

}  // namespace

LogFile::LogFile(Shard& shard, std::uint32_t index, int fd, std::string path, std::uint64_t size)
    : shard_(shard),
      index_(index),
      fd_(fd),
      path_(std::move(path)),
      iov_(std::make_unique<iovec[]>(SendQueue::kMaxIov)),
      appended_(size),
      written_(size),
      durable_(size) {}

LogFile::~LogFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t LogFile::append(SharedBytes bytes) {
  RMQ_DCHECK(!closing_);
  appended_ += bytes.size();
  if (!bytes.empty()) queue_.push(std::move(bytes));
  return appended_;
}

void LogFile::request_sync() { sync_wanted_ = appended_; }

void LogFile::close() { closing_ = true; }

bool LogFile::finished() const {
  if (!closing_ || write_in_flight_ || sync_in_flight_) return false;
  if (write_error_ != 0) return true;  // closing gives up on bytes it cannot write
  return queue_.empty() && (sync_wanted_ <= durable_ || sync_error_ != 0);
}

// Submits the queued bytes (one write, if none is in flight) and the requested sync: linked after
// that write when it covers every requested byte, alone when nothing is being written.
bool LogFile::flush(MonoTime now) {
  if (retry_at_ != MonoTime{}) {
    if (now < retry_at_) return false;
    retry_at_ = MonoTime{};
  }
  if (closing_ && write_error_ != 0) return false;
  const bool want_write = !write_in_flight_ && !queue_.empty();
  const bool want_sync = !sync_in_flight_ && sync_error_ == 0 && sync_wanted_ > durable_;
  if (!want_write && !want_sync) return false;
  // A write, the gate read and the sync must reach the kernel in one submission for the link
  // (get_sqe() submits when the queue is full); with no room for all three, the next turn tries.
  if (io_uring_sq_space_left(&shard_.ring_) < 3) io_uring_submit(&shard_.ring_);
  if (io_uring_sq_space_left(&shard_.ring_) < 3) return true;
  io_uring_sqe* write = want_write ? submit_write() : nullptr;
  if (!want_sync) return true;
  if (write != nullptr) {
    const std::uint64_t end = written_ + queue_.in_flight_bytes();
    if (end >= sync_wanted_) {
      write->flags |= IOSQE_IO_LINK;
      submit_sync(end);
    }
    return true;
  }
  if (!write_in_flight_ && written_ > durable_) {
    submit_sync(written_);
    return true;
  }
  return false;
}

io_uring_sqe* LogFile::submit_write() {
  const std::size_t slices = std::min(queue_.slices(), SendQueue::kMaxIov);
  queue_.prepare_send(std::span<iovec>(iov_.get(), slices));
  io_uring_sqe* sqe = shard_.get_sqe();
  io_uring_prep_writev(sqe, fd_, iov_.get(), static_cast<unsigned>(queue_.msg()->msg_iovlen),
                       written_);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kLogWrite, index_));
  write_in_flight_ = true;
  shard_.stats_.log_writes.add();
  return sqe;
}

void LogFile::submit_sync(std::uint64_t target) {
  if (sync_gate_fd_ >= 0) {
    io_uring_sqe* gate = shard_.get_sqe();
    io_uring_prep_read(gate, sync_gate_fd_, &gate_byte_, 1, 0);
    gate->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
    io_uring_sqe_set_data64(gate, encode_user_data(OpTag::kLogGate, index_));
  }
  io_uring_sqe* sqe = shard_.get_sqe();
  io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
  io_uring_sqe_set_data64(sqe, encode_user_data(OpTag::kLogSync, index_));
  sync_in_flight_ = true;
  sync_target_ = target;
}

void LogFile::on_write(int result) {
  RMQ_DCHECK(write_in_flight_);
  write_in_flight_ = false;
  if (fault_hook_) result = fault_hook_(Op::kWrite, result);
  const std::size_t requested = queue_.in_flight_bytes();
  if (result == -EINTR || result == -EAGAIN) {
    queue_.complete_send(0);  // the next flush writes the same bytes again
    return;
  }
  if (result <= 0) {
    queue_.complete_send(0);
    fail_write(result < 0 ? -result : EIO);  // no progress at all: treated as an I/O error
    return;
  }
  const std::size_t wrote = std::min(static_cast<std::size_t>(result), requested);
  queue_.complete_send(wrote);
  written_ += wrote;
  shard_.stats_.log_bytes_written.add(wrote);
  if (wrote < requested) shard_.stats_.log_partial_writes.add();
  if (write_error_ != 0) {
    RMQ_LOG_INFO("shard %u: log file %s: writing again", shard_.id(), path_.c_str());
  }
  write_error_ = 0;
  backoff_ = Duration{};
  report_progress();
}

void LogFile::on_sync(int result) {
  RMQ_DCHECK(sync_in_flight_);
  sync_in_flight_ = false;
  if (fault_hook_) result = fault_hook_(Op::kSync, result);
  if (result == -ECANCELED) return;  // the linked write failed or was short; synced again later
  if (result < 0) {
    sync_error_ = -result;
    shard_.stats_.log_errors.add();
    RMQ_LOG_ERROR("shard %u: log file %s: fdatasync failed (errno %d); no longer durable",
                  shard_.id(), path_.c_str(), sync_error_);
    if (!closing_) shard_.handler_->on_log_error(*this, sync_error_);
    return;
  }
  shard_.stats_.log_syncs.add();
  // Bytes a fault hook reported unwritten are not counted as durable.
  const std::uint64_t covered = std::min(sync_target_, written_);
  if (covered <= durable_) return;
  durable_ = covered;
  report_progress();
}

void LogFile::fail_write(int error) {
  if (write_error_ == 0) {
    RMQ_LOG_WARN("shard %u: log file %s: write failed (errno %d); retrying", shard_.id(),
                 path_.c_str(), error);
  }
  write_error_ = error;
  shard_.stats_.log_errors.add();
  backoff_ = backoff_ == Duration{} ? kFirstRetryDelay : std::min(backoff_ * 2, kMaxRetryDelay);
  retry_at_ = shard_.now() + backoff_;
  if (!closing_) shard_.handler_->on_log_error(*this, error);
}

void LogFile::report_progress() {
  if (!closing_) shard_.handler_->on_log_progress(*this, durable_);
}

// --- Shard: its log files ---

Result<LogFile*> Shard::open_log(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Errno(StatusCode::kIoError, "cannot open log file", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::Errno(StatusCode::kIoError, "cannot stat log file", error);
  }
  // Bytes already there may sit in the page cache only (a process crash before their sync): made
  // durable here, so that durable_offset() may start at the file's size.
  if (st.st_size > 0 && ::fdatasync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    return Status::Errno(StatusCode::kIoError, "cannot sync log file", error);
  }
  auto free_slot = std::find(logs_.begin(), logs_.end(), nullptr);
  if (free_slot == logs_.end()) free_slot = logs_.insert(logs_.end(), nullptr);
  const auto index = static_cast<std::uint32_t>(free_slot - logs_.begin());
  *free_slot =
      std::make_unique<LogFile>(*this, index, fd, path, static_cast<std::uint64_t>(st.st_size));
  return free_slot->get();
}

// Loop step: destroys closed files that are done, submits every file's due writes and syncs.
bool Shard::flush_logs() {
  bool did_work = false;
  for (std::unique_ptr<LogFile>& log : logs_) {
    if (log == nullptr) continue;
    if (log->finished()) {
      log.reset();
      did_work = true;
      continue;
    }
    did_work |= log->flush(turn_time_);
  }
  return did_work;
}

void Shard::on_log(const UserData& op, const Completion& c) {
  RMQ_ASSERT(op.index < logs_.size() && logs_[op.index] != nullptr);
  LogFile& log = *logs_[op.index];
  if (op.tag == OpTag::kLogWrite) {
    log.on_write(c.res);
  } else {
    log.on_sync(c.res);
  }
}

// After the loop: every file still open is closed the way LogFile::close() closes one (queued
// bytes written, a requested sync issued), waiting at most shutdown_timeout.
void Shard::finish_logs() {
  for (std::unique_ptr<LogFile>& log : logs_) {
    if (log != nullptr) log->close();
  }
  const MonoTime deadline = now() + config_.shutdown_timeout;
  for (;;) {
    turn_time_ = now();
    flush_logs();
    if (std::all_of(logs_.begin(), logs_.end(), [](const auto& log) { return log == nullptr; })) {
      return;
    }
    if (turn_time_ >= deadline) {
      RMQ_LOG_WARN("shard %u: log files still busy at the shutdown deadline", id_);
      return;
    }
    __kernel_timespec ts{};
    ts.tv_nsec = 10 * 1000 * 1000;
    io_uring_cqe* cqe = nullptr;
    io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    while (reap_completions()) {
    }
  }
}

}  // namespace rmq::engine
