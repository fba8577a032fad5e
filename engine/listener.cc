#include "engine/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

namespace rmq::engine {
namespace {

// Parses `host` into `storage` with `port`; false if it is not an IP literal.
bool make_address(const ListenAddress& address, std::uint16_t port, sockaddr_storage& storage,
                  socklen_t& length) {
  storage = {};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  if (inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    length = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    length = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

Result<int> open_one(const sockaddr_storage& storage, socklen_t length, int backlog) {
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Errno(StatusCode::kIoError, "socket() failed", errno);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    const int err = errno;
    close(fd);
    return Status::Errno(StatusCode::kIoError, "setsockopt(SO_REUSEPORT) failed", err);
  }
  if (storage.ss_family == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    const int err = errno;
    close(fd);
    return Status::Errno(StatusCode::kIoError, "bind() failed on a listen address", err);
  }
  if (listen(fd, backlog) != 0) {
    const int err = errno;
    close(fd);
    return Status::Errno(StatusCode::kIoError, "listen() failed", err);
  }
  return fd;
}

std::uint16_t bound_port(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return 0;
  if (storage.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
}

// True when a socket without SO_REUSEPORT can bind the address: nobody else listens there. Our
// shards share a port through SO_REUSEPORT, which would also let a second process (same user)
// silently take half of the connections; this check refuses that start instead.
bool address_free(const sockaddr_storage& storage, socklen_t length) {
  const int fd = socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell; the real bind reports any error
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));  // TIME_WAIT is no owner
  if (storage.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  const bool free =
      bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) == 0 || errno != EADDRINUSE;
  close(fd);
  return free;
}

}  // namespace

Result<ListenerSet> open_listeners(const ListenAddress& address, std::uint32_t shards,
                                   int backlog) {
  ListenerSet set;
  set.port = address.port;
  if (set.port != 0) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    // A process killed a moment ago may hold its listening socket a few ms longer (its ring's
    // teardown is deferred): wait up to a second before calling the address taken.
    bool free = !make_address(address, set.port, storage, length);
    for (int attempt = 0; !free && attempt < 100; ++attempt) {
      free = address_free(storage, length);
      if (!free) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!free) {
      return Status::Errno(StatusCode::kIoError, "listen address already in use", EADDRINUSE);
    }
  }
  for (std::uint32_t i = 0; i < shards; ++i) {
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (!make_address(address, set.port, storage, length)) {
      return Status(StatusCode::kInvalidArgument, "listen host is not an IPv4 or IPv6 literal");
    }
    Result<int> fd = open_one(storage, length, backlog);
    if (!fd.ok()) {
      close_listeners(set);
      return fd.status();
    }
    set.fds.push_back(*fd);
    if (set.port == 0) set.port = bound_port(*fd);
  }
  return set;
}

void close_listeners(ListenerSet& set) {
  for (int fd : set.fds) {
    if (fd >= 0) close(fd);
  }
  set.fds.clear();
}

}  // namespace rmq::engine
