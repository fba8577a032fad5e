// UNSUBSCRIBE (MQTT 5.0 3.10): one reason code per filter (5.0), UNSUBACK.
#include <vector>

#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

void Broker::handle_unsubscribe(ClientConn& c, const codec::UnsubscribeView& p) {
  Session& s = *c.session;
  const router::SessionKey key{self_, s.handle};
  std::vector<std::uint8_t> codes;
  codes.reserve(p.filters.size());
  for (const std::string_view filter : p.filters) {
    (void)shared_.index().unsubscribe(filter, key);
    auto it = s.subscriptions.find(filter);
    const bool found = it != s.subscriptions.end();
    if (found) {
      s.subscriptions.erase(it);
      log_unsubscribe(s, filter);
    }
    codes.push_back(static_cast<std::uint8_t>(found ? codec::ReasonCode::kSuccess
                                                    : codec::ReasonCode::kNoSubscriptionExisted));
  }
  send_suback(c, codec::PacketType::kUnsuback, p.packet_id, codes);
}

}  // namespace rmq::broker
