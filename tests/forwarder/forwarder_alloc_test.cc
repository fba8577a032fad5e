// The forwarding path makes no heap allocation once output buffers have grown: a Forwarder runs
// in-process on its own thread, and the process-wide allocation count (bench/common's hook) is
// compared around a burst of PUBLISH packets from a plain socket to two subscribers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "bench/common/alloc_counter.h"
#include "bench/forwarder/forwarder.h"
#include "tests/common/loopback_client.h"

namespace rmq::forwarder {
namespace {

using Packet = std::vector<std::uint8_t>;

const Packet kConnect = {0x10, 13, 0, 4, 'M', 'Q', 'T', 'T', 4, 2, 0, 60, 0, 1, 'c'};
const Packet kSubscribeAll = {0x82, 6, 0, 1, 0, 1, '#', 0};
const Packet kSubscribeExact = {0x82, 6, 0, 1, 0, 1, 't', 0};
const Packet kPublish = {0x30, 7, 0, 1, 't', 'd', 'a', 't', 'a'};  // QoS 0 on "t"

// A blocking socket whose reads give up after 5 s, so a broken forwarder fails the test.
int connect_to(std::uint16_t port) {
  const int fd = test_support::connect_loopback(port, 5);
  EXPECT_GE(fd, 0);
  return fd;
}

void send_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    ASSERT_GT(n, 0);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Reads exactly `size` bytes into `buffer` (which is large enough).
void read_exactly(int fd, std::uint8_t* buffer, std::size_t size) {
  for (std::size_t got = 0; got < size;) {
    const ssize_t n = recv(fd, buffer + got, size - got, 0);
    ASSERT_GT(n, 0);
    got += static_cast<std::size_t>(n);
  }
}

// A connected client: CONNECT, CONNACK, then `subscribe` (if any) and its 5-byte SUBACK.
int client(std::uint16_t port, const Packet* subscribe) {
  const int fd = connect_to(port);
  std::uint8_t reply[8];
  send_all(fd, kConnect.data(), kConnect.size());
  read_exactly(fd, reply, 4);
  if (subscribe != nullptr) {
    send_all(fd, subscribe->data(), subscribe->size());
    read_exactly(fd, reply, 5);
  }
  return fd;
}

TEST(ForwarderAllocTest, ForwardingAllocatesNothingOnceBuffersHaveGrown) {
  // SIGTERM is blocked in every thread, so the forwarder's signalfd receives it below.
  sigset_t term;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &term, nullptr), 0);
  Forwarder forwarder;
  ASSERT_TRUE(forwarder.listen("127.0.0.1", 0).ok());
  const std::string address = forwarder.address();
  const auto port = static_cast<std::uint16_t>(std::stoi(address.substr(address.find(':') + 1)));
  Status run_status;
  std::thread loop([&] { run_status = forwarder.run(); });

  const int wildcard = client(port, &kSubscribeAll);
  const int exact = client(port, &kSubscribeExact);
  const int publisher = client(port, nullptr);
  constexpr int kBurst = 2000;
  Packet burst;
  for (int i = 0; i < kBurst; ++i) burst.insert(burst.end(), kPublish.begin(), kPublish.end());
  std::vector<std::uint8_t> received(burst.size());
  const auto round = [&] {
    send_all(publisher, burst.data(), burst.size());
    for (int sub : {wildcard, exact}) read_exactly(sub, received.data(), received.size());
  };
  round();  // warm-up: buffers grow to their working size
  round();
  const bench::AllocCounts before = bench::process_alloc_counts();
  for (int i = 0; i < 5; ++i) round();
  const bench::AllocCounts during = bench::process_alloc_counts() - before;
  EXPECT_EQ(received, burst);
  EXPECT_EQ(during.allocations, 0u) << during.bytes << " bytes";

  for (int fd : {wildcard, exact, publisher}) ::close(fd);
  kill(getpid(), SIGTERM);
  loop.join();
  EXPECT_TRUE(run_status.ok());
}

}  // namespace
}  // namespace rmq::forwarder
