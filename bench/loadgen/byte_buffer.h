// ByteBuffer: a fixed-capacity byte queue for one connection's input or output. Bytes are
// appended at the back and consumed from the front; compact() moves what is left to the start.
// The memory is allocated once, at construction, and never grows.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "base/assert.h"

namespace rmq::loadgen {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(std::uint32_t capacity)
      : data_(new std::uint8_t[capacity]), capacity_(capacity) {}

  std::uint32_t capacity() const { return capacity_; }
  std::uint32_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  // Free space at the back (after compact(), all of capacity - size()).
  std::uint32_t space() const { return capacity_ - end_; }

  std::span<const std::uint8_t> readable() const { return {data_.get() + begin_, size()}; }
  std::span<std::uint8_t> writable() { return {data_.get() + end_, space()}; }
  void commit(std::uint32_t n) {
    RMQ_DCHECK(n <= space());
    end_ += n;
  }
  void consume(std::uint32_t n) {
    RMQ_DCHECK(n <= size());
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  void compact() {
    if (begin_ == 0) return;
    std::memmove(data_.get(), data_.get() + begin_, size());
    end_ -= begin_;
    begin_ = 0;
  }
  // Room for `n` more bytes, compacting if that makes enough.
  bool reserve(std::uint32_t n) {
    if (space() >= n) return true;
    compact();
    return space() >= n;
  }
  void clear() { begin_ = end_ = 0; }

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::uint32_t capacity_ = 0;
  std::uint32_t begin_ = 0;
  std::uint32_t end_ = 0;
};

}  // namespace rmq::loadgen
