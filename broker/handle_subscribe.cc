// SUBSCRIBE (MQTT 5.0 3.8): access hooks and --acl-file, the topic index, SUBACK with one code per
// filter, then the retained messages the Retain Handling option asks for (never for shared
// subscriptions).
#include <string>
#include <vector>

#include "broker/broker.h"
#include "broker/outgoing.h"
#include "codec/validate.h"

namespace rmq::broker {

using codec::ReasonCode;

void Broker::handle_subscribe(ClientConn& c, const codec::SubscribeView& p) {
  Session& s = *c.session;
  const bool v5 = codec::is_v5(c.version);
  std::uint32_t subscription_id = 0;
  if (v5 && !p.properties.subscription_identifiers.empty()) {
    subscription_id = *p.properties.subscription_identifiers.begin();
  }
  std::vector<std::uint8_t> codes;
  codes.reserve(p.subscriptions.size());
  std::vector<std::pair<std::string, SubscriptionRecord>> retained;
  SessionAcl* acl = shared_.acl() != nullptr ? &session_acl(*shared_.acl(), s) : nullptr;
  for (const codec::Subscription sub : p.subscriptions) {
    if (!shared_.access().can_subscribe(ClientInfo{c.client_id, c.username}, sub.filter)) {
      codes.push_back(v5 ? static_cast<std::uint8_t>(shared_.access().subscribe_refusal())
                         : codec::kSubackFailureV311);
      continue;
    }
    if (acl != nullptr && !acl->may_subscribe(sub.filter)) {
      stats_.acl_denied_subscribe.add();
      codes.push_back(v5 ? static_cast<std::uint8_t>(ReasonCode::kNotAuthorized)
                         : codec::kSubackFailureV311);
      continue;
    }
    router::SubscriberRef ref;
    ref.shard = self_;
    ref.session = s.handle;
    ref.options = sub.options;
    ref.subscription_id = subscription_id;
    const Result<router::SubscribeOutcome> added = shared_.index().subscribe(sub.filter, ref);
    if (!added.ok()) {
      codes.push_back(v5 ? static_cast<std::uint8_t>(ReasonCode::kTopicFilterInvalid)
                         : codec::kSubackFailureV311);
      continue;
    }
    const SubscriptionRecord record{sub.options, subscription_id};
    s.subscriptions.insert_or_assign(std::string(sub.filter), record);
    log_subscribe(s, sub.filter, record);
    codes.push_back(static_cast<std::uint8_t>(sub.options.max_qos));
    const bool shared = !codec::split_shared(sub.filter).group.empty();
    const codec::RetainHandling handling = sub.options.retain_handling;
    if (!shared && (handling == codec::RetainHandling::kSendOnSubscribe ||
                    (handling == codec::RetainHandling::kSendIfNewSubscription &&
                     *added == router::SubscribeOutcome::kAdded))) {
      retained.emplace_back(std::string(sub.filter), record);
    }
  }
  send_suback(c, codec::PacketType::kSuback, p.packet_id, codes);
  for (const auto& [filter, record] : retained) send_retained(s, filter, record);
}

}  // namespace rmq::broker
