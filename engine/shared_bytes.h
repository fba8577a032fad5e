// SharedBytes: an immutable, reference-counted byte slice.
//
// One block holds the reference count, the capacity and the bytes. share() and slice() add a
// reference (no copy); the block is freed when the last reference is released. The count is
// atomic, so references may be held and released on any thread: the same slice can sit in many
// connections' send queues on many shards (fan-out without copying). Blocks come from the calling
// thread's block pool (engine/block_pool.h) and go back to it from whichever thread releases the
// last reference, so steady traffic does not touch the heap.
//
// Lifetime rule: the bytes stay valid and unchanged for as long as this object holds its
// reference. Bytes are written once, through a Builder, before the first share; nobody writes them
// afterwards.
//
// Crossing a mailbox: into_raw() gives up this reference as a trivially-copyable Raw that a
// MailboxMessage can carry; from_raw() on the receiving side adopts it. Exactly one from_raw() per
// into_raw().
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>

#include "base/assert.h"

namespace rmq::engine {

class SharedBytes {
 public:
  struct Raw {
    void* block = nullptr;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  // Fills a fresh block exactly once, then turns it into a SharedBytes.
  class Builder {
   public:
    explicit Builder(std::size_t capacity);
    Builder(Builder&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
    Builder& operator=(Builder&&) = delete;
    ~Builder();

    std::span<std::byte> writable();
    // Publishes the first `size` bytes (<= capacity) as an immutable slice.
    SharedBytes finish(std::size_t size) &&;

   private:
    void* block_;
  };

  SharedBytes() = default;
  SharedBytes(SharedBytes&& other) noexcept
      : block_(std::exchange(other.block_, nullptr)),
        offset_(other.offset_),
        size_(std::exchange(other.size_, 0)) {}
  SharedBytes& operator=(SharedBytes&& other) noexcept {
    if (this != &other) {
      release();
      block_ = std::exchange(other.block_, nullptr);
      offset_ = other.offset_;
      size_ = std::exchange(other.size_, 0);
    }
    return *this;
  }
  SharedBytes(const SharedBytes&) = delete;
  SharedBytes& operator=(const SharedBytes&) = delete;
  ~SharedBytes() { release(); }

  static SharedBytes copy_of(std::span<const std::byte> bytes);
  static SharedBytes copy_of(std::string_view text);

  // Another reference to the same bytes.
  SharedBytes share() const;
  // A reference to bytes [offset, offset + size) of this slice.
  SharedBytes slice(std::size_t offset, std::size_t size) const;
  // Drops this reference now (the object becomes empty).
  void release();

  const std::byte* data() const;
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const std::byte> bytes() const { return {data(), size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data()), size_}; }
  // References to the underlying block, including this one (0 when empty); for tests.
  std::uint32_t use_count() const;

  Raw into_raw() &&;
  static SharedBytes from_raw(Raw raw);

 private:
  SharedBytes(void* block, std::uint32_t offset, std::uint32_t size)
      : block_(block), offset_(offset), size_(size) {}

  void* block_ = nullptr;
  std::uint32_t offset_ = 0;
  std::uint32_t size_ = 0;
};

}  // namespace rmq::engine
