// The benchmark payload stamp: the first 16 bytes of every PUBLISH payload the load generator
// sends are the publisher's sequence number (8 bytes) and the send time (8 bytes, CLOCK_MONOTONIC
// nanoseconds), both little-endian; the rest is padding up to --payload bytes. The topic names the
// publisher, so the stamp carries nothing else. Publisher and consumer run on one machine, so the
// two clocks are the same clock.
#pragma once

#include <time.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace rmq::loadgen {

inline constexpr std::size_t kStampSize = 16;

struct Stamp {
  std::uint64_t sequence = 0;
  std::uint64_t sent_ns = 0;
  friend bool operator==(const Stamp&, const Stamp&) = default;
};

// CLOCK_MONOTONIC in nanoseconds.
inline std::uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

namespace detail {
inline void put_le64(std::uint8_t* out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint64_t get_le64(const std::uint8_t* in) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | in[i];
  return v;
}
}  // namespace detail

// Writes `stamp` into the first kStampSize bytes of `payload`; false if it is shorter.
inline bool write_stamp(std::span<std::uint8_t> payload, const Stamp& stamp) {
  if (payload.size() < kStampSize) return false;
  detail::put_le64(payload.data(), stamp.sequence);
  detail::put_le64(payload.data() + 8, stamp.sent_ns);
  return true;
}

// The stamp at the front of `payload`, or nullopt if it is too short to carry one.
inline std::optional<Stamp> read_stamp(std::span<const std::uint8_t> payload) {
  if (payload.size() < kStampSize) return std::nullopt;
  return Stamp{detail::get_le64(payload.data()), detail::get_le64(payload.data() + 8)};
}

// The publisher index a topic `<prefix>/<index>` names, or nullopt when `topic` does not start
// with `prefix` + '/' or the rest is not a decimal number.
inline std::optional<std::uint32_t> publisher_of_topic(std::string_view topic,
                                                       std::string_view prefix) {
  if (topic.size() <= prefix.size() + 1 || topic.substr(0, prefix.size()) != prefix ||
      topic[prefix.size()] != '/') {
    return std::nullopt;
  }
  const std::string_view digits = topic.substr(prefix.size() + 1);
  if (digits.size() > 9) return std::nullopt;
  std::uint32_t index = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<std::uint32_t>(c - '0');
  }
  return index;
}

}  // namespace rmq::loadgen
