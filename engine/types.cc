#include "engine/types.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace rmq::engine {

const char* to_string(CloseReason reason) {
  switch (reason) {
    case CloseReason::kPeerClosed: return "peer closed";
    case CloseReason::kPeerReset: return "peer reset";
    case CloseReason::kIoError: return "I/O error";
    case CloseReason::kLocalClose: return "closed locally";
    case CloseReason::kShutdown: return "shutdown";
    case CloseReason::kFlushTimeout: return "flush timeout";
    case CloseReason::kRecvOverflow: return "receive overflow";
    case CloseReason::kTlsError: return "TLS error";
  }
  return "unknown";
}

std::uint16_t PeerAddress::port() const {
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  }
  if (storage.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

std::string PeerAddress::to_string() const {
  char host[INET6_ADDRSTRLEN] = "?";
  if (storage.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, host,
              sizeof(host));
    return std::string(host) + ":" + std::to_string(port());
  }
  if (storage.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, host,
              sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(port());
  }
  return "unknown";
}

}  // namespace rmq::engine
