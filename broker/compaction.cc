// Log compaction (ARCHITECTURE.md section 6). When the shard's current segment passes
// --compact-bytes, the broker switches to a new segment and writes into it, in slices between
// its other work, a reset snapshot of every persistent session (persist_log.cc) and of the
// retained topics it owns. Changes go on being logged behind (and between) the slices: a
// session's snapshot reflects everything logged for it before, so replaying the new segment
// alone gives the live state. Once the last slice is durable, the older segments are deleted.
// The next compaction starts when the segment passes --compact-bytes or twice the snapshot,
// whichever is larger, so a live state near the threshold is not compacted over and over.
//
// A session holds the records of its snapshot together (they take effect at its commit record),
// so an offline session with a long queue is written over several slices: its head first, then
// queue entries from the front, then the commit. While that runs, copies queued to it are not
// logged on their own (the walk reaches them: an offline queue only grows at its back), and the
// acknowledgements waiting for them wait for the commit. A session that ends or moves meanwhile
// has the rest of its snapshot written at once first (finish_chunk_of).
// A crash before that replays old and new segments: the resets make the result the same.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/persist/record_buffer.h"
#include "broker/persist/segment.h"

namespace rmq::broker {
namespace {
// Bytes of snapshot records written per slice (a slice runs in one loop turn).
constexpr std::uint64_t kSliceBytes = 1u << 20;
constexpr std::size_t kRetainedPerSlice = 2000;
// Queued entries over which an offline session's snapshot is written in several slices.
constexpr std::size_t kChunkedQueue = 2048;
}  // namespace

void Broker::maybe_compact() {
  if (log_ == nullptr || compaction_.running || log_->rotating()) return;
  if (log_->segment_bytes() < compact_threshold_ || !log_->ready_to_rotate()) return;
  start_compaction("size");
}

void Broker::start_compaction(const char* why) {
  if (compaction_.running) return;
  const std::uint64_t seq = log_->seq() + 1;
  const std::string path =
      (std::filesystem::path(config_.persist.data_dir) / persist::segment_file_name(self_, seq))
          .string();
  if (const Status status = log_->rotate(path, self_, seq); !status.ok()) {
    RMQ_LOG_WARN("log compaction (%s): cannot open %s: %s", why, path.c_str(), status.message());
    return;
  }
  compaction_ = Compaction{};
  compaction_.running = true;
  compaction_.started = shard_.now();
  compaction_.start = log_->end_position();
  const std::uint32_t shards = shared_.shard_count();
  shared_.retained(std::string_view("x"))
      .collect_all(compaction_.retained,
                   [&](std::string_view t) { return persist::retained_owner(t, shards) == self_; });
  RMQ_LOG_DEBUG("log compaction (%s): new segment %s", why, path.c_str());
  shard_.arm_timer(compact_timer_, Duration::zero());
}

// One slice: sessions from the cursor, then retained topics, up to kSliceBytes of records.
void Broker::compact_slice() {
  if (!compaction_.running) return;
  if (!continue_chunk(kSliceBytes)) {
    shard_.arm_timer(compact_timer_, Duration::zero());
    return;
  }
  const std::uint64_t start = log_->end_position();
  while (compaction_.slot < sessions_.capacity() && log_->end_position() - start < kSliceBytes) {
    Session* s = sessions_.get(compaction_.slot++);
    if (s == nullptr || !s->durable || s->phase == SessionPhase::kAuthenticating) continue;
    ++compaction_.sessions;
    if (s->conn != nullptr || s->queue.size() < kChunkedQueue) {
      log_session_snapshot(*s);
      continue;
    }
    log_snapshot_head(*s);
    compaction_.chunk_handle = s->handle;
    compaction_.chunk_generation = s->generation;
    compaction_.chunk_next = 0;
    break;  // its queue from the next slice on
  }
  if (compaction_.chunk_handle != 0) {
    shard_.arm_timer(compact_timer_, Duration::zero());
    return;
  }
  std::size_t done = 0;
  while (compaction_.slot >= sessions_.capacity() && done < kRetainedPerSlice &&
         compaction_.next_retained < compaction_.retained.size()) {
    log_retained_now(compaction_.retained[compaction_.next_retained++]->topic());
    ++done;
  }
  if (compaction_.slot < sessions_.capacity() ||
      compaction_.next_retained < compaction_.retained.size()) {
    shard_.arm_timer(compact_timer_, Duration::zero());
    return;
  }
  compaction_.retained.clear();
  compaction_.written = true;
  compaction_.end = log_->end_position();
  if (log_->mode() == Durability::kNone) compaction_progress();
}

Session* Broker::chunked_session() {
  if (compaction_.chunk_handle == 0) return nullptr;
  Session* s = find_session(compaction_.chunk_handle);
  return s != nullptr && s->generation == compaction_.chunk_generation ? s : nullptr;
}

// Writes up to `max_bytes` of the chunked session's queue; true once its snapshot is committed (or
// there is none).
bool Broker::continue_chunk(std::uint64_t max_bytes) {
  if (compaction_.chunk_handle == 0) return true;
  Session* s = chunked_session();
  RMQ_DCHECK(s != nullptr);  // finish_chunk_of runs before it ends or moves
  if (s == nullptr) {
    compaction_.chunk_handle = 0;
    return true;
  }
  const std::uint64_t start = log_->end_position();
  while (compaction_.chunk_next < s->queue.size() && log_->end_position() - start < max_bytes) {
    log_snapshot_entry(*s, s->queue.at(compaction_.chunk_next++));
  }
  if (compaction_.chunk_next < s->queue.size()) return false;
  log_snapshot_tail(*s);
  compaction_.chunk_handle = 0;
  for (const std::uint32_t id : compaction_.chunk_waits) {
    acks_.wait_position(id, log_->end_position());
    ack_part_done(id);
  }
  compaction_.chunk_waits.clear();
  return true;
}

// `s` is about to end or move: the rest of its snapshot goes now.
void Broker::finish_chunk_of(Session& s) {
  if (chunked_session() == &s) (void)continue_chunk(UINT64_MAX);
}

// Once the snapshot is durable: the older segments go.
void Broker::compaction_progress() {
  if (!compaction_.running || !compaction_.written) return;
  if (log_->mode() != Durability::kNone) {
    // An old segment whose fdatasync failed never becomes durable: the new one holds it all.
    if (log_->old_sync_failed() && log_->current_durable_position() >= compaction_.end) {
      log_->retire_old();
      acks_.on_durable(log_->durable_position(), [this](std::uint32_t id) { ack_part_done(id); });
    }
    if (log_->durable_position() < compaction_.end) return;
  }
  log_->retire_old();
  auto old = persist::list_segments(config_.persist.data_dir, self_);
  std::vector<std::string> paths;
  if (old.ok()) {
    for (const persist::SegmentFile& f : *old) {
      if (f.seq < log_->seq()) paths.push_back(f.path);
    }
  }
  const std::size_t removed = paths.size();
  // Freeing a large file's blocks takes the file system milliseconds: not on the shard's thread.
  // Oldest first; a segment left behind by an exit meanwhile is replayed (and deleted) at start.
  std::thread([paths = std::move(paths)] {
    for (const std::string& path : paths) ::unlink(path.c_str());
  }).detach();
  const double ms =
      std::chrono::duration<double, std::milli>(shard_.now() - compaction_.started).count();
  RMQ_LOG_INFO("log compaction: %zu sessions, %zu old segment(s) removed, %.0f ms",
               compaction_.sessions, removed, ms);
  compaction_.running = false;
  // A segment holding mostly live state would be compacted again at once: wait for it to grow
  // past twice the snapshot.
  compact_threshold_ =
      std::max(config_.persist.compact_bytes, 2 * (compaction_.end - compaction_.start));
}

}  // namespace rmq::broker
