#include "broker/broker_shared.h"

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
    t.auth_failures += s->auth_failures.value();
    t.anonymous_refused += s->anonymous_refused.value();
  }
  return t;
}

}  // namespace rmq::broker
