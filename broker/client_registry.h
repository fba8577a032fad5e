// ClientRegistry: which shard and session own each client identifier, shared by every shard
// (ARCHITECTURE.md section 2). A TBB concurrent_hash_map keyed by client identifier.
//
// Concurrency protocol.
// - Writers: claim() and release() may run on any shard at once; each holds the map's per-entry
//   write lock for the duration of one call, so changes to one client identifier are serialised.
// - What a reader sees: find() returns a snapshot that may be stale as soon as it returns. The
//   registry never moves a session: an owner learns that it lost its client identifier through
//   the takeover message the new owner posts to its mailbox, not from the registry.
// - Generations: every claim() carries a generation unique in the process (next_generation());
//   release() removes an entry only while it still holds the caller's generation, so a session
//   ending late never removes the entry of the session that took over from it.
// - Memory: an entry lives from claim() to release(); the map is freed with the registry.
#pragma once

#include <tbb/concurrent_hash_map.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rmq::broker {

struct RegistryEntry {
  std::uint32_t shard = 0;
  std::uint32_t session = 0;  // the owning shard's session handle
  std::uint64_t generation = 0;
  friend bool operator==(const RegistryEntry&, const RegistryEntry&) = default;
};

class ClientRegistry {
 public:
  std::uint64_t next_generation() { return generation_.fetch_add(1, std::memory_order_relaxed); }

  // Makes `entry` the owner of `client_id`; returns the previous owner, if any.
  std::optional<RegistryEntry> claim(std::string_view client_id, const RegistryEntry& entry);
  // Removes `client_id` if its owner still has `generation`; returns whether it did.
  bool release(std::string_view client_id, std::uint64_t generation);
  std::optional<RegistryEntry> find(std::string_view client_id) const;
  std::size_t size() const { return map_.size(); }

 private:
  using Map = tbb::concurrent_hash_map<std::string, RegistryEntry>;
  Map map_;
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace rmq::broker
