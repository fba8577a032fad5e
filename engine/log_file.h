// LogFile: one shard's asynchronous append-only file, written through the shard's io_uring ring.
// It moves bytes to disk; it knows nothing of records or MQTT.
//
//   Result<LogFile*> file = shard.open_log(path);   // created if missing; appends at its size
//   std::uint64_t end = (*file)->append(bytes);     // queued, no syscall; `end` = its end offset
//   (*file)->request_sync();                        // an fdatasync covering everything appended
//   ... ShardHandler::on_log_progress(file, durable) once durable_offset() >= end
//
// Writes. At the end of each loop turn (after ShardHandler::on_turn_end) the shard submits the
// queued bytes as one IORING_OP_WRITEV (up to 1024 slices) at the file's next explicit offset.
// At most one write per file is in flight; a short write is completed by the next one, from where
// it stopped. Bytes are written in append order, so written_offset() is a prefix of the file.
//
// Syncs (group commit). request_sync() asks for one fdatasync covering everything appended so
// far; any number of requests in one turn cost one IORING_OP_FSYNC (IORING_FSYNC_DATASYNC). When
// the turn's write covers every requested byte, the sync is linked after it (IOSQE_IO_LINK: a
// failed or short write cancels it, and it is issued again after the rest is written); otherwise
// it is issued alone once the writes before it completed. At most one sync per file is in flight;
// requests made meanwhile are covered by the next one.
//
// Progress. written_offset() and durable_offset() start at the file's size at open (Shard::open_log
// syncs what is there) and only grow (durable <= written <= appended).
// ShardHandler::on_log_progress(file, durable_offset) is called whenever either advanced.
//
// Errors (a full disk, EIO). A failed write keeps its bytes queued, counts
// ShardStats::log_errors, calls ShardHandler::on_log_error(file, errno) and retries the write
// after a back-off (10 ms, doubling up to 1 s; retry_now() skips it), until a write succeeds:
// then error() is 0 again and progress resumes. Nothing is lost or reordered: every retry writes
// the same bytes at the same offsets. A failed fdatasync is different and sticky
// (sync_failed()): Linux reports a write-back error once and may mark the lost pages clean, so a
// later successful fdatasync would not prove that the earlier bytes reached the disk. The file
// keeps writing but durable_offset() no longer advances; the layer above should re-log what is
// not durable into a new file and close this one.
//
// Closing. close() returns at once; the LogFile* is invalid from then on and no callback names
// it again. Queued bytes are still written, and a requested sync still issued, before the shard
// closes the descriptor once nothing is in flight; a file in error (error() != 0) is closed with
// what it has. When the shard's loop ends, every file still open is flushed the same way (bounded
// by EngineConfig::shutdown_timeout) and closed. Rotation is the layer above's: open a new file.
//
// Threading: the shard's thread only (ShardHandler callbacks). The object is owned by the shard.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/clock.h"
#include "engine/send_queue.h"
#include "engine/shared_bytes.h"

struct io_uring_sqe;

namespace rmq::engine {

class Shard;

class LogFile {
 public:
  enum class Op : std::uint8_t { kWrite, kSync };
  // For tests: sees the result of every write (bytes or -errno) and sync (0 or -errno)
  // completion and returns the one the file acts on, e.g. -ENOSPC, or fewer bytes than
  // written. Whatever the kernel did, rewriting the same bytes at the same offset is harmless.
  using FaultHook = std::function<int(Op op, int result)>;

  LogFile(Shard& shard, std::uint32_t index, int fd, std::string path, std::uint64_t size);
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile();  // closes the descriptor (the shard destroys a file only when nothing is in flight)

  const std::string& path() const { return path_; }

  // Queues `bytes` after everything appended before; returns the offset just past them. No
  // syscall. Not after close().
  std::uint64_t append(SharedBytes bytes);
  // Asks for an fdatasync covering every byte appended so far (see the header comment).
  void request_sync();

  std::uint64_t appended_offset() const { return appended_; }
  std::uint64_t written_offset() const { return written_; }
  std::uint64_t durable_offset() const { return durable_; }
  // Appended and not yet written (in flight included).
  std::size_t queued_bytes() const { return queue_.queued_bytes(); }
  // The errno of the last failure while it lasts: a write error until a write succeeds, or the
  // sticky sync error. 0 when healthy.
  int error() const { return sync_error_ != 0 ? sync_error_ : write_error_; }
  bool sync_failed() const { return sync_error_ != 0; }
  // Retries a failed write in this loop turn instead of after the back-off.
  void retry_now() { retry_at_ = MonoTime{}; }
  void close();

  void set_fault_hook(FaultHook hook) { fault_hook_ = std::move(hook); }
  // For tests: every sync waits, in the kernel, for one byte to be readable on `fd` (a pipe)
  // before it starts, as a slow disk would make it wait. -1 (the default) turns this off.
  void set_sync_gate(int fd) { sync_gate_fd_ = fd; }

 private:
  friend class Shard;

  // For the shard: submits what is due; returns whether it submitted anything.
  bool flush(MonoTime now);
  void on_write(int result);
  void on_sync(int result);
  bool closing() const { return closing_; }
  // Closed and nothing left to do: the shard may destroy it.
  bool finished() const;
  bool backing_off() const { return retry_at_ != MonoTime{}; }

  io_uring_sqe* submit_write();
  void submit_sync(std::uint64_t target);
  void fail_write(int error);
  void report_progress();

  Shard& shard_;
  const std::uint32_t index_;
  int fd_;
  std::string path_;
  SendQueue queue_;
  std::unique_ptr<iovec[]> iov_;
  std::uint64_t appended_;
  std::uint64_t written_;
  std::uint64_t durable_;
  std::uint64_t sync_wanted_ = 0;  // a sync covering up to here was requested
  std::uint64_t sync_target_ = 0;  // the sync in flight covers up to here
  bool write_in_flight_ = false;
  bool sync_in_flight_ = false;
  bool closing_ = false;
  int write_error_ = 0;
  int sync_error_ = 0;
  Duration backoff_{};
  MonoTime retry_at_{};
  FaultHook fault_hook_;
  int sync_gate_fd_ = -1;
  std::uint8_t gate_byte_ = 0;
};

}  // namespace rmq::engine
