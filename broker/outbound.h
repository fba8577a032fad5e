// OutboundMessage: a message owed to one subscriber, with the QoS, RETAIN flag and subscription
// identifiers of that subscriber's copy. Held in a session's inflight window and queue; safe to
// move to another shard (the Message is shared by reference count).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "broker/message.h"
#include "codec/types.h"

namespace rmq::broker {

struct OutboundMessage {
  Message message;
  codec::QoS qos = codec::QoS::kAtMostOnce;  // min(published QoS, granted QoS)
  bool retain = false;                       // the RETAIN flag this copy carries
  std::vector<std::uint32_t> subscription_ids;
  // The id of the message's Message record in this shard's write-ahead log once this copy is
  // logged for a persistent session (durable_log.h); 0: not logged.
  std::uint64_t log_id = 0;

  // What this entry counts against a session's queued-bytes limit.
  std::size_t bytes() const {
    return message.size_bytes() + subscription_ids.size() * sizeof(std::uint32_t);
  }
  OutboundMessage share() const { return {message.share(), qos, retain, subscription_ids, 0}; }
};

}  // namespace rmq::broker
