// Recovery of a data directory at start: every shard's write-ahead-log segments are scanned
// (scan.h) and replayed (RecoveredState), the per-shard states are merged into one state per shard
// of this run, and each is written as the first records of a fresh segment; the older segments are
// deleted once the fresh ones are on disk. The broker then opens those fresh segments and appends.
//
// Merge rules (sessions move between shards, and the shard count may change between runs):
//  - A client id held by several logs goes to the session of the highest generation. If that one
//    was opened with kOpenContinues and its older state never reached its own log (a crash during
//    a takeover), it continues the session of the next lower generation: that state first, its
//    own queue after, subscriptions and inbound packet ids united.
//  - A session lands on the shard whose log held it (modulo the shard count).
//  - A retained topic held by several logs keeps the most recently received message; it lands on
//    retained_owner(topic, shards), the shard that logs its later changes.
//  - Sessions whose expiry passed while the broker was down are dropped (counted).
// Message ids are renumbered per target shard, from above the highest id any old segment named, so
// that a crash before the old segments are deleted leaves no id naming two messages.
//
// Files: the fresh segment of shard N is `shard-N-<S>.log`, S one more than the highest sequence
// number of that shard found (1 when none); it is written, fdatasync'ed, and the directory synced,
// before any older segment (of any shard number) is unlinked, oldest first (a crash part way
// leaves no gap in a shard's sequence).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/persist/recovered_state.h"

namespace rmq::persist {

struct RecoveryOptions {
  std::string dir;
  std::uint32_t shards = 1;
  bool skip_corrupt = false;
  std::uint64_t now_wall_ms = 0;  // for session expiry; 0: the system clock
};

struct RecoveryReport {
  RecoverySummary summary;  // of the merged states
  std::size_t segments = 0;
  std::uint64_t records = 0;
  std::uint64_t bytes = 0;
  std::uint64_t skipped_bytes = 0;  // --recover-skip-corrupt
  std::size_t expired_sessions = 0;
  Anomalies anomalies;
  std::uint64_t max_generation = 0;
  std::vector<std::string> warnings;  // torn tails truncated, regions skipped
  double scan_ms = 0;                 // scanning and replaying
  double total_ms = 0;                // everything, fresh segments written
};

struct RecoveredShard {
  RecoveredState state;
  std::uint64_t segment_seq = 0;  // the fresh segment holding `state`
  std::string segment_path;
  std::uint64_t segment_size = 0;
};

struct Recovery {
  std::vector<RecoveredShard> shards;  // one per shard of this run
  RecoveryReport report;
};

// Recovers `options.dir` (created if missing). Null on error, with `*error` one line naming the
// file and offset (or the missing segment): an unreadable directory or file, a corrupt record in
// the middle of a log or a bad segment header (unless skip_corrupt), a gap in a shard's sequence
// numbers, a failed write of a fresh segment.
// `*skippable` (if given) tells whether --recover-skip-corrupt would have gone past the error.
std::unique_ptr<Recovery> recover(const RecoveryOptions& options, std::string* error,
                                  bool* skippable = nullptr);

// Writes `state` as a new segment file `path` (header for shard/seq, then its snapshot records)
// and fdatasyncs it. Returns the file size, or 0 with `*error` set.
std::uint64_t write_snapshot_segment(const std::string& path, std::uint32_t shard,
                                     std::uint64_t seq, const RecoveredState& state,
                                     std::string* error);

}  // namespace rmq::persist
