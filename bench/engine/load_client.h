// Loopback load generators for the engine benchmarks: plain sockets driven by epoll threads.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/clock.h"

namespace rmq::bench {

struct LoadResult {
  std::uint64_t bytes = 0;  // received by the clients during the measured interval
  double seconds = 0;
};

// `connections` clients over `threads` epoll threads; each keeps `window` messages of
// `message_size` bytes in flight against an echo server and sends one more for each echoed one.
LoadResult run_echo_load(std::uint16_t port, std::size_t connections, std::size_t threads,
                         std::size_t message_size, std::size_t window, Duration warmup,
                         Duration measure);

struct RelayResult {
  std::uint64_t published = 0;  // bytes the publisher wrote during the measured interval
  std::uint64_t delivered = 0;  // bytes all subscribers read during the measured interval
  double seconds = 0;
};

// One publisher writing `message_size`-byte messages as fast as it can, `subscribers` readers.
// `subscribed` is called until it returns true before the publisher starts.
RelayResult run_relay_load(std::uint16_t port, std::size_t subscribers, std::size_t message_size,
                           Duration warmup, Duration measure, bool (*subscribed)(void*),
                           void* context);

// `connections` clients on one epoll thread against a BurstService: each asks for a burst, reads
// `burst_bytes`, and asks again. LoadResult::bytes counts what they read while measuring.
struct BurstResult {
  LoadResult load;
  std::uint64_t bursts = 0;  // bursts completed while measuring
};
BurstResult run_burst_load(std::uint16_t port, std::size_t connections, std::size_t burst_bytes,
                           Duration warmup, Duration measure);

}  // namespace rmq::bench
