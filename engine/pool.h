// FreeList<T>: a per-shard cache of reusable objects, so steady-state traffic does not allocate.
// acquire() reuses a cached object or allocates one; give_back() resets it (T::reset()) and keeps
// up to `max_cached` of them. Single-threaded (one shard).
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace rmq::engine {

template <typename T>
class FreeList {
 public:
  explicit FreeList(std::size_t max_cached) : max_cached_(max_cached) {}

  std::unique_ptr<T> acquire() {
    if (cached_.empty()) return std::make_unique<T>();
    std::unique_ptr<T> object = std::move(cached_.back());
    cached_.pop_back();
    return object;
  }

  void give_back(std::unique_ptr<T> object) {
    if (object == nullptr) return;
    object->reset();
    if (cached_.size() < max_cached_ && object->reusable()) cached_.push_back(std::move(object));
  }

  std::size_t cached() const { return cached_.size(); }

 private:
  std::size_t max_cached_;
  std::vector<std::unique_ptr<T>> cached_;
};

}  // namespace rmq::engine
