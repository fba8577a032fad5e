// Helpers shared by the libmosquitto integration tests.
#pragma once

#include <memory>
#include <string>

#include "broker_process.h"
#include "mosq_client.h"

namespace rmq::itest {

// A connected client; fails the test (and returns null) when it cannot connect.
std::unique_ptr<MosqClient> connect_client(const BrokerProcess& broker, MosqConfig config);

// Connects clients with ids `<prefix>-<n>` until one lands on a shard other than `avoid`, as the
// broker's log says (the kernel picks the shard). Null after 40 attempts.
std::unique_ptr<MosqClient> connect_on_other_shard(const BrokerProcess& broker, MosqConfig config,
                                                   const std::string& prefix, int avoid);

}  // namespace rmq::itest
