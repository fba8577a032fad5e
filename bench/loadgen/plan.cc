#include "bench/loadgen/plan.h"

#include <algorithm>

namespace rmq::loadgen {
namespace {

constexpr std::uint32_t kSubscriberIn = 256 * 1024;
constexpr std::uint32_t kSubscriberOut = 16 * 1024;
constexpr std::uint32_t kPublisherIn = 16 * 1024;
constexpr std::uint32_t kPublisherOut = 64 * 1024;
constexpr std::uint32_t kIdleIn = 512;
constexpr std::uint32_t kIdleOut = 256;
constexpr std::uint32_t kHeaderSlack = 64;  // fixed header, packet id, properties

codec::ProtocolVersion version_of(const Options& o) {
  return o.mqtt_version == 5 ? codec::ProtocolVersion::kV5 : codec::ProtocolVersion::kV311;
}

Client make_client(const Options& o, Role role, std::uint32_t index, std::uint32_t in,
                   std::uint32_t out) {
  static constexpr const char* kTag[] = {"s", "p", "i"};
  Client c;
  c.role = role;
  c.index = index;
  c.in = ByteBuffer(in);
  c.out = ByteBuffer(out);
  c.client_id = o.client_prefix + kTag[static_cast<int>(role)] + std::to_string(index);
  return c;
}

bool make_publisher(const Options& o, std::uint32_t p, Client* c, std::string* error) {
  auto pub = std::make_unique<PublisherState>();
  const std::string topic = o.topic + "/" + std::to_string(p);
  const auto qos = static_cast<codec::QoS>(o.qos);
  if (!pub->publish.build(version_of(o), topic, qos, o.payload)) {
    *error = "cannot encode a PUBLISH of " + std::to_string(o.payload) + " bytes";
    return false;
  }
  if (qos != codec::QoS::kAtMostOnce) {
    pub->ids.reset(new IdState[65536]());
    pub->max_inflight = o.inflight != 0 ? o.inflight : 65535;
  }
  if (o.rate > 0) {
    // Spread the publishers evenly over one message interval.
    pub->schedule_offset_ns =
        static_cast<std::uint64_t>(1e9 / o.rate * double(p) / double(o.publishers));
  }
  c->out = ByteBuffer(std::max(kPublisherOut, 2 * pub->publish.size()));
  c->pub = std::move(pub);
  return true;
}

}  // namespace

DeliveryShape shape_of(const Options& o) {
  switch (active_scenario(o)) {
    case Scenario::kPairs: return DeliveryShape::kOneToOne;
    case Scenario::kShared: return DeliveryShape::kSharedGroup;
    default: return DeliveryShape::kAllToAll;
  }
}

Scenario active_scenario(const Options& o) {
  return o.scenario == Scenario::kComposite ? o.load : o.scenario;
}

std::uint32_t idle_count(const Options& o) {
  const bool only_idle = o.scenario == Scenario::kConn || o.scenario == Scenario::kReconnect;
  return only_idle ? o.connections : o.idle;
}

std::string subscription_filter(const Options& o, std::uint32_t subscriber) {
  switch (active_scenario(o)) {
    case Scenario::kFanout: return o.topic + "/0";
    case Scenario::kPairs: return o.topic + "/" + std::to_string(subscriber);
    case Scenario::kShared: return "$share/" + o.group + "/" + o.topic + "/+";
    default: return o.topic + "/#";
  }
}

bool build_clients(const Options& o, const DeliveryTable& table,
                   std::vector<std::vector<Client>>* per_worker, std::string* error) {
  per_worker->clear();
  per_worker->resize(o.threads);
  std::uint64_t ordinal = 0;
  const auto deal = [&](Client c) { (*per_worker)[ordinal++ % o.threads].push_back(std::move(c)); };
  const std::uint32_t sub_in =
      std::max<std::uint32_t>(kSubscriberIn, 2 * (o.payload + o.topic.size() + kHeaderSlack));
  for (std::uint32_t s = 0; s < o.subscribers; ++s) {
    Client c = make_client(o, Role::kSubscriber, s, sub_in, kSubscriberOut);
    c.filter = subscription_filter(o, s);
    c.receiver = table.receiver_of_subscriber(s);
    deal(std::move(c));
  }
  for (std::uint32_t p = 0; p < o.publishers; ++p) {
    Client c = make_client(o, Role::kPublisher, p, kPublisherIn, kPublisherOut);
    if (!make_publisher(o, p, &c, error)) return false;
    deal(std::move(c));
  }
  const std::uint32_t idle = idle_count(o);
  for (std::uint32_t i = 0; i < idle; ++i) deal(make_client(o, Role::kIdle, i, kIdleIn, kIdleOut));
  return true;
}

}  // namespace rmq::loadgen
