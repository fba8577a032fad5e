// A blocking TCP client socket on 127.0.0.1 for tests that speak to an in-process server with raw
// bytes. Header-only; allocates nothing (tests that count allocations use it after warm-up).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

namespace rmq::test_support {

// Connects to 127.0.0.1:`port` with TCP_NODELAY and, when `recv_timeout_s` > 0, a receive timeout
// (a server that stops answering fails the test instead of hanging it). Returns the descriptor,
// or -1 with errno set.
inline int connect_loopback(std::uint16_t port, int recv_timeout_s = 0) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (recv_timeout_s > 0) {
    const timeval timeout{recv_timeout_s, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  return fd;
}

}  // namespace rmq::test_support
