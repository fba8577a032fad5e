// Listening sockets: one per shard per listen address, all bound to the same port with
// SO_REUSEPORT so the kernel spreads incoming connections over the shards.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "engine/config.h"

namespace rmq::engine {

// Listeners for one address: fds[i] belongs to shard i; `port` is the bound port (the ephemeral
// port the first bind chose when the address asked for port 0).
struct ListenerSet {
  std::vector<int> fds;
  std::uint16_t port = 0;
};

// Opens `shards` listeners on `address`. On failure nothing stays open.
Result<ListenerSet> open_listeners(const ListenAddress& address, std::uint32_t shards, int backlog);

void close_listeners(ListenerSet& set);

}  // namespace rmq::engine
