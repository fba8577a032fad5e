// $SYS/broker/... topics, published as retained QoS 0 messages by shard 0 every --sys-interval
// seconds, named like Mosquitto's so existing dashboards find them. Per-shard figures go under
// $SYS/broker/shards/<n>/..., so an uneven spread of clients or load over the cores shows.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/sys_load.h"

namespace rmq::broker {

namespace {

class SysWriter {
 public:
  using Publish = router::FunctionRef<void(std::string_view, std::string_view)>;
  explicit SysWriter(Publish publish) : publish_(publish) {}
  void text(std::string_view topic, std::string_view value) { publish_(topic, value); }
  void number(std::string_view topic, long long value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%lld", value);
    text(topic, buffer);
  }
  void decimal(std::string_view topic, double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.2f", value);
    text(topic, buffer);
  }
  // "<prefix>/1min", "/5min", "/15min" from `load`.
  void load(const std::string& prefix, const LoadAverage& load) {
    static constexpr const char* kSuffix[] = {"/1min", "/5min", "/15min"};
    for (std::size_t i = 0; i < 3; ++i) decimal(prefix + kSuffix[i], load.per_minute(i));
  }

 private:
  Publish publish_;
};

// $SYS/broker/load/...: per-minute rates averaged over 1, 5 and 15 minutes; and per shard, its
// clients and the rates of messages it received and sent.
void publish_loads(SysWriter& w, SysLoads& l, const BrokerShared& shared, const StatsTotals& t,
                   MonoTime now) {
  // The first round has no elapsed time: LoadAverage::update() only records the totals.
  const double elapsed =
      l.last == MonoTime{} ? 0 : std::chrono::duration<double>(now - l.last).count();
  l.last = now;
  const auto feed = [&](const std::string& topic, LoadAverage& load, std::uint64_t total) {
    load.update(total, elapsed);
    w.load(topic, load);
  };
  feed("$SYS/broker/load/messages/received", l.messages_received, t.messages_received);
  feed("$SYS/broker/load/messages/sent", l.messages_sent, t.messages_sent);
  feed("$SYS/broker/load/bytes/received", l.bytes_received, t.bytes_received);
  feed("$SYS/broker/load/bytes/sent", l.bytes_sent, t.bytes_sent);
  feed("$SYS/broker/load/connections", l.connections, t.connects);
  feed("$SYS/broker/load/publish/dropped", l.dropped, t.dropped);
  const std::uint32_t shards = shared.shard_count();
  l.shard_received.resize(shards);
  l.shard_sent.resize(shards);
  for (std::uint32_t i = 0; i < shards; ++i) {
    const BrokerStats& s = shared.stats(i);
    const std::string prefix = "$SYS/broker/shards/" + std::to_string(i);
    w.number(prefix + "/clients/connected", s.clients_connected.value());
    w.number(prefix + "/sessions", s.sessions.value());
    feed(prefix + "/load/messages/received", l.shard_received[i], s.messages_received.value());
    feed(prefix + "/load/messages/sent", l.shard_sent[i], s.messages_sent.value());
  }
}

}  // namespace

void Broker::publish_sys() {
  const StatsTotals t = shared_.totals();
  const MonoTime now = shard_.now();
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(now - shared_.started_at());
  auto publish = [this](std::string_view topic, std::string_view value) {
    publish_sys_value(topic, value);
  };
  SysWriter w(publish);
  w.text("$SYS/broker/uptime", std::to_string(uptime.count()) + " seconds");
  w.text("$SYS/broker/version", "ringmq 0.1.0");
  w.number("$SYS/broker/clients/connected", t.clients_connected);
  w.number("$SYS/broker/clients/total", t.sessions);
  w.number("$SYS/broker/clients/disconnected", t.sessions - t.clients_connected);
  w.number("$SYS/broker/messages/received", static_cast<long long>(t.messages_received));
  w.number("$SYS/broker/messages/sent", static_cast<long long>(t.messages_sent));
  w.number("$SYS/broker/bytes/received", static_cast<long long>(t.bytes_received));
  w.number("$SYS/broker/bytes/sent", static_cast<long long>(t.bytes_sent));
  w.number("$SYS/broker/publish/messages/dropped", static_cast<long long>(t.dropped));
  if (shared_.acl() != nullptr) {  // --acl-file refusals: publishes, filters, deliveries, wills
    w.number("$SYS/broker/acl/denied", static_cast<long long>(t.acl_denied));
  }
  const TlsTotals tls = shared_.tls_totals();
  if (tls.handshakes + tls.refused + tls.timed_out > 0) {  // only once a TLS listener was used
    w.number("$SYS/broker/tls/handshakes", static_cast<long long>(tls.handshakes));
    w.number("$SYS/broker/tls/resumed", static_cast<long long>(tls.resumed));
    w.number("$SYS/broker/tls/refused", static_cast<long long>(tls.refused));
    w.number("$SYS/broker/tls/timed out", static_cast<long long>(tls.timed_out));
  }
  if (!config_.persist.data_dir.empty()) {
    w.number("$SYS/broker/persist/records", static_cast<long long>(t.log_records));
    w.number("$SYS/broker/persist/bytes", static_cast<long long>(t.log_bytes));
    w.number("$SYS/broker/persist/write_errors", static_cast<long long>(t.log_write_errors));
    w.number("$SYS/broker/persist/compactions", static_cast<long long>(t.log_compactions));
    w.number("$SYS/broker/persist/acks_held", static_cast<long long>(t.acks_held));
  }
  w.number("$SYS/broker/auth/failed", static_cast<long long>(t.auth_failures));
  w.number("$SYS/broker/auth/anonymous refused", static_cast<long long>(t.anonymous_refused));
  w.number("$SYS/broker/subscriptions/count",
           static_cast<long long>(shared_.index().stats().subscriptions));
  const router::RetainedStats retained = shared_.client_retained().stats();
  w.number("$SYS/broker/retained messages/count", static_cast<long long>(retained.messages));
  w.number("$SYS/broker/retained messages/refused", static_cast<long long>(retained.refused));
  publish_loads(w, sys_loads_, shared_, t, now);
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
