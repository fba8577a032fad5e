// ringmq: the broker binary. Parses flags and the config file, starts one Broker per shard on the
// engine, and runs until SIGINT/SIGTERM (5.0 clients are told 0x8B, Server shutting down).
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "broker/app/options.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "engine/engine.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  rmq::app::ParseResult parsed = rmq::app::parse_options(args);
  if (parsed.exit_code == 0) {
    std::fputs(parsed.output.c_str(), stdout);
    return 0;
  }
  if (parsed.exit_code > 0) {
    std::fprintf(stderr, "ringmq: %s\n", parsed.output.c_str());
    return parsed.exit_code;
  }
  rmq::app::Options& options = parsed.options;
  rmq::set_log_level(options.log_level);

  rmq::engine::EngineConfig& engine_config = options.engine;
  const rmq::broker::BrokerConfig& broker_config = options.broker;
  engine_config.handle_signals = true;
  engine_config.max_pending_recv_bytes = broker_config.max_packet_size + 64 * 1024;
  engine_config.max_queued_bytes_per_conn = broker_config.send_hard_limit_bytes;

  std::shared_ptr<rmq::tls::TlsContext> tls_context;
  if (!options.tls.listen.empty()) {
    auto context = rmq::tls::TlsContext::create(options.tls.config);
    if (!context.ok()) {
      std::fprintf(stderr, "ringmq: %s\n", context.status().message());
      return 1;
    }
    tls_context = std::move(*context);
    for (rmq::engine::ListenAddress address : options.tls.listen) {
      address.tls = tls_context;
      engine_config.listen.push_back(std::move(address));
    }
  }
  engine_config.on_reload = [tls_context] {
    if (tls_context == nullptr) return;
    if (const rmq::Status status = tls_context->reload(); !status.ok()) {
      RMQ_LOG_WARN("TLS reload refused, the current certificate stays in use: %s",
                   status.message());
    } else {
      RMQ_LOG_INFO("TLS certificate, key, CA, CRL and PSK file reloaded");
    }
  };

  rmq::broker::BrokerShared shared(broker_config, engine_config.shards);
  auto engine = rmq::engine::Engine::start(engine_config, [&shared](rmq::engine::Shard& shard) {
    return std::make_unique<rmq::broker::Broker>(shard, shared);
  });
  if (!engine.ok()) {
    const rmq::Status& status = engine.status();
    if (status.sys_errno() != 0) {
      std::fprintf(stderr, "ringmq: cannot start: %s: %s\n", status.message(),
                   std::strerror(status.sys_errno()));
    } else {
      std::fprintf(stderr, "ringmq: cannot start: %s\n", status.message());
    }
    return 1;
  }
  for (std::size_t i = 0; i < engine_config.listen.size(); ++i) {
    const auto& address = engine_config.listen[i];
    const bool v6 = address.host.find(':') != std::string::npos;
    RMQ_LOG_INFO("ringmq listening on %s%s%s:%u%s with %u threads", v6 ? "[" : "",
                 address.host.c_str(), v6 ? "]" : "", (*engine)->port(i),
                 address.tls != nullptr ? " (TLS)" : "", (*engine)->shard_count());
  }
  (*engine)->wait();
  engine->reset();
  RMQ_LOG_INFO("ringmq stopped");
  return 0;
}
