// Single-writer statistics: one thread updates, any thread may read (relaxed; a reader sees some
// recent value, never a torn one). Updates are a plain load + store, not a locked
// read-modify-write, so counting on the hot path costs about as much as incrementing a plain
// integer.
#pragma once

#include <atomic>
#include <cstdint>

namespace rmq {

// A monotonically increasing count.
class Counter {
 public:
  void add(std::uint64_t n = 1) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A level that goes up and down (bytes queued, connections open).
class Gauge {
 public:
  void add(std::int64_t n) {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(std::int64_t n) { add(-n); }
  void set(std::int64_t n) { value_.store(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

}  // namespace rmq
