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
#include "broker/durable_log.h"
#include "broker/password_auth.h"
#include "broker/persist/recovery.h"
#include "engine/engine.h"

namespace {

// Loads the TLS configuration and adds the --tls-listen listeners with it; false after printing
// a one-line error.
bool add_tls_listeners(rmq::app::Options& options,
                       std::shared_ptr<rmq::tls::TlsContext>* context_out) {
  if (options.tls.listen.empty()) return true;
  auto context = rmq::tls::TlsContext::create(options.tls.config);
  if (!context.ok()) {
    std::fprintf(stderr, "ringmq: %s\n", context.status().message());
    return false;
  }
  *context_out = std::move(*context);
  for (rmq::engine::ListenAddress address : options.tls.listen) {
    address.tls = *context_out;
    options.engine.listen.push_back(std::move(address));
  }
  return true;
}

// SIGHUP, on shard 0's thread: certificates and keys, the password file, the ACL file. What does
// not load is logged and the previous version stays in use.
void reload(rmq::tls::TlsContext* tls, rmq::broker::PasswordAuthenticator* passwords,
            rmq::broker::BrokerShared& shared) {
  if (tls != nullptr) {
    if (const rmq::Status status = tls->reload(); !status.ok()) {
      RMQ_LOG_WARN("TLS reload refused, the current certificate stays in use: %s",
                   status.message());
    } else {
      RMQ_LOG_INFO("TLS certificate, key, CA, CRL and PSK file reloaded");
    }
  }
  if (passwords != nullptr) (void)passwords->reload();  // logs its own outcome
  if (shared.acl() != nullptr) {
    std::string error;
    if (!shared.reload_acl(&error).ok()) {
      RMQ_LOG_WARN("ACL reload refused, the current rules stay in force: %s", error.c_str());
    } else {
      RMQ_LOG_INFO("ACL file reloaded");
    }
  }
}

// --data-dir: recovers what the logs hold (persist/recovery.h) and hands it to the shards; false
// after printing a one-line error.
bool recover_data_dir(const rmq::broker::PersistConfig& persist, std::uint32_t shards,
                      rmq::broker::BrokerShared& shared) {
  if (persist.data_dir.empty()) {
    RMQ_LOG_INFO(
        "persistence off (no --data-dir): sessions and retained messages are kept in "
        "memory only");
    return true;
  }
  rmq::persist::RecoveryOptions options;
  options.dir = persist.data_dir;
  options.shards = shards;
  options.skip_corrupt = persist.recover_skip_corrupt;
  std::string error;
  bool skippable = false;
  std::unique_ptr<rmq::persist::Recovery> recovery =
      rmq::persist::recover(options, &error, &skippable);
  if (recovery == nullptr) {
    std::fprintf(stderr, "ringmq: %s%s\n", error.c_str(),
                 skippable ? " (--recover-skip-corrupt starts without what it held)" : "");
    return false;
  }
  const rmq::persist::RecoveryReport& r = recovery->report;
  for (const std::string& warning : r.warnings) RMQ_LOG_WARN("recovery: %s", warning.c_str());
  if (r.anomalies.total() != 0) {
    RMQ_LOG_DEBUG("recovery: %llu records did not fit the state and were skipped",
                  static_cast<unsigned long long>(r.anomalies.total()));
  }
  RMQ_LOG_INFO(
      "recovered sessions=%zu subscriptions=%zu queued=%zu inflight=%zu inbound_qos2=%zu "
      "wills=%zu retained=%zu messages=%zu segments=%zu records=%llu expired_sessions=%zu from "
      "%s in %.0f ms (replay %.0f ms); durability=%s",
      r.summary.sessions, r.summary.subscriptions, r.summary.queued, r.summary.inflight_outbound,
      r.summary.inflight_inbound, r.summary.wills, r.summary.retained, r.summary.messages,
      r.segments, static_cast<unsigned long long>(r.records), r.expired_sessions,
      persist.data_dir.c_str(), r.total_ms, r.scan_ms, rmq::broker::to_string(persist.durability));
  shared.set_recovery(std::move(recovery));
  return true;
}

}  // namespace

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
  rmq::app::AuthSources sources;
  sources.password_file = !options.password_file.empty();
  sources.psk_file = !options.tls.config.psk_file.empty();
  sources.require_client_cert = options.tls.config.require_client_cert;
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
  std::shared_ptr<rmq::tls::TlsContext> tls_context;
  if (!add_tls_listeners(options, &tls_context)) return 1;

  rmq::broker::BrokerShared shared(broker_config, engine_config.shards);
  if (!recover_data_dir(broker_config.persist, engine_config.shards, shared)) return 1;
  rmq::broker::PasswordAuthenticator* password_table = passwords.get();
  if (passwords != nullptr) {
    RMQ_LOG_INFO("password file %s: %zu users; anonymous clients %s",
                 password_table->path().c_str(), password_table->users(),
                 broker_config.allow_anonymous ? "allowed" : "refused");
    shared.set_authenticator(std::move(passwords));
  }
  engine_config.on_reload = [tls_context, password_table, &shared] {
    reload(tls_context.get(), password_table, shared);
  };
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
