// RecvTail: a connection's received bytes that the layer above has not consumed yet (a message
// straddling receive buffers). Taken from the shard's FreeList when needed and given back once
// empty, so an idle connection owns none.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <vector>

namespace rmq::engine {

class RecvTail {
 public:
  static constexpr std::size_t kMaxCachedCapacity = 64 * 1024;

  std::span<const std::byte> bytes() const {
    return {data_.data() + start_, data_.size() - start_};
  }
  std::size_t size() const { return data_.size() - start_; }
  bool empty() const { return size() == 0; }

  void append(std::span<const std::byte> more) {
    if (start_ > 0) {
      data_.erase(data_.begin(), data_.begin() + static_cast<std::ptrdiff_t>(start_));
      start_ = 0;
    }
    data_.insert(data_.end(), more.begin(), more.end());
  }
  void consume(std::size_t n) {
    start_ += n;
    if (start_ >= data_.size()) reset();
  }

  // FreeList hooks.
  void reset() {
    data_.clear();
    start_ = 0;
  }
  bool reusable() const { return data_.capacity() <= kMaxCachedCapacity; }

 private:
  std::vector<std::byte> data_;
  std::size_t start_ = 0;
};

}  // namespace rmq::engine
