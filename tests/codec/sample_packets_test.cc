// The sample catalogue itself: unique, file-name-safe names; every packet type of every version;
// every MQTT 5.0 property in every packet where the spec allows it; and the edge cases it
// promises (many user properties, several subscription identifiers, empty payloads, 65535-byte
// strings).
#include "tests/codec/sample_packets.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "codec/packets.h"
#include "codec/properties.h"

namespace rmq::codec {
namespace {

using testing::SamplePacket;

TEST(SampleCatalogue, NamesAreUniqueAndFileNameSafe) {
  std::set<std::string> names;
  for (const SamplePacket& s : testing::all_sample_packets()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(std::all_of(s.name.begin(), s.name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    })) << s.name;
  }
}

TEST(SampleCatalogue, EveryPacketTypeOfEveryVersion) {
  for (ProtocolVersion v : {ProtocolVersion::kV31, ProtocolVersion::kV311, ProtocolVersion::kV5}) {
    std::set<PacketType> types;
    for (const SamplePacket& s : testing::sample_packets(v)) types.insert(s.packet.type);
    const unsigned last = is_v5(v) ? 15 : 14;  // AUTH is 5.0 only
    for (unsigned t = 1; t <= last; ++t) {
      EXPECT_TRUE(types.count(static_cast<PacketType>(t))) << static_cast<int>(v) << " " << t;
    }
  }
}

// Property blocks of a packet with the scope each sits in.
std::vector<std::pair<PropertyScope, const Properties*>> property_blocks(const PacketView& p) {
  const auto& b = p.body;
  switch (p.type) {
    case PacketType::kConnect: {
      const auto& c = std::get<ConnectView>(b);
      if (!c.will) return {{PropertyScope::kConnect, &c.properties}};
      return {{PropertyScope::kConnect, &c.properties},
              {PropertyScope::kWill, &c.will->properties}};
    }
    case PacketType::kConnack:
      return {{PropertyScope::kConnack, &std::get<ConnackView>(b).properties}};
    case PacketType::kPublish:
      return {{PropertyScope::kPublish, &std::get<PublishView>(b).properties}};
    case PacketType::kPuback: return {{PropertyScope::kPuback, &std::get<AckView>(b).properties}};
    case PacketType::kPubrec: return {{PropertyScope::kPubrec, &std::get<AckView>(b).properties}};
    case PacketType::kPubrel: return {{PropertyScope::kPubrel, &std::get<AckView>(b).properties}};
    case PacketType::kPubcomp: return {{PropertyScope::kPubcomp, &std::get<AckView>(b).properties}};
    case PacketType::kSubscribe:
      return {{PropertyScope::kSubscribe, &std::get<SubscribeView>(b).properties}};
    case PacketType::kSuback:
      return {{PropertyScope::kSuback, &std::get<SubackView>(b).properties}};
    case PacketType::kUnsubscribe:
      return {{PropertyScope::kUnsubscribe, &std::get<UnsubscribeView>(b).properties}};
    case PacketType::kUnsuback:
      return {{PropertyScope::kUnsuback, &std::get<SubackView>(b).properties}};
    case PacketType::kDisconnect:
      return {{PropertyScope::kDisconnect, &std::get<DisconnectView>(b).properties}};
    case PacketType::kAuth: return {{PropertyScope::kAuth, &std::get<AuthView>(b).properties}};
    default: return {};
  }
}

bool carries(const Properties& p, PropertyId id) {
  if (id == PropertyId::kUserProperty) return !p.user_properties.empty();
  if (id == PropertyId::kSubscriptionIdentifier) return !p.subscription_identifiers.empty();
  return p.has(id);
}

TEST(SampleCatalogue, EveryPropertyWhereverTheSpecAllowsIt) {
  std::set<std::pair<unsigned, unsigned>> seen;  // (scope, id)
  for (const SamplePacket& s : testing::sample_packets(ProtocolVersion::kV5)) {
    for (const auto& [scope, props] : property_blocks(s.packet)) {
      for (unsigned id = 0; id < 64; ++id) {
        if (find_property(static_cast<std::uint8_t>(id)) == nullptr) continue;
        if (carries(*props, static_cast<PropertyId>(id))) seen.insert({unsigned(scope), id});
      }
    }
  }
  int checked = 0;
  for (unsigned id = 0; id < 64; ++id) {
    const PropertyInfo* info = find_property(static_cast<std::uint8_t>(id));
    if (info == nullptr) continue;
    for (unsigned scope = 0; scope <= unsigned(PropertyScope::kAuth); ++scope) {
      if ((info->allowed_scopes & (1u << scope)) == 0) continue;
      EXPECT_TRUE(seen.count({scope, id})) << info->name << " in scope " << scope;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

TEST(SampleCatalogue, PromisedEdgeCases) {
  bool many_user_properties = false, several_subscription_ids = false, empty_payload = false;
  bool max_string = false;
  for (const SamplePacket& s : testing::all_sample_packets()) {
    if (s.packet.type != PacketType::kPublish) continue;
    const auto& p = std::get<PublishView>(s.packet.body);
    many_user_properties |= p.properties.user_properties.size() >= 100;
    several_subscription_ids |= p.properties.subscription_identifiers.size() > 1;
    empty_payload |= p.payload.empty();
    max_string |= p.topic.size() == 65535;
  }
  EXPECT_TRUE(many_user_properties);
  EXPECT_TRUE(several_subscription_ids);
  EXPECT_TRUE(empty_payload);
  EXPECT_TRUE(max_string);
}

}  // namespace
}  // namespace rmq::codec
