// BrokerShared: what every shard's Broker shares: the configuration, the topic index, the retained
// store, the client registry, the auth hooks and each shard's counters. Created before the engine
// starts and destroyed after it stops. The index, the store, the registry and the ACL state their
// own concurrency protocols; everything else here is immutable after construction, except the
// counters (single writer each).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "broker/access.h"
#include "broker/auth_worker.h"
#include "broker/broker_config.h"
#include "broker/client_registry.h"
#include "broker/persist/recovery.h"
#include "broker/session_presence.h"
#include "broker/stats.h"
#include "engine/stats.h"
#include "router/retained_store.h"
#include "router/topic_index.h"

namespace rmq::broker {

struct StatsTotals {
  std::int64_t clients_connected = 0;
  std::int64_t sessions = 0;
  std::uint64_t connects = 0;
  std::uint64_t messages_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t dropped = 0;
  std::uint64_t acl_denied = 0;         // publishes, subscriptions, deliveries and wills refused
  std::uint64_t auth_failures = 0;      // unknown user or wrong password
  std::uint64_t anonymous_refused = 0;  // no user name while anonymous clients are not allowed
  std::uint64_t log_records = 0;        // write-ahead log (--data-dir)
  std::uint64_t log_bytes = 0;
  std::uint64_t log_write_errors = 0;
  std::uint64_t log_compactions = 0;
  std::uint64_t acks_held = 0;
};

struct TlsTotals {
  std::uint64_t handshakes = 0;  // completed
  std::uint64_t resumed = 0;     // of which resumed a session (ticket)
  std::uint64_t refused = 0;     // not TLS, bad certificate, wrong PSK, ...
  std::uint64_t timed_out = 0;   // not completed within --tls-handshake-timeout
};

class BrokerShared {
 public:
  BrokerShared(const BrokerConfig& config, std::uint32_t shards, const Clock* clock = nullptr);
  BrokerShared(const BrokerShared&) = delete;
  BrokerShared& operator=(const BrokerShared&) = delete;

  const BrokerConfig& config() const { return config_; }
  std::uint32_t shard_count() const { return shard_count_; }
  router::TopicIndex& index() { return index_; }
  // The retained store for a topic or filter: the broker's own $SYS topics live in a store of
  // their own, outside the --retained-max-* limits, so they never crowd client topics out (only
  // a filter whose first level is "$SYS" can match them [MQTT-4.7.2-1]).
  router::RetainedStore& retained(std::string_view topic_or_filter) {
    return is_sys_topic(topic_or_filter) ? sys_retained_ : retained_;
  }
  const router::RetainedStore& client_retained() const { return retained_; }
  static bool is_sys_topic(std::string_view topic_or_filter) {
    return topic_or_filter.starts_with("$SYS") &&
           (topic_or_filter.size() == 4 || topic_or_filter[4] == '/');
  }
  ClientRegistry& registry() { return registry_; }
  SessionPresence& presence() { return presence_; }
  const AccessControl& access() const { return *access_; }
  const Authenticator& authenticator() const { return *auth_; }
  void set_access(std::unique_ptr<AccessControl> access) { access_ = std::move(access); }
  // The --acl-file rules; null when there are none (everything is allowed). Reload them with
  // reload_acl() (from any thread, e.g. on SIGHUP); sessions pick up the new rules on their next
  // check.
  const AclAccess* acl() const { return acl_.get(); }
  void set_acl(std::unique_ptr<AclAccess> acl) { acl_ = std::move(acl); }
  // Re-reads the ACL file; OK and nothing done without one. On error the rules in force stay and
  // `error` (if given) holds a one-line reason naming the file and line.
  Status reload_acl(std::string* error = nullptr);
  // Before the engine starts (the auth worker keeps a pointer while it verifies).
  void set_authenticator(std::unique_ptr<Authenticator> auth) { auth_ = std::move(auth); }
  // The thread that verifies passwords for every shard (auth_worker.h); joined when this is
  // destroyed, after the engine.
  AuthWorker& auth_worker() { return auth_worker_; }

  // Each shard's engine counters (TLS handshakes), registered by its Broker before the engine
  // runs; readable from any thread. Null for a shard without a Broker.
  void set_engine_stats(std::uint32_t shard, const engine::ShardStats* stats) {
    engine_stats_[shard] = stats;
  }
  // The TLS handshake counters summed over the shards.
  TlsTotals tls_totals() const;

  // What recovery read from --data-dir, one entry per shard; set before the engine starts, each
  // shard's Broker takes its own in on_start(). Null without persistence.
  void set_recovery(std::unique_ptr<persist::Recovery> recovery) {
    recovery_ = std::move(recovery);
    if (recovery_ != nullptr) registry_.advance_generation(recovery_->report.max_generation + 1);
  }
  // With a recovery: each shard calls this once its recovered sessions are imported, and returns
  // when every shard has (or after two minutes), so that no shard serves a CONNECT whose session
  // another shard has not registered yet. Without one: returns at once.
  void arrive_and_wait_imported();
  persist::RecoveredShard* recovered(std::uint32_t shard) {
    return recovery_ == nullptr || shard >= recovery_->shards.size() ? nullptr
                                                                     : &recovery_->shards[shard];
  }

  BrokerStats& stats(std::uint32_t shard) { return *stats_[shard]; }
  const BrokerStats& stats(std::uint32_t shard) const { return *stats_[shard]; }
  StatsTotals totals() const;
  MonoTime started_at() const { return started_at_; }
  const Clock& clock() const { return *clock_; }

 private:
  const BrokerConfig config_;
  const std::uint32_t shard_count_;
  const Clock* clock_;
  MonoTime started_at_;
  router::TopicIndex index_;
  router::RetainedStore retained_;
  router::RetainedStore sys_retained_;
  ClientRegistry registry_;
  SessionPresence presence_;
  std::unique_ptr<persist::Recovery> recovery_;
  std::atomic<std::uint32_t> imported_{0};
  std::unique_ptr<AccessControl> access_;
  std::unique_ptr<AclAccess> acl_;
  std::unique_ptr<Authenticator> auth_;
  std::vector<std::unique_ptr<BrokerStats>> stats_;
  std::vector<const engine::ShardStats*> engine_stats_;
  AuthWorker auth_worker_;  // last: joined before the authenticator it calls is destroyed
};

}  // namespace rmq::broker
