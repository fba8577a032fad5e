#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "broker/client_registry.h"

namespace rmq::broker {
namespace {

TEST(ClientRegistry, ClaimReturnsThePreviousOwner) {
  ClientRegistry r;
  const auto g1 = r.next_generation();
  const auto g2 = r.next_generation();
  EXPECT_NE(g1, g2);
  EXPECT_FALSE(r.claim("c", RegistryEntry{0, 1, g1}).has_value());
  const auto previous = r.claim("c", RegistryEntry{1, 5, g2});
  ASSERT_TRUE(previous.has_value());
  EXPECT_EQ(*previous, (RegistryEntry{0, 1, g1}));
  EXPECT_EQ(*r.find("c"), (RegistryEntry{1, 5, g2}));
}

TEST(ClientRegistry, ReleaseOnlyByTheCurrentGeneration) {
  ClientRegistry r;
  r.claim("c", RegistryEntry{0, 1, 10});
  r.claim("c", RegistryEntry{1, 2, 11});
  EXPECT_FALSE(r.release("c", 10));  // the old owner ending late
  EXPECT_TRUE(r.find("c").has_value());
  EXPECT_TRUE(r.release("c", 11));
  EXPECT_FALSE(r.find("c").has_value());
  EXPECT_FALSE(r.release("missing", 1));
}

TEST(ClientRegistry, ConcurrentClaimsSeeEveryPreviousOwnerOnce) {
  ClientRegistry r;
  constexpr int kThreads = 4;
  constexpr int kClaims = 2000;
  std::vector<std::thread> threads;
  std::atomic<int> displaced{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kClaims; ++i) {
        if (r.claim("same", RegistryEntry{static_cast<std::uint32_t>(t), 0, r.next_generation()})) {
          displaced.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(displaced.load(), kThreads * kClaims - 1);
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace rmq::broker
