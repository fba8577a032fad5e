#include "broker/persist/recovery.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "broker/persist/crc32c.h"
#include "broker/persist/record_buffer.h"
#include "broker/persist/scan.h"
#include "broker/persist/segment.h"

namespace rmq::persist {
namespace fs = std::filesystem;

std::uint32_t retained_owner(std::string_view topic, std::uint32_t shards) {
  return shards <= 1 ? 0 : crc32c(topic.data(), topic.size()) % shards;
}

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string errno_text(const std::string& what, const std::string& path, int e) {
  return what + " " + path + ": " + std::strerror(e);
}

// Every shard number with at least one segment in `dir`, and each one's highest sequence.
bool list_shards(const std::string& dir, std::map<std::uint32_t, std::uint64_t>* out,
                 std::vector<std::string>* files, std::string* error) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    *error = "cannot create the data directory " + dir + ": " + ec.message();
    return false;
  }
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const auto name = parse_segment_file_name(it->path().filename().string());
    if (!name) continue;
    files->push_back(it->path().string());
    if (name->kind != SegmentKind::kLog) continue;
    std::uint64_t& top = (*out)[name->shard];
    top = std::max(top, name->seq);
  }
  if (ec) {
    *error = "cannot read the data directory " + dir + ": " + ec.message();
    return false;
  }
  return true;
}

// Replays one shard's log into `state`.
bool replay_shard(const RecoveryOptions& options, std::uint32_t shard, RecoveredState* state,
                  RecoveryReport* report, std::string* error, bool* skippable) {
  ScanOptions scan;
  scan.skip_corrupt = options.skip_corrupt;
  std::set<std::uint64_t> seqs;
  const ScanResult r = scan_shard(options.dir, shard, scan,
                                  [&](std::uint64_t seq, std::uint8_t type,
                                      std::span<const std::uint8_t> payload, std::uint64_t) {
                                    seqs.insert(seq);
                                    (void)state->apply_payload(type, payload);
                                  });
  if (!r.ok()) {
    *error = r.message;
    *skippable = r.error == ScanError::kCorruptRecord || r.error == ScanError::kBadHeader ||
                 r.error == ScanError::kMissingSegment;
    return false;
  }
  state->finish();
  auto segments = list_segments(options.dir, shard);
  report->segments += segments.ok() ? segments->size() : seqs.size();
  report->records += r.records;
  report->bytes += r.bytes;
  report->skipped_bytes += r.skipped_bytes;
  for (const std::string& w : r.warnings) report->warnings.push_back(w);
  return true;
}

struct Candidate {
  std::uint32_t source = 0;
  std::string client;
  RecoveredSession* session = nullptr;
};

// Moves `entries` (referring to `from`'s messages) into `into`, renumbering message ids through
// `ids` (source message id -> target id), appending to `queue`.
void move_entries(RecoveredState& from, std::deque<QueueEntry>& entries, RecoveredState& into,
                  std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t>& ids,
                  std::uint32_t source, std::uint64_t* next_id, std::deque<QueueEntry>* queue) {
  for (QueueEntry& e : entries) {
    auto key = std::make_pair(source, e.message_id);
    auto found = ids.find(key);
    if (found == ids.end()) {
      const std::uint64_t id = (*next_id)++;
      RecoveredMessage& held = from.mutable_messages().at(e.message_id);
      // One reference: nothing else will look for it here, so its bytes move instead of copying.
      RecoveredMessage m = held.refs <= 1 ? std::move(held) : held;
      m.refs = 0;
      into.mutable_messages().emplace_hint(into.mutable_messages().end(), id, std::move(m));
      found = ids.emplace(key, id).first;
    }
    e.message_id = found->second;
    ++into.mutable_messages().at(e.message_id).refs;
    queue->push_back(std::move(e));
  }
}

class Merger {
 public:
  Merger(std::vector<RecoveredState>& sources, std::vector<std::uint32_t> numbers,
         std::uint32_t shards, std::uint64_t now_ms, RecoveryReport* report)
      : sources_(sources), numbers_(std::move(numbers)), report_(report), now_ms_(now_ms) {
    targets_.resize(shards);
    // Above every id of the old segments: should a crash keep them beside the fresh ones, no id
    // names two different messages.
    std::uint64_t first_id = 1;
    for (const RecoveredState& s : sources_)
      first_id = std::max(first_id, s.max_seen_message_id() + 1);
    next_id_.assign(shards, first_id);
    ids_.resize(shards);
  }

  std::vector<RecoveredState> run() {
    std::map<std::string, std::vector<Candidate>, std::less<>> by_client;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      for (auto& [client, ss] : sources_[i].mutable_sessions()) {
        by_client[client].push_back(Candidate{static_cast<std::uint32_t>(i), client, &ss});
        report_->max_generation = std::max(report_->max_generation, ss.generation);
      }
    }
    for (auto& [client, candidates] : by_client) place_session(client, candidates);
    place_retained();
    for (RecoveredState& t : targets_) t.finish();
    return std::move(targets_);
  }

 private:
  std::uint32_t target_of(std::size_t source) const {
    return numbers_[source] % static_cast<std::uint32_t>(targets_.size());
  }

  void place_session(const std::string& client, std::vector<Candidate>& candidates) {
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return a.session->generation > b.session->generation;
    });
    Candidate& top = candidates[0];
    RecoveredSession& ss = *top.session;
    if (ss.offline_wall_ms != 0 && ss.expiry_s != 0xFFFFFFFFu &&
        ss.offline_wall_ms + std::uint64_t{ss.expiry_s} * 1000 <= now_ms_) {
      ++report_->expired_sessions;
      return;
    }
    const std::uint32_t t = target_of(top.source);
    RecoveredSession out;
    out.expiry_s = ss.expiry_s;
    out.protocol_version = ss.protocol_version;
    out.flags = ss.flags;
    out.generation = ss.generation;
    out.offline_wall_ms = ss.offline_wall_ms;
    out.will = ss.will;
    if (ss.continues && candidates.size() > 1) {
      Candidate& base = candidates[1];  // the state the top generation continues
      absorb(base, t, &out);
    }
    absorb(top, t, &out);
    out.will = ss.will;
    targets_[t].mutable_sessions().insert_or_assign(client, std::move(out));
  }

  void absorb(Candidate& c, std::uint32_t t, RecoveredSession* out) {
    RecoveredSession& ss = *c.session;
    for (auto& [filter, sub] : ss.subscriptions) out->subscriptions.insert_or_assign(filter, sub);
    out->inbound_qos2.insert(ss.inbound_qos2.begin(), ss.inbound_qos2.end());
    move_entries(sources_[c.source], ss.queue, targets_[t], ids_[t], c.source, &next_id_[t],
                 &out->queue);
  }

  void place_retained() {
    struct Pick {
      std::uint32_t source;
      std::uint64_t id;
      std::uint64_t received;
    };
    std::map<std::string, Pick, std::less<>> picks;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
      for (const auto& [topic, id] : sources_[i].retained()) {
        const std::uint64_t received = sources_[i].messages().at(id).received_wall_ms;
        auto [it, fresh] =
            picks.try_emplace(topic, Pick{static_cast<std::uint32_t>(i), id, received});
        if (!fresh && received > it->second.received)
          it->second = Pick{static_cast<std::uint32_t>(i), id, received};
      }
    }
    const auto shards = static_cast<std::uint32_t>(targets_.size());
    for (const auto& [topic, pick] : picks) {
      const std::uint32_t t = retained_owner(topic, shards);
      QueueEntry entry;
      entry.message_id = pick.id;
      std::deque<QueueEntry> one{entry};
      std::deque<QueueEntry> moved;
      move_entries(sources_[pick.source], one, targets_[t], ids_[t], pick.source, &next_id_[t],
                   &moved);
      targets_[t].mutable_retained().insert_or_assign(topic, moved.front().message_id);
    }
  }

  std::vector<RecoveredState>& sources_;
  const std::vector<std::uint32_t> numbers_;  // the shard number of each source
  RecoveryReport* report_;
  const std::uint64_t now_ms_;
  std::vector<RecoveredState> targets_;
  std::vector<std::uint64_t> next_id_;
  std::vector<std::map<std::pair<std::uint32_t, std::uint64_t>, std::uint64_t>> ids_;
};

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

bool sync_dir(const std::string& dir, std::string* error) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    *error = errno_text("cannot sync the directory", dir, errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

}  // namespace

std::uint64_t write_snapshot_segment(const std::string& path, std::uint32_t shard,
                                     std::uint64_t seq, const RecoveredState& state,
                                     std::string* error) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = errno_text("cannot create", path, errno);
    return 0;
  }
  SegmentHeader header;
  header.shard = shard;
  header.seq = seq;
  header.created_ns = static_cast<std::uint64_t>(
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds(1));
  std::uint8_t head[kSegmentHeaderSize];
  encode_segment_header(header, head);
  std::uint64_t size = kSegmentHeaderSize;
  bool ok = write_all(fd, head);
  RecordBuffer buffer;
  auto flush = [&] {
    ok = ok && write_all(fd, buffer.bytes());
    size += buffer.size();
    buffer.clear();
  };
  state.emit_snapshot([&](const AnyRecord& r) {
    (void)buffer.append_any(r);
    if (buffer.size() >= (1u << 20)) flush();
  });
  flush();
  ok = ok && ::fdatasync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!ok) {
    *error = errno_text("cannot write", path, saved);
    return 0;
  }
  return size;
}

std::unique_ptr<Recovery> recover(const RecoveryOptions& options, std::string* error,
                                  bool* skippable) {
  bool skip_would_help = false;
  if (skippable == nullptr) skippable = &skip_would_help;
  *skippable = false;
  const auto started = Clock::now();
  auto out = std::make_unique<Recovery>();
  RecoveryReport& report = out->report;
  std::map<std::uint32_t, std::uint64_t> top_seq;
  std::vector<std::string> old_files;
  if (!list_shards(options.dir, &top_seq, &old_files, error)) return nullptr;
  std::vector<RecoveredState> sources(top_seq.size());
  std::vector<std::uint32_t> numbers;
  std::size_t i = 0;
  for (const auto& [shard, seq] : top_seq) {
    numbers.push_back(shard);
    if (!replay_shard(options, shard, &sources[i], &report, error, skippable)) return nullptr;
    report.anomalies += sources[i].anomalies();
    ++i;
  }
  report.scan_ms = ms_since(started);
  const std::uint64_t now_ms = options.now_wall_ms != 0 ? options.now_wall_ms : wall_now_ms();
  Merger merger(sources, numbers, std::max<std::uint32_t>(options.shards, 1), now_ms, &report);
  std::vector<RecoveredState> merged = merger.run();
  sources.clear();
  out->shards.resize(merged.size());
  for (std::uint32_t shard = 0; shard < merged.size(); ++shard) {
    RecoveredShard& target = out->shards[shard];
    target.state = std::move(merged[shard]);
    target.segment_seq = top_seq.count(shard) != 0 ? top_seq[shard] + 1 : 1;
    target.segment_path =
        (fs::path(options.dir) / segment_file_name(shard, target.segment_seq)).string();
    target.segment_size =
        write_snapshot_segment(target.segment_path, shard, target.segment_seq, target.state, error);
    if (target.segment_size == 0) return nullptr;
    report.summary += target.state.summary();
  }
  if (!sync_dir(options.dir, error)) return nullptr;
  // Oldest first: a crash part way leaves a shard's remaining segments without a gap.
  std::sort(old_files.begin(), old_files.end(), [](const std::string& a, const std::string& b) {
    const auto na = parse_segment_file_name(fs::path(a).filename().string());
    const auto nb = parse_segment_file_name(fs::path(b).filename().string());
    return std::make_pair(na->shard, na->seq) < std::make_pair(nb->shard, nb->seq);
  });
  for (const std::string& old : old_files) {
    if (::unlink(old.c_str()) != 0 && errno != ENOENT) {
      *error = errno_text("cannot remove", old, errno);
      return nullptr;
    }
  }
  if (!old_files.empty() && !sync_dir(options.dir, error)) return nullptr;
  report.total_ms = ms_since(started);
  return out;
}

}  // namespace rmq::persist
