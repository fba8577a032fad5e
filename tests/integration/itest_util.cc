#include "itest_util.h"

#include <gtest/gtest.h>

namespace rmq::itest {

std::unique_ptr<MosqClient> connect_client(const BrokerProcess& broker, MosqConfig config) {
  auto client = std::make_unique<MosqClient>(config);
  const bool ok = client->connect(broker.port());
  EXPECT_TRUE(ok) << "client " << config.id << " CONNACK " << client->connack_code();
  return ok ? std::move(client) : nullptr;
}

std::unique_ptr<MosqClient> connect_on_other_shard(const BrokerProcess& broker, MosqConfig config,
                                                   const std::string& prefix, int avoid) {
  for (int attempt = 0; attempt < 40; ++attempt) {
    config.id = prefix + "-" + std::to_string(attempt);
    auto client = std::make_unique<MosqClient>(config);
    if (!client->connect(broker.port())) continue;
    const std::optional<int> shard = broker.shard_of(config.id);
    if (shard && *shard != avoid) return client;
    client->disconnect();
  }
  ADD_FAILURE() << "no connection landed on a shard other than " << avoid;
  return nullptr;
}

}  // namespace rmq::itest
