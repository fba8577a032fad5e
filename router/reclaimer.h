// Reclaimer: quiescent-state-based reclamation (QSBR) of memory that lock-free readers may still
// be looking at.
//
// Protocol.
// - Readers are numbered 0..readers-1 (a shard uses its ShardId). Each reader id is used by one
//   thread at a time. A reader is offline until its first quiescent() call.
// - quiescent(r) declares "reader r holds no pointer into the shared structure" and puts it
//   online. A shard calls it once per loop turn, between whole operations (never inside a match).
// - offline(r) declares the same and that r will not read again until its next quiescent(); a
//   thread that stops matching (shutdown, a long blocking wait) goes offline so that it does not
//   hold reclamation back.
// - Writers unlink an object first (readers can no longer reach it from the structure), then
//   retire() it. The object is freed by reclaim() once every reader that was online when it was
//   retired has passed a quiescent point (or gone offline) since.
// - retire() and reclaim() may be called from any thread; they serialise on an internal mutex that
//   readers never take. Deleters run under that mutex and must not call retire().
// Memory stays bounded as long as every online reader keeps passing quiescent points.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "router/types.h"

namespace rmq::router {

class Reclaimer {
 public:
  using Deleter = void (*)(void*);

  explicit Reclaimer(std::uint32_t readers);
  // Frees everything still retired. No reader may be inside a read section.
  ~Reclaimer();
  Reclaimer(const Reclaimer&) = delete;
  Reclaimer& operator=(const Reclaimer&) = delete;

  std::uint32_t readers() const { return reader_count_; }

  // Reader side: wait-free, no allocation.
  void quiescent(ReaderId reader);
  void offline(ReaderId reader);
  bool online(ReaderId reader) const;

  // Writer side. `object` must already be unreachable for readers that start after this call.
  void retire(void* object, Deleter deleter);
  template <typename T>
  void retire(T* object) {
    if (object != nullptr)
      retire(const_cast<void*>(static_cast<const void*>(object)), &delete_as<T>);
  }
  // Frees every retired object no reader can still hold; returns how many were freed.
  std::size_t reclaim();
  // Objects retired and not freed yet.
  std::size_t pending() const { return pending_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::uint64_t kOffline = 0;

  struct alignas(64) ReaderEpoch {
    std::atomic<std::uint64_t> epoch{kOffline};
  };
  struct Retired {
    void* object;
    Deleter deleter;
    std::uint64_t epoch;  // freed once every online reader has announced a larger epoch
  };

  template <typename T>
  static void delete_as(void* object) {
    delete static_cast<T*>(object);
  }
  std::uint64_t oldest_reader_epoch();

  const std::uint32_t reader_count_;
  std::unique_ptr<ReaderEpoch[]> readers_;
  alignas(64) std::atomic<std::uint64_t> global_epoch_{1};
  std::atomic<std::size_t> pending_{0};
  std::mutex mutex_;              // guards retired_
  std::vector<Retired> retired_;  // in increasing epoch order
};

}  // namespace rmq::router
