// $SYS/broker/... topics, published as retained QoS 0 messages by shard 0 every --sys-interval
// seconds, named like Mosquitto's so existing dashboards find them.
#include <chrono>
#include <cstdio>

#include "broker/broker.h"

namespace rmq::broker {

void Broker::publish_sys() {
  const StatsTotals t = shared_.totals();
  const auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(shard_.now() - shared_.started_at());
  char text[64];
  std::snprintf(text, sizeof(text), "%lld seconds", static_cast<long long>(uptime.count()));
  publish_sys_value("$SYS/broker/uptime", text);
  publish_sys_value("$SYS/broker/version", "ringmq 0.1.0");
  const auto number = [&](std::string_view topic, long long value) {
    std::snprintf(text, sizeof(text), "%lld", value);
    publish_sys_value(topic, text);
  };
  number("$SYS/broker/clients/connected", t.clients_connected);
  number("$SYS/broker/clients/total", t.sessions);
  number("$SYS/broker/clients/disconnected", t.sessions - t.clients_connected);
  number("$SYS/broker/messages/received", static_cast<long long>(t.messages_received));
  number("$SYS/broker/messages/sent", static_cast<long long>(t.messages_sent));
  number("$SYS/broker/bytes/received", static_cast<long long>(t.bytes_received));
  number("$SYS/broker/bytes/sent", static_cast<long long>(t.bytes_sent));
  number("$SYS/broker/publish/messages/dropped", static_cast<long long>(t.dropped));
  number("$SYS/broker/subscriptions/count",
         static_cast<long long>(shared_.index().stats().subscriptions));
  number("$SYS/broker/retained messages/count",
         static_cast<long long>(shared_.retained().stats().messages));
}

void Broker::publish_sys_value(std::string_view topic, std::string_view value) {
  MessageFields fields;
  fields.topic = topic;
  fields.payload = {reinterpret_cast<const std::uint8_t*>(value.data()), value.size()};
  fields.retain = true;
  fields.received_at = shard_.now();
  const Message message = Message::create(fields);
  store_retained(message);
  route(message);
}

}  // namespace rmq::broker
