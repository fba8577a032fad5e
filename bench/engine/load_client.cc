#include "load_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace rmq::bench {
namespace {

int connect_loopback(std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

struct Peer {
  int fd = -1;
  std::size_t owed = 0;  // bytes still to send
};

// Sends up to `peer.owed` bytes from `source`; false on a hard error.
bool send_owed(Peer& peer, const std::vector<char>& source) {
  while (peer.owed > 0) {
    const std::size_t n = std::min(peer.owed, source.size());
    const ssize_t sent = send(peer.fd, source.data(), n, MSG_NOSIGNAL);
    if (sent < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    peer.owed -= static_cast<std::size_t>(sent);
  }
  return true;
}

// Reads everything available; returns bytes read, or -1 on EOF/error.
long long drain(int fd, std::vector<char>& buffer) {
  long long total = 0;
  for (;;) {
    const ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      total += n;
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return total;
    return -1;
  }
}

void echo_thread(std::uint16_t port, std::size_t connections, std::size_t message_size,
                 std::size_t window, std::atomic<bool>& stop, std::atomic<std::uint64_t>& bytes) {
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<Peer> peers(connections);
  std::vector<char> source(64 * 1024, 'e');
  std::vector<char> buffer(256 * 1024);
  for (Peer& peer : peers) {
    peer.fd = connect_loopback(port);
    if (peer.fd < 0) continue;
    fcntl(peer.fd, F_SETFL, O_NONBLOCK);
    peer.owed = window * message_size;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET;
    event.data.ptr = &peer;
    epoll_ctl(epoll, EPOLL_CTL_ADD, peer.fd, &event);
  }
  epoll_event events[128];
  while (!stop.load(std::memory_order_relaxed)) {
    const int n = epoll_wait(epoll, events, 128, 50);
    std::uint64_t received = 0;
    for (int i = 0; i < n; ++i) {
      Peer& peer = *static_cast<Peer*>(events[i].data.ptr);
      const long long got = drain(peer.fd, buffer);
      if (got > 0) {
        received += static_cast<std::uint64_t>(got);
        peer.owed += static_cast<std::size_t>(got);
      }
      send_owed(peer, source);
    }
    bytes.fetch_add(received, std::memory_order_relaxed);
  }
  for (Peer& peer : peers) close(peer.fd);
  close(epoll);
}

template <typename Counter>
LoadResult measure_interval(Counter& counter, Duration warmup, Duration measure) {
  std::this_thread::sleep_for(warmup);
  const std::uint64_t before = counter.load();
  const auto begin = MonoClock::now();
  std::this_thread::sleep_for(measure);
  const std::uint64_t after = counter.load();
  LoadResult result;
  result.bytes = after - before;
  result.seconds = std::chrono::duration<double>(MonoClock::now() - begin).count();
  return result;
}

}  // namespace

LoadResult run_echo_load(std::uint16_t port, std::size_t connections, std::size_t threads,
                         std::size_t message_size, std::size_t window, Duration warmup,
                         Duration measure) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bytes{0};
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t share = connections / threads + (t < connections % threads ? 1 : 0);
    workers.emplace_back(echo_thread, port, share, message_size, window, std::ref(stop),
                         std::ref(bytes));
  }
  const LoadResult result = measure_interval(bytes, warmup, measure);
  stop = true;
  for (auto& w : workers) w.join();
  return result;
}

namespace {

void subscriber_thread(std::uint16_t port, std::size_t subscribers, std::atomic<bool>& stop,
                       std::atomic<std::uint64_t>& delivered) {
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<int> fds;
  for (std::size_t i = 0; i < subscribers; ++i) {
    const int fd = connect_loopback(port);
    if (fd < 0) continue;
    send(fd, "S", 1, MSG_NOSIGNAL);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event);
    fds.push_back(fd);
  }
  std::vector<char> buffer(256 * 1024);
  epoll_event events[128];
  while (!stop.load(std::memory_order_relaxed)) {
    const int n = epoll_wait(epoll, events, 128, 50);
    std::uint64_t got = 0;
    for (int i = 0; i < n; ++i) {
      const long long r = drain(events[i].data.fd, buffer);
      if (r > 0) got += static_cast<std::uint64_t>(r);
    }
    delivered.fetch_add(got, std::memory_order_relaxed);
  }
  for (int fd : fds) close(fd);
  close(epoll);
}

// Writes whole messages (all bytes alike) in 64 KiB batches until `stop`.
void publisher_thread(std::uint16_t port, std::size_t message_size, std::atomic<bool>& stop,
                      std::atomic<std::uint64_t>& published) {
  const int fd = connect_loopback(port);
  send(fd, "P", 1, MSG_NOSIGNAL);
  const std::size_t batch = std::max<std::size_t>(1, 64 * 1024 / message_size) * message_size;
  std::vector<char> messages(batch, 'm');
  while (!stop.load(std::memory_order_relaxed)) {
    std::size_t left = messages.size();
    while (left > 0) {
      const ssize_t n = send(fd, messages.data(), left, MSG_NOSIGNAL);
      if (n <= 0) {
        close(fd);
        return;
      }
      left -= static_cast<std::size_t>(n);
      published.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    }
  }
  close(fd);
}

}  // namespace

RelayResult run_relay_load(std::uint16_t port, std::size_t subscribers, std::size_t message_size,
                           Duration warmup, Duration measure, bool (*subscribed)(void*),
                           void* context) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> delivered{0};
  std::atomic<std::uint64_t> published{0};
  std::thread reader(subscriber_thread, port, subscribers, std::ref(stop), std::ref(delivered));
  while (!subscribed(context)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread writer(publisher_thread, port, message_size, std::ref(stop), std::ref(published));
  std::this_thread::sleep_for(warmup);
  const std::uint64_t published_before = published.load();
  const std::uint64_t delivered_before = delivered.load();
  const auto begin = MonoClock::now();
  std::this_thread::sleep_for(measure);
  RelayResult result;
  result.published = published.load() - published_before;
  result.delivered = delivered.load() - delivered_before;
  result.seconds = std::chrono::duration<double>(MonoClock::now() - begin).count();
  stop = true;
  writer.join();
  reader.join();
  return result;
}

namespace {

struct BurstPeer {
  int fd = -1;
  std::size_t left = 0;  // bytes of the current burst still to read
};

void burst_thread(std::uint16_t port, std::size_t connections, std::size_t burst_bytes,
                  std::atomic<bool>& stop, std::atomic<std::uint64_t>& bytes,
                  std::atomic<std::uint64_t>& bursts) {
  const int epoll = epoll_create1(EPOLL_CLOEXEC);
  std::vector<BurstPeer> peers(connections);
  std::vector<char> buffer(256 * 1024);
  for (BurstPeer& peer : peers) {
    peer.fd = connect_loopback(port);
    if (peer.fd < 0) continue;
    fcntl(peer.fd, F_SETFL, O_NONBLOCK);
    peer.left = burst_bytes;
    send(peer.fd, "B", 1, MSG_NOSIGNAL);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &peer;
    epoll_ctl(epoll, EPOLL_CTL_ADD, peer.fd, &event);
  }
  epoll_event events[128];
  while (!stop.load(std::memory_order_relaxed)) {
    const int n = epoll_wait(epoll, events, 128, 50);
    for (int i = 0; i < n; ++i) {
      BurstPeer& peer = *static_cast<BurstPeer*>(events[i].data.ptr);
      for (;;) {
        const ssize_t got = recv(peer.fd, buffer.data(), std::min(buffer.size(), peer.left), 0);
        if (got <= 0) break;
        bytes.fetch_add(static_cast<std::uint64_t>(got), std::memory_order_relaxed);
        peer.left -= static_cast<std::size_t>(got);
        if (peer.left == 0) {
          bursts.fetch_add(1, std::memory_order_relaxed);
          peer.left = burst_bytes;
          send(peer.fd, "B", 1, MSG_NOSIGNAL);
        }
      }
    }
  }
  for (BurstPeer& peer : peers) close(peer.fd);
  close(epoll);
}

}  // namespace

BurstResult run_burst_load(std::uint16_t port, std::size_t connections, std::size_t burst_bytes,
                           Duration warmup, Duration measure) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> bursts{0};
  std::thread reader(burst_thread, port, connections, burst_bytes, std::ref(stop), std::ref(bytes),
                     std::ref(bursts));
  std::this_thread::sleep_for(warmup);
  const std::uint64_t bursts_before = bursts.load();
  BurstResult result;
  result.load = measure_interval(bytes, Duration::zero(), measure);
  result.bursts = bursts.load() - bursts_before;
  stop = true;
  reader.join();
  return result;
}

}  // namespace rmq::bench
