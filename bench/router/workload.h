// A telemetry-shaped subscription workload for the router benchmarks and allocation test.
//
// Topics: site/{site}/device/{device}/{metric}, 250 devices per site, 4 metrics. A workload of N
// subscriptions spans about N topics (N / 1000 sites), and subscribes:
//   80%  exact topics                         site/12/device/34/temp
//   10%  one device, every metric             site/12/device/34/+
//    5%  one metric of every device of a site site/12/device/+/temp
//    4%  a whole site                         site/12/#
//    1%  shared workers per site              $share/workers/site/12/device/+/status
// Subscribers are spread over kShards shards, one session per subscription.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "router/topic_index.h"

namespace rmq::router::bench {

inline constexpr std::uint32_t kShards = 8;
inline constexpr int kDevicesPerSite = 250;
inline const char* const kMetrics[] = {"temp", "hum", "pressure", "status"};

struct Workload {
  std::vector<std::string> filters;
  std::vector<SubscriberRef> subscribers;  // one per filter
  std::vector<std::string> topics;         // what publishers send, in random order
  int sites = 1;
};

inline std::string topic_of(int site, int device, int metric) {
  return "site/" + std::to_string(site) + "/device/" + std::to_string(device) + "/" +
         kMetrics[metric];
}

// `exact_only`: every subscription is an exact topic (no wildcard filter at all).
inline Workload make_workload(std::size_t subscriptions, std::size_t topics, std::uint32_t seed,
                              bool exact_only = false) {
  Workload w;
  w.sites = static_cast<int>(std::max<std::size_t>(1, subscriptions / 1000));
  std::mt19937 rng(seed);
  auto site = [&] { return static_cast<int>(rng() % static_cast<unsigned>(w.sites)); };
  auto device = [&] { return static_cast<int>(rng() % kDevicesPerSite); };
  auto metric = [&] { return static_cast<int>(rng() % 4); };
  const std::size_t space = static_cast<std::size_t>(w.sites) * kDevicesPerSite * 4;
  for (std::size_t i = 0; i < subscriptions; ++i) {
    const unsigned kind = rng() % 100;
    std::string f;
    if (exact_only || kind < 80) {
      // Walk the topic space with a stride coprime to it: distinct exact topics.
      const std::size_t t = (i * 7919) % space;
      f = topic_of(static_cast<int>(t / (kDevicesPerSite * 4)),
                   static_cast<int>(t / 4 % kDevicesPerSite), static_cast<int>(t % 4));
    } else if (kind < 90) {
      f = "site/" + std::to_string(site()) + "/device/" + std::to_string(device()) + "/+";
    } else if (kind < 95) {
      f = "site/" + std::to_string(site()) + "/device/+/" + kMetrics[metric()];
    } else if (kind < 99) {
      f = "site/" + std::to_string(site()) + "/#";
    } else {
      f = "$share/workers/site/" + std::to_string(site()) + "/device/+/status";
    }
    w.filters.push_back(std::move(f));
    SubscriberRef s;
    s.shard = static_cast<ShardId>(i % kShards);
    s.session = static_cast<SessionHandle>(i);
    s.options.max_qos = static_cast<codec::QoS>(i % 2);
    w.subscribers.push_back(s);
  }
  for (std::size_t i = 0; i < topics; ++i) w.topics.push_back(topic_of(site(), device(), metric()));
  return w;
}

inline void subscribe_all(TopicIndex& index, const Workload& w) {
  for (std::size_t i = 0; i < w.filters.size(); ++i) {
    static_cast<void>(index.subscribe(w.filters[i], w.subscribers[i]));
  }
}

}  // namespace rmq::router::bench
