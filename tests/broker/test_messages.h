// Helpers building broker Messages for unit tests.
#pragma once

#include <string_view>

#include "broker/message.h"
#include "broker/outbound.h"

namespace rmq::broker::testing {

inline Message make_message(std::string_view topic, std::string_view payload,
                            codec::QoS qos = codec::QoS::kAtLeastOnce) {
  MessageFields f;
  f.topic = topic;
  f.payload = {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()};
  f.qos = qos;
  return Message::create(f);
}

inline OutboundMessage make_outbound(std::string_view payload, codec::QoS qos) {
  return OutboundMessage{make_message("t", payload, qos), qos, false, {}};
}

}  // namespace rmq::broker::testing
