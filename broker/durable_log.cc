#include "broker/durable_log.h"

#include <algorithm>
#include <chrono>
#include <cstddef>

#include "broker/persist/segment.h"

namespace rmq::broker {

const char* to_string(Durability d) {
  switch (d) {
    case Durability::kSync: return "sync";
    case Durability::kBatch: return "batch";
    case Durability::kNone: return "none";
  }
  return "?";
}

namespace {

engine::SharedBytes segment_header(std::uint32_t shard, std::uint64_t seq) {
  persist::SegmentHeader header;
  header.shard = shard;
  header.seq = seq;
  header.created_ns = static_cast<std::uint64_t>(
      std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds(1));
  std::byte bytes[persist::kSegmentHeaderSize];
  persist::encode_segment_header(header,
                                 std::span(reinterpret_cast<std::uint8_t*>(bytes), sizeof(bytes)));
  return engine::SharedBytes::copy_of(std::span<const std::byte>(bytes, sizeof(bytes)));
}

}  // namespace

Status DurableLog::open(const std::string& path, std::uint32_t shard, std::uint64_t seq,
                        bool fresh) {
  Result<engine::LogFile*> file = shard_.open_log(path);
  if (!file.ok()) return file.status();
  file_ = *file;
  path_ = path;
  seq_ = seq;
  if (fresh && file_->appended_offset() == 0) {
    file_->append(segment_header(shard, seq));
    if (mode_ != Durability::kNone) file_->request_sync();
  }
  return OkStatus();
}

void DurableLog::flush_turn() {
  if (file_ == nullptr || staged_.empty()) return;
  const auto bytes = staged_.bytes();
  stats_.log_bytes.add(bytes.size());
  file_->append(engine::SharedBytes::copy_of(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(bytes.data()), bytes.size())));
  staged_.clear();
  if (mode_ == Durability::kSync) file_->request_sync();
}

void DurableLog::sync_now() {
  if (file_ == nullptr) return;
  flush_turn();
  if (file_->durable_offset() < file_->appended_offset()) file_->request_sync();
}

std::uint64_t DurableLog::durable_position() const {
  std::uint64_t now = 0;
  if (old_ != nullptr) {
    now = old_base_ + old_->durable_offset();
  } else if (file_ != nullptr) {
    now = base_ + file_->durable_offset();
  }
  durable_high_ = std::max(durable_high_, now);  // a new segment's header overlaps the old end
  return durable_high_;
}

bool DurableLog::ready_to_rotate() const {
  if (file_ == nullptr || old_ != nullptr) return false;
  // Written to its end is enough: what waits for it waits for the old segment's own sync.
  return file_->written_offset() == file_->appended_offset();
}

Status DurableLog::rotate(const std::string& path, std::uint32_t shard, std::uint64_t seq) {
  if (old_ != nullptr) retire_old();
  Result<engine::LogFile*> file = shard_.open_log(path);
  if (!file.ok()) return file.status();
  if (file_ != nullptr) {
    old_ = file_;
    old_base_ = base_;
    // Records staged before the switch land after the new header: their positions stay put.
    base_ += old_->appended_offset() - persist::kSegmentHeaderSize;
    if (mode_ != Durability::kNone) old_->request_sync();
  }
  file_ = *file;
  path_ = path;
  seq_ = seq;
  file_->append(segment_header(shard, seq));
  if (mode_ == Durability::kNone ||
      (old_ != nullptr && old_->durable_offset() == old_->appended_offset())) {
    retire_old();
  }
  stats_.log_compactions.add();
  return OkStatus();
}

bool DurableLog::on_progress(engine::LogFile& file) {
  if (&file == old_) {
    if (old_->durable_offset() == old_->appended_offset()) retire_old();
    return true;
  }
  return &file == file_;
}

void DurableLog::retire_old() {
  if (old_ == nullptr) return;
  old_->close();
  old_ = nullptr;
}

}  // namespace rmq::broker
