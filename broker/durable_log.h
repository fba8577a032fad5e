// DurableLog: one shard's write-ahead log as the broker sees it (ARCHITECTURE.md section 6).
// Typed records (persist/records_schema.h) are framed into a staging buffer as the broker's state
// changes; at the end of each loop turn the staged bytes go to the shard's engine::LogFile in one
// append, with one sync request in `sync` mode (group commit).
//
// Positions: a position counts bytes across segments (a segment's file offset plus the bytes of
// the segments before it), so it only grows, across rotations too. end_position() is where the
// records staged so far end; durable_position() how far fdatasync has covered, in order: after a
// rotation it follows the old segment until that one is durable to its end (or retired: its
// content was written again into the new one), then the new one.
//
// Modes (--durability): kSync syncs every turn that appended; kBatch when the broker's interval
// timer calls sync_now(); kNone never (the kernel writes back when it will).
//
// Threading: the shard's thread only. Owned by the shard's Broker.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "broker/broker_config.h"
#include "broker/persist/record_buffer.h"
#include "broker/stats.h"
#include "engine/log_file.h"
#include "engine/shard.h"

namespace rmq::broker {

const char* to_string(Durability d);

class DurableLog {
 public:
  // `stats`: the shard's counters (log_records, log_bytes, log_compactions); they outlive it.
  DurableLog(engine::Shard& shard, Durability mode, BrokerStats& stats)
      : shard_(shard), mode_(mode), stats_(stats) {}
  DurableLog(const DurableLog&) = delete;
  DurableLog& operator=(const DurableLog&) = delete;
  // The shard flushes and closes its files when its loop ends: nothing to do when this goes.

  // Appends to the segment at `path` (its header already written), or creates it with a header
  // when `fresh`. `next_message_id`: the first message id this shard may use.
  Status open(const std::string& path, std::uint32_t shard, std::uint64_t seq, bool fresh);
  bool is_open() const { return file_ != nullptr; }
  Durability mode() const { return mode_; }
  bool waits_for_sync() const { return mode_ == Durability::kSync; }

  template <typename R>
  void write(const R& record) {
    if (file_ != nullptr && staged_.append(record)) stats_.log_records.add();
  }
  std::uint64_t next_message_id() { return next_message_id_++; }
  void set_next_message_id(std::uint64_t id) { next_message_id_ = id; }

  std::uint64_t end_position() const {
    return file_ == nullptr ? 0 : base_ + file_->appended_offset() + staged_.size();
  }
  std::uint64_t durable_position() const;
  // Bytes staged or appended to the current segment (compaction's trigger).
  std::uint64_t segment_bytes() const {
    return file_ == nullptr ? 0 : file_->appended_offset() + staged_.size();
  }
  int error() const { return file_ == nullptr ? 0 : file_->error(); }
  bool sync_failed() const { return file_ != nullptr && file_->sync_failed(); }
  engine::LogFile* file() const { return file_; }
  bool rotating() const { return old_ != nullptr; }
  bool old_sync_failed() const { return old_ != nullptr && old_->sync_failed(); }
  // How far fdatasync has covered the current segment, as a position (ignoring the old one).
  std::uint64_t current_durable_position() const {
    return file_ == nullptr ? 0 : base_ + file_->durable_offset();
  }
  // On progress of `file`: closes the old segment once it is durable to its end. True when
  // `file` is one of this log's segments.
  bool on_progress(engine::LogFile& file);
  // Closes the old segment without waiting for it (its content is in the new one, durable).
  void retire_old();

  // End of a loop turn: hands the staged records to the file; in kSync mode asks for a sync.
  void flush_turn();
  // kBatch: asks for a sync covering everything appended (the interval timer).
  void sync_now();
  // Whether the current segment has no write in flight: switching now cannot leave it torn behind
  // a newer segment by a crash of the process. (Its sync may still be running; positions wait for
  // it. A power loss before it completes can leave it torn: recovery then names it, and
  // --recover-skip-corrupt goes past it.)
  bool ready_to_rotate() const;
  // Switches to a new segment; records staged and not yet appended go to the new one. The old one
  // is closed once durable to its end (or retired). The caller writes the snapshot records next.
  Status rotate(const std::string& path, std::uint32_t shard, std::uint64_t seq);
  const std::string& path() const { return path_; }
  std::uint64_t seq() const { return seq_; }

 private:
  engine::Shard& shard_;
  const Durability mode_;
  engine::LogFile* file_ = nullptr;
  std::uint64_t base_ = 0;          // position of the current segment's offset 0
  engine::LogFile* old_ = nullptr;  // the previous segment while it is not durable to its end
  std::uint64_t old_base_ = 0;
  mutable std::uint64_t durable_high_ = 0;
  std::string path_;
  std::uint64_t seq_ = 0;
  persist::RecordBuffer staged_;
  std::uint64_t next_message_id_ = 1;
  BrokerStats& stats_;
};

}  // namespace rmq::broker
