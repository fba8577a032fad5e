// RecordBuffer: typed records framed back to back into one growable byte buffer, the unit the
// write-ahead log appends and the snapshot writer writes. The buffer keeps its capacity across
// clear(), so a warm buffer appends without allocating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "base/assert.h"
#include "broker/persist/record.h"
#include "broker/persist/records_schema.h"

namespace rmq::persist {

class RecordBuffer {
 public:
  // Appends `r` framed; false (nothing appended) when a field is out of range or the payload is
  // over kMaxRecordPayload.
  template <typename R>
  bool append(const R& r) {
    const std::size_t framed = framed_size(encoded_size(r));
    const std::size_t at = bytes_.size();
    bytes_.resize(at + framed);
    const Result<std::size_t> written = encode_framed(std::span(bytes_).subspan(at), r);
    if (!written.ok()) {
      bytes_.resize(at);
      return false;
    }
    RMQ_DCHECK(*written == framed);
    ++records_;
    return true;
  }
  bool append_any(const AnyRecord& r) {
    return std::visit([this](const auto& typed) { return append(typed); }, r);
  }

  std::span<const std::uint8_t> bytes() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  std::uint64_t records() const { return records_; }
  void clear() {
    bytes_.clear();
    records_ = 0;
  }

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint64_t records_ = 0;
};

// The shard that logs a retained topic's changes (and holds it in its snapshot): stable across
// builds and restarts with the same shard count.
std::uint32_t retained_owner(std::string_view topic, std::uint32_t shards);

}  // namespace rmq::persist
