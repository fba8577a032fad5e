// ShardId: the number of a shard thread, 0..N-1. Shared vocabulary of the engine (which runs the
// shards), the router (which groups subscribers by shard) and the broker.
#pragma once

#include <cstdint>

namespace rmq {
using ShardId = std::uint32_t;
}  // namespace rmq
