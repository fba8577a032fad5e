// SlotTable<T>: owning pointers to T indexed by a dense slot number (an engine connection slot, a
// session presence slot), in chunks of kChunk cells that never move. Growing adds a chunk: no
// copy, no freed old array, no doubling slack, which a std::vector indexed the same way would
// leave behind (a few tens of bytes per connection at 10k connections). One shard's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace rmq::broker {

template <typename T>
class SlotTable {
 public:
  static constexpr std::size_t kChunk = 1024;

  // The object in `slot`, or null.
  T* get(std::size_t slot) const {
    const std::size_t chunk = slot / kChunk;
    if (chunk >= chunks_.size() || chunks_[chunk] == nullptr) return nullptr;
    return chunks_[chunk]->cells[slot % kChunk].get();
  }
  // The cell of `slot`, created (empty) if needed.
  std::unique_ptr<T>& cell(std::size_t slot) {
    const std::size_t chunk = slot / kChunk;
    if (chunk >= chunks_.size()) chunks_.resize(chunk + 1);
    if (chunks_[chunk] == nullptr) chunks_[chunk] = std::make_unique<Chunk>();
    return chunks_[chunk]->cells[slot % kChunk];
  }

  // One past the highest slot that may hold an object (for walking every slot).
  std::size_t capacity() const { return chunks_.size() * kChunk; }

 private:
  struct Chunk {  // one object (8 KiB), not a new[] array with a length cookie
    std::unique_ptr<T> cells[kChunk];
  };
  std::vector<std::unique_ptr<Chunk>> chunks_;
};

}  // namespace rmq::broker
