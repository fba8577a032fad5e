#include "broker/broker_shared.h"

#include <chrono>
#include <thread>

#include "base/log.h"

namespace rmq::broker {
namespace {

router::RetainedLimits retained_limits(const BrokerConfig& config) {
  router::RetainedLimits limits;
  limits.max_messages = config.retained_max_count;
  limits.max_bytes = config.retained_max_bytes;
  return limits;
}

}  // namespace

BrokerShared::BrokerShared(const BrokerConfig& config, std::uint32_t shards, const Clock* clock)
    : config_(config),
      shard_count_(shards),
      clock_(clock != nullptr ? clock : &MonotonicClock::instance()),
      started_at_(clock_->now()),
      index_(router::TopicIndexConfig{shards, shards}),
      retained_(retained_limits(config)),
      sys_retained_(router::RetainedLimits{.max_messages = SIZE_MAX, .max_bytes = SIZE_MAX}),
      presence_(shards),
      access_(std::make_unique<DenyListAccess>(config.deny_subscribe)),
      auth_(std::make_unique<AllowAnonymous>()),
      auth_worker_(shards, kAuthVerdictMail) {
  stats_.reserve(shards);
  for (std::uint32_t i = 0; i < shards; ++i) stats_.push_back(std::make_unique<BrokerStats>());
  engine_stats_.assign(shards, nullptr);
  if (!config.acl_file.empty()) {
    std::string error;
    acl_ = AclAccess::load(config.acl_file, &error);
    if (acl_ == nullptr) {
      // The flag parser checked the file; it changed since. Fail closed: nothing is allowed.
      RMQ_LOG_ERROR("%s; every publish and subscribe is refused until it is reloaded",
                    error.c_str());
      acl_ = std::make_unique<AclAccess>(config.acl_file, std::make_shared<AclRules>());
    }
  }
}

Status BrokerShared::reload_acl(std::string* error) {
  if (acl_ == nullptr) return OkStatus();
  return acl_->reload(error);
}

TlsTotals BrokerShared::tls_totals() const {
  TlsTotals t;
  for (const engine::ShardStats* s : engine_stats_) {
    if (s == nullptr) continue;
    t.handshakes += s->tls_handshakes.value();
    t.resumed += s->tls_resumed.value();
    t.refused += s->tls_handshake_failures.value();
    t.timed_out += s->tls_handshake_timeouts.value();
  }
  return t;
}

void BrokerShared::arrive_and_wait_imported() {
  if (recovery_ == nullptr) return;
  imported_.fetch_add(1, std::memory_order_acq_rel);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (imported_.load(std::memory_order_acquire) < shard_count_ &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

StatsTotals BrokerShared::totals() const {
  StatsTotals t;
  for (const auto& s : stats_) {
    t.clients_connected += s->clients_connected.value();
    t.sessions += s->sessions.value();
    t.connects += s->connects.value();
    t.messages_received += s->messages_received.value();
    t.messages_sent += s->messages_sent.value();
    t.bytes_received += s->bytes_received.value();
    t.bytes_sent += s->bytes_sent.value();
    t.dropped += s->dropped_qos0_slow.value() + s->dropped_queue_full.value() +
                 s->dropped_too_large.value() + s->dropped_expired.value() +
                 s->dropped_mailbox.value() + s->dropped_shared_busy.value();
    t.acl_denied += s->acl_denied_publish.value() + s->acl_denied_subscribe.value() +
                    s->acl_denied_delivery.value() + s->acl_denied_will.value();
    t.auth_failures += s->auth_failures.value();
    t.anonymous_refused += s->anonymous_refused.value();
    t.log_records += s->log_records.value();
    t.log_bytes += s->log_bytes.value();
    t.log_write_errors += s->log_write_errors.value();
    t.log_compactions += s->log_compactions.value();
    t.acks_held += s->acks_held.value();
  }
  return t;
}

}  // namespace rmq::broker
