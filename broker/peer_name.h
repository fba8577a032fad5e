// PeerName: a client's network address kept in binary (20 bytes, no heap) and written out only
// when a log line asks for it. A std::string of "203.0.113.7:51234" would cost 32 bytes inline
// plus a heap block.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "engine/types.h"

namespace rmq::broker {

class PeerName {
 public:
  PeerName() = default;
  explicit PeerName(const engine::PeerAddress& peer) {
    const sockaddr_storage& ss = peer.storage;
    family_ = ss.ss_family;
    port_ = peer.port();
    if (family_ == AF_INET) {
      std::memcpy(addr_.data(), &reinterpret_cast<const sockaddr_in*>(&ss)->sin_addr, 4);
    } else if (family_ == AF_INET6) {
      std::memcpy(addr_.data(), &reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_addr, 16);
    }
  }

  // "1.2.3.4:5", "[::1]:5" or "unknown". The text lives in one of a few per-thread buffers used
  // in turn: valid until the same thread has called c_str() kRing more times (enough for the
  // arguments of one log line).
  const char* c_str() const {
    static constexpr int kRing = 4;
    thread_local std::array<std::array<char, 64>, kRing> ring;
    thread_local int next = 0;
    char* out = ring[static_cast<std::size_t>(next)].data();
    next = (next + 1) % kRing;
    char host[INET6_ADDRSTRLEN] = "?";
    if (family_ == AF_INET || family_ == AF_INET6) {
      inet_ntop(family_, addr_.data(), host, sizeof(host));
      std::snprintf(out, 64, family_ == AF_INET ? "%s:%u" : "[%s]:%u", host, unsigned{port_});
    } else {
      std::snprintf(out, 64, "unknown");
    }
    return out;
  }

 private:
  std::array<std::uint8_t, 16> addr_{};
  std::uint16_t port_ = 0;
  std::uint8_t family_ = AF_UNSPEC;
};
static_assert(sizeof(PeerName) <= 20);

}  // namespace rmq::broker
