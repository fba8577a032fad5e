// ringmq: the broker binary. Parses flags and the config file, starts one Broker per shard on the
// engine, and runs until SIGINT/SIGTERM (5.0 clients are told 0x8B, Server shutting down); SIGHUP
// reloads the password file. `ringmq passwd ...` manages password files instead (app/passwd.h).
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/log.h"
#include "broker/app/options.h"
#include "broker/app/passwd.h"
#include "broker/broker.h"
#include "broker/broker_shared.h"
#include "broker/password_auth.h"
#include "engine/engine.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "passwd") {
    return rmq::app::run_passwd(std::vector<std::string>(args.begin() + 1, args.end()));
  }
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
  // The TLS flags (--psk-file, --tls-require-cert) join `sources` once they exist.
  rmq::app::AuthSources sources;
  sources.password_file = !options.password_file.empty();
  rmq::app::resolve_allow_anonymous(options, sources);
  std::unique_ptr<rmq::broker::PasswordAuthenticator> passwords;
  if (!options.password_file.empty()) {
    std::string error;
    passwords = rmq::broker::PasswordAuthenticator::open(options.password_file, &error);
    if (passwords == nullptr) {
      std::fprintf(stderr, "ringmq: %s\n", error.c_str());
      return 1;
    }
  }

  rmq::engine::EngineConfig& engine_config = options.engine;
  const rmq::broker::BrokerConfig& broker_config = options.broker;
  engine_config.handle_signals = true;
  engine_config.max_pending_recv_bytes = broker_config.max_packet_size + 64 * 1024;
  engine_config.max_queued_bytes_per_conn = broker_config.send_hard_limit_bytes;

  rmq::broker::BrokerShared shared(broker_config, engine_config.shards);
  if (passwords != nullptr) {
    rmq::broker::PasswordAuthenticator* table = passwords.get();
    RMQ_LOG_INFO("password file %s: %zu users; anonymous clients %s", table->path().c_str(),
                 table->users(), broker_config.allow_anonymous ? "allowed" : "refused");
    // SIGHUP, on shard 0's thread: a bad file is logged and the previous table kept.
    engine_config.on_reload = [table] { (void)table->reload(); };
    shared.set_authenticator(std::move(passwords));
  }
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
    RMQ_LOG_INFO("ringmq listening on %s%s%s:%u with %u threads", v6 ? "[" : "",
                 address.host.c_str(), v6 ? "]" : "", (*engine)->port(i), (*engine)->shard_count());
  }
  (*engine)->wait();
  engine->reset();
  RMQ_LOG_INFO("ringmq stopped");
  return 0;
}
