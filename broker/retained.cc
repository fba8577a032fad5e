// Retained messages (MQTT 5.0 3.3.1.3) and wills (3.1.2.5): both enter the normal publish path,
// under --acl-file read access (retained) and write access (wills).
#include <vector>

#include "base/log.h"
#include "broker/broker.h"
#include "router/retained_message.h"

namespace rmq::broker {

// Stores (or, with an empty payload, deletes [MQTT-3.3.1-6]) the retained message of a topic.
void Broker::store_retained(const Message& message) {
  router::RetainedFields fields;
  fields.topic = message.topic();
  fields.payload = message.payload();
  fields.qos = message.qos();
  fields.properties = message.encoded_properties();
  fields.stored_at = message.received_at();
  fields.expiry_interval_s = message.expiry_interval();
  const router::RetainOutcome outcome =
      shared_.retained(message.topic()).set(router::RetainedMessage::create(fields));
  if (outcome == router::RetainOutcome::kRefusedCount ||
      outcome == router::RetainOutcome::kRefusedBytes) {
    // Still delivered to current subscribers; only not kept (counted in $SYS).
    RMQ_LOG_DEBUG("retained message for %.*s not kept: --retained-max-%s reached",
                  static_cast<int>(message.topic().size()), message.topic().data(),
                  outcome == router::RetainOutcome::kRefusedCount ? "count" : "bytes");
  }
}

MessageFields retained_fields(const router::RetainedMessage& r) {
  MessageFields fields;
  fields.topic = r.topic();
  fields.payload = r.payload();
  fields.qos = r.qos();
  fields.retain = true;
  fields.encoded_properties = r.properties();
  fields.received_at = r.stored_at();
  return fields;
}

// The retained messages matching a new subscription, with RETAIN set [MQTT-3.3.1-8].
void Broker::send_retained(Session& s, std::string_view filter, const SubscriptionRecord& sub) {
  std::vector<router::RetainedPtr> found;
  if (!shared_.retained(filter).lookup(filter, shard_.now(), found).ok()) return;
  SessionAcl* acl = shared_.acl() != nullptr ? &session_acl(*shared_.acl(), s) : nullptr;
  for (const router::RetainedPtr& r : found) {
    if (acl != nullptr && !acl->may_read(r->topic())) {  // the filter may cover denied topics
      stats_.acl_denied_delivery.add();
      continue;
    }
    OutboundMessage m;
    m.message = Message::create(retained_fields(*r));
    m.qos = std::min(r->qos(), sub.options.max_qos);
    m.retain = true;
    if (sub.id != 0) m.subscription_ids.push_back(sub.id);
    deliver(s, std::move(m));
  }
}

// Publishes the session's will now. Its Message Expiry Interval counts from now (3.1.3.2.4).
void Broker::publish_will(Session& s) {
  if (!s.will) return;
  const Message& will = s.will->message;
  // Checked against the rules in force now, with the identity of the session's last connection.
  if (shared_.acl() != nullptr && !session_acl(*shared_.acl(), s).may_write(will.topic())) {
    s.will.reset();
    s.will_pending = false;
    log_will(s);
    stats_.acl_denied_will.add();
    return;
  }
  MessageFields fields;
  fields.topic = will.topic();
  fields.payload = will.payload();
  fields.qos = will.qos();
  fields.retain = will.retain();
  fields.encoded_properties = will.encoded_properties();
  fields.received_at = shard_.now();
  fields.publisher = will.publisher();
  const Message message = Message::create(fields);
  s.will.reset();
  s.will_pending = false;  // the will's timer went with it
  log_will(s);
  stats_.wills_published.add();
  if (message.retain()) {
    store_retained(message);
    note_retained(message);
  }
  route(message);
}

}  // namespace rmq::broker
