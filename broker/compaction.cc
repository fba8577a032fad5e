// Log compaction (ARCHITECTURE.md section 6). When the shard's current segment passes
// --compact-bytes, the broker switches to a new segment and writes into it, in slices between
// its other work, a reset snapshot of every persistent session (persist_log.cc) and of the
// retained topics it owns. Changes go on being logged behind (and between) the slices: a
// session's snapshot reflects everything logged for it before, so replaying the new segment
// alone gives the live state. Once the last slice is durable, the older segments are deleted.
// The next compaction starts when the segment passes --compact-bytes or twice the snapshot,
// whichever is larger, so a live state near the threshold is not compacted over and over.
// A crash before that replays old and new segments: the resets make the result the same.
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "base/log.h"
#include "broker/broker.h"
#include "broker/persist/record_buffer.h"
#include "broker/persist/segment.h"

namespace rmq::broker {
namespace {
// Bytes of snapshot records written per slice (a slice runs in one loop turn).
constexpr std::uint64_t kSliceBytes = 1u << 20;
constexpr std::size_t kRetainedPerSlice = 2000;
}  // namespace

void Broker::maybe_compact() {
  if (log_ == nullptr || compaction_.running || log_->rotating()) return;
  if (log_->segment_bytes() < compact_threshold_) return;
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
  const std::uint64_t start = log_->end_position();
  while (compaction_.slot < sessions_.capacity() && log_->end_position() - start < kSliceBytes) {
    Session* s = sessions_.get(compaction_.slot++);
    if (s != nullptr && s->durable && s->phase != SessionPhase::kAuthenticating) {
      log_session_snapshot(*s);
      ++compaction_.sessions;
    }
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
  std::size_t removed = 0;
  if (old.ok()) {
    for (const persist::SegmentFile& f : *old) {
      if (f.seq < log_->seq() && ::unlink(f.path.c_str()) == 0) ++removed;
    }
  }
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
