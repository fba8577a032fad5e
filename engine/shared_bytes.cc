#include "engine/shared_bytes.h"

#include <cstring>
#include <new>

#include "engine/block_pool.h"

namespace rmq::engine {
namespace {

struct Block {
  std::atomic<std::uint32_t> refs;
  std::uint32_t capacity;

  std::byte* bytes() { return reinterpret_cast<std::byte*>(this + 1); }
};
static_assert(sizeof(Block) == 8, "block header is 8 bytes");

Block* as_block(void* p) { return static_cast<Block*>(p); }

void* allocate_block(std::size_t capacity) {
  RMQ_ASSERT(capacity <= UINT32_MAX);
  void* memory = pool_allocate(sizeof(Block) + capacity);
  Block* block = new (memory) Block{};
  block->refs.store(1, std::memory_order_relaxed);
  block->capacity = static_cast<std::uint32_t>(capacity);
  return block;
}

void unref_block(void* p) {
  Block* block = as_block(p);
  if (block->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    block->~Block();
    pool_free(p);
  }
}

}  // namespace

SharedBytes::Builder::Builder(std::size_t capacity) : block_(allocate_block(capacity)) {}

SharedBytes::Builder::~Builder() {
  if (block_ != nullptr) unref_block(block_);
}

std::span<std::byte> SharedBytes::Builder::writable() {
  RMQ_DCHECK(block_ != nullptr);
  return {as_block(block_)->bytes(), as_block(block_)->capacity};
}

SharedBytes SharedBytes::Builder::finish(std::size_t size) && {
  RMQ_ASSERT(block_ != nullptr && size <= as_block(block_)->capacity);
  return SharedBytes(std::exchange(block_, nullptr), 0, static_cast<std::uint32_t>(size));
}

SharedBytes SharedBytes::copy_of(std::span<const std::byte> bytes) {
  Builder builder(bytes.size());
  if (!bytes.empty()) std::memcpy(builder.writable().data(), bytes.data(), bytes.size());
  return std::move(builder).finish(bytes.size());
}

SharedBytes SharedBytes::copy_of(std::string_view text) {
  return copy_of(
      std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

SharedBytes SharedBytes::share() const {
  if (block_ == nullptr) return SharedBytes();
  as_block(block_)->refs.fetch_add(1, std::memory_order_relaxed);
  return SharedBytes(block_, offset_, size_);
}

SharedBytes SharedBytes::slice(std::size_t offset, std::size_t size) const {
  RMQ_ASSERT(offset <= size_ && size <= size_ - offset);
  if (block_ == nullptr) return SharedBytes();
  as_block(block_)->refs.fetch_add(1, std::memory_order_relaxed);
  return SharedBytes(block_, offset_ + static_cast<std::uint32_t>(offset),
                     static_cast<std::uint32_t>(size));
}

void SharedBytes::release() {
  if (block_ != nullptr) unref_block(std::exchange(block_, nullptr));
  size_ = 0;
  offset_ = 0;
}

const std::byte* SharedBytes::data() const {
  return block_ == nullptr ? nullptr : as_block(block_)->bytes() + offset_;
}

std::uint32_t SharedBytes::use_count() const {
  return block_ == nullptr ? 0 : as_block(block_)->refs.load(std::memory_order_relaxed);
}

SharedBytes::Raw SharedBytes::into_raw() && {
  Raw raw{std::exchange(block_, nullptr), offset_, size_};
  size_ = 0;
  offset_ = 0;
  return raw;
}

SharedBytes SharedBytes::from_raw(Raw raw) { return SharedBytes(raw.block, raw.offset, raw.size); }

}  // namespace rmq::engine
