// ClientRegistry: which shard and session own each client identifier, shared by every shard
// (ARCHITECTURE.md section 2).
//
// Layout: kStripes independent open-addressing tables (linear probing, backward-shift deletion, no
// tombstones), each behind its own mutex; an identifier's hash picks its stripe. A slot is the
// identifier (the session's own SharedString: a shared reference, no copy of the characters) and
// the entry: 24 bytes, about 32 per identifier at the tables' load. A node-based concurrent map
// took about 75 (a node, a bucket and a key copy).
//
// Concurrency protocol.
// - Writers: claim() and release() may run on any shard at once; each holds its stripe's mutex
//   for the duration of one call, so changes to one client identifier are serialised.
// - What a reader sees: find() returns a snapshot that may be stale as soon as it returns. The
//   registry never moves a session: an owner learns that it lost its client identifier through
//   the takeover message the new owner posts to its mailbox, not from the registry.
// - Generations: every claim() carries a generation unique in the process (next_generation());
//   release() removes an entry only while it still holds the caller's generation, so a session
//   ending late never removes the entry of the session that took over from it.
// - Memory: an entry lives from claim() to release(); a stripe's table grows (never shrinks)
//   under its mutex and is freed with the registry.
// Calls happen on CONNECT and at the end of sessions, never per message.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "broker/shared_string.h"

namespace rmq::broker {

struct RegistryEntry {
  std::uint32_t shard = 0;
  std::uint32_t session = 0;  // the owning shard's session handle
  std::uint64_t generation = 0;
  friend bool operator==(const RegistryEntry&, const RegistryEntry&) = default;
};

class ClientRegistry {
 public:
  static constexpr std::size_t kStripes = 64;

  std::uint64_t next_generation() { return generation_.fetch_add(1, std::memory_order_relaxed); }
  // Generations from now on are at least `first` (after recovering sessions of an earlier run).
  void advance_generation(std::uint64_t first) {
    std::uint64_t current = generation_.load(std::memory_order_relaxed);
    while (current < first &&
           !generation_.compare_exchange_weak(current, first, std::memory_order_relaxed)) {
    }
  }

  // Makes `entry` the owner of `client_id`; returns the previous owner, if any.
  std::optional<RegistryEntry> claim(const SharedString& client_id, const RegistryEntry& entry);
  // Removes `client_id` if its owner still has `generation`; returns whether it did.
  bool release(std::string_view client_id, std::uint64_t generation);
  std::optional<RegistryEntry> find(std::string_view client_id) const;
  // For identifiers not held in a SharedString yet (copies them).
  std::optional<RegistryEntry> claim(std::string_view client_id, const RegistryEntry& entry) {
    return claim(SharedString(client_id), entry);
  }
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Slot {
    SharedString key;  // empty: a free slot (client identifiers in the registry are never empty)
    RegistryEntry entry;
  };

  // One stripe's table; every member function runs under the stripe's mutex.
  class Table {
   public:
    Slot* find(std::string_view key, std::size_t hash);
    void insert(const SharedString& key, const RegistryEntry& entry, std::size_t hash);
    void erase(Slot* slot);

   private:
    std::size_t home(std::size_t hash) const { return hash & (slots_.size() - 1); }
    void grow();

    std::vector<Slot> slots_;  // size: 0 or a power of two
    std::size_t used_ = 0;
  };

  struct alignas(64) Stripe {
    mutable std::mutex mutex;
    Table table;
  };

  static std::size_t hash_of(std::string_view key) { return std::hash<std::string_view>()(key); }
  Stripe& stripe_for(std::size_t hash) const { return stripes_[(hash >> 32) % kStripes]; }

  mutable std::array<Stripe, kStripes> stripes_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace rmq::broker
