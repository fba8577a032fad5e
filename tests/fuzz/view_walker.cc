#include "tests/fuzz/view_walker.h"

#include <cstddef>
#include <optional>
#include <string_view>
#include <type_traits>
#include <variant>

#include "codec/properties.h"
#include "tests/fuzz/fuzz_check.h"

namespace rmq::codec {
namespace {

// The PacketBody alternative index each packet type must decode to (see packets.h).
std::size_t expected_index(PacketType type) {
  switch (type) {
    case PacketType::kPingreq:
    case PacketType::kPingresp: return 0;
    case PacketType::kConnect: return 1;
    case PacketType::kConnack: return 2;
    case PacketType::kPublish: return 3;
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubrel:
    case PacketType::kPubcomp: return 4;
    case PacketType::kSubscribe: return 5;
    case PacketType::kSuback:
    case PacketType::kUnsuback: return 6;
    case PacketType::kUnsubscribe: return 7;
    case PacketType::kDisconnect: return 8;
    case PacketType::kAuth: return 9;
    case PacketType::kReserved: break;
  }
  return std::variant_npos;  // a reserved type never decodes
}

PropertyScope scope_of(PacketType type) {
  switch (type) {
    case PacketType::kConnect: return PropertyScope::kConnect;
    case PacketType::kConnack: return PropertyScope::kConnack;
    case PacketType::kPublish: return PropertyScope::kPublish;
    case PacketType::kPuback: return PropertyScope::kPuback;
    case PacketType::kPubrec: return PropertyScope::kPubrec;
    case PacketType::kPubrel: return PropertyScope::kPubrel;
    case PacketType::kPubcomp: return PropertyScope::kPubcomp;
    case PacketType::kSubscribe: return PropertyScope::kSubscribe;
    case PacketType::kSuback: return PropertyScope::kSuback;
    case PacketType::kUnsubscribe: return PropertyScope::kUnsubscribe;
    case PacketType::kUnsuback: return PropertyScope::kUnsuback;
    case PacketType::kDisconnect: return PropertyScope::kDisconnect;
    case PacketType::kAuth: return PropertyScope::kAuth;
    default: break;
  }
  return PropertyScope::kAuth;  // not reached for types that carry properties
}

// Where a walk leaves its checksum, so the compiler cannot drop the byte reads.
volatile std::uint8_t walk_sink = 0;

class Walker {
 public:
  Walker(std::span<const std::uint8_t> wire, ProtocolVersion version)
      : begin_(wire.data()), end_(wire.data() + wire.size()), version_(version) {}

  void packet(const PacketView& p) {
    FUZZ_CHECK(p.body.index() == expected_index(p.type));
    type_ = p.type;
    std::visit([this](const auto& body) { visit(body); }, p.body);
    walk_sink = walk_sink + checksum_;  // keep the reads observable
  }

 private:
  void bytes(std::span<const std::uint8_t> v) {
    if (v.empty()) return;
    FUZZ_CHECK(v.data() >= begin_ && v.data() + v.size() <= end_);
    for (std::uint8_t b : v) checksum_ = static_cast<std::uint8_t>(checksum_ * 31 + b);
  }
  void text(std::string_view s) {
    bytes({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
  }

  void properties(const Properties& p, PropertyScope scope) {
    if (!is_v5(version_)) {
      FUZZ_CHECK(p.empty());
      return;
    }
    for (unsigned id = 0; id < 64; ++id) {
      if (((p.present >> id) & 1u) == 0) continue;
      const PropertyInfo* info = find_property(static_cast<std::uint8_t>(id));
      FUZZ_CHECK(info != nullptr);
      FUZZ_CHECK((info->allowed_scopes & scope_bit(scope)) != 0);
    }
    for (std::string_view s :
         {p.content_type, p.response_topic, p.assigned_client_identifier, p.authentication_method,
          p.response_information, p.server_reference, p.reason_string}) {
      text(s);
    }
    bytes(p.correlation_data);
    bytes(p.authentication_data);
    std::size_t n = 0;
    for (const StringPair pair : p.user_properties) {
      text(pair.name);
      text(pair.value);
      ++n;
    }
    FUZZ_CHECK(n == p.user_properties.size());
    n = 0;
    for (const std::uint32_t id : p.subscription_identifiers) {
      checksum_ = static_cast<std::uint8_t>(checksum_ + id);
      ++n;
    }
    FUZZ_CHECK(n == p.subscription_identifiers.size());
    if (n != 0) {
      const PropertyInfo* info =
          find_property(static_cast<std::uint8_t>(PropertyId::kSubscriptionIdentifier));
      FUZZ_CHECK(info != nullptr && (info->allowed_scopes & scope_bit(scope)) != 0);
      if (scope != PropertyScope::kPublish) FUZZ_CHECK(n == 1);
    }
  }

  void reason(ReasonCode code) {
    if (!is_v5(version_)) FUZZ_CHECK(code == ReasonCode::kSuccess);
  }

  void visit(const EmptyView&) {}
  void visit(const ConnectView& p) {
    version_ = p.version;  // CONNECT carries its own version
    properties(p.properties, PropertyScope::kConnect);
    text(p.client_id);
    if (p.will) {
      properties(p.will->properties, PropertyScope::kWill);
      text(p.will->topic);
      bytes(p.will->payload);
    }
    if (p.username) text(*p.username);
    if (p.password) bytes(*p.password);
  }
  void visit(const ConnackView& p) { properties(p.properties, PropertyScope::kConnack); }
  void visit(const PublishView& p) {
    text(p.topic);
    properties(p.properties, PropertyScope::kPublish);
    bytes(p.payload);
    if (p.qos == QoS::kAtMostOnce) FUZZ_CHECK(p.packet_id == 0);
  }
  void visit(const AckView& p) {
    reason(p.reason_code);
    properties(p.properties, scope_of(type_));
  }
  void visit(const SubscribeView& p) {
    properties(p.properties, PropertyScope::kSubscribe);
    std::size_t n = 0;
    for (const Subscription s : p.subscriptions) {
      text(s.filter);
      ++n;
    }
    FUZZ_CHECK(n == p.subscriptions.size() && n >= 1);
  }
  void visit(const SubackView& p) {
    properties(p.properties, scope_of(type_));
    bytes(p.reason_codes);
  }
  void visit(const UnsubscribeView& p) {
    properties(p.properties, PropertyScope::kUnsubscribe);
    std::size_t n = 0;
    for (const std::string_view filter : p.filters) {
      text(filter);
      ++n;
    }
    FUZZ_CHECK(n == p.filters.size() && n >= 1);
  }
  void visit(const DisconnectView& p) {
    reason(p.reason_code);
    properties(p.properties, PropertyScope::kDisconnect);
  }
  void visit(const AuthView& p) {
    FUZZ_CHECK(is_v5(version_));  // AUTH exists only in 5.0
    properties(p.properties, PropertyScope::kAuth);
  }

  const std::uint8_t* begin_;
  const std::uint8_t* end_;
  ProtocolVersion version_;
  PacketType type_ = PacketType::kReserved;
  std::uint8_t checksum_ = 0;
};

}  // namespace

void walk_packet(const PacketView& packet, std::span<const std::uint8_t> wire,
                 ProtocolVersion version) {
  Walker(wire, version).packet(packet);
}

}  // namespace rmq::codec
