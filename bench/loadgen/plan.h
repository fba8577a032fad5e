// The clients of a scenario, built at setup and dealt round robin to the worker threads.
//
// Client order: subscribers, then publishers, then idle connections, so subscriptions are in
// place before publishers connect. Topics: publisher p publishes on `<topic>/<p>`; subscribers
// use `<topic>/#` (fanin), `<topic>/0` (fanout), `<topic>/<i>` (pairs) or
// `$share/<group>/<topic>/+` (shared).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/loadgen/client.h"
#include "bench/loadgen/delivery_table.h"
#include "bench/loadgen/options.h"

namespace rmq::loadgen {

DeliveryShape shape_of(const Options& o);

// The scenario the publishers and subscribers follow (composite: its --load).
Scenario active_scenario(const Options& o);

// Idle connections: --connections for conn and reconnect, --idle otherwise.
std::uint32_t idle_count(const Options& o);

std::string subscription_filter(const Options& o, std::uint32_t subscriber);

// Clients per worker; false with `error` set if a publisher's packet cannot be encoded.
bool build_clients(const Options& o, const DeliveryTable& table,
                   std::vector<std::vector<Client>>* per_worker, std::string* error);

}  // namespace rmq::loadgen
