// The operator== of packets.h and properties.h that are not defaulted: views compare by content
// (two spans over different buffers are equal when their bytes are), and Properties compare only
// the properties present.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/packets.h"
#include "codec/properties.h"
#include "codec/property_members.h"

namespace rmq::codec {
namespace {

bool same_bytes(BinaryView a, BinaryView b) { return std::ranges::equal(a, b); }

template <typename T>
bool same_value(const T& a, const T& b) {
  return a == b;
}
bool same_value(const BinaryView& a, const BinaryView& b) { return same_bytes(a, b); }

}  // namespace

bool operator==(const Properties& a, const Properties& b) {
  const std::uint64_t present = a.present & detail::kSingleValuedPropertyMask;
  if (present != (b.present & detail::kSingleValuedPropertyMask)) return false;
  bool equal = true;
  detail::for_each_single_valued_property([&](PropertyId id, auto member) {
    if (equal && a.has(id)) equal = same_value(a.*member, b.*member);
  });
  return equal && a.user_properties == b.user_properties &&
         a.subscription_identifiers == b.subscription_identifiers;
}

bool operator==(const WillView& a, const WillView& b) {
  return a.qos == b.qos && a.retain == b.retain && a.properties == b.properties &&
         a.topic == b.topic && same_bytes(a.payload, b.payload);
}

bool operator==(const ConnectView& a, const ConnectView& b) {
  if (a.password.has_value() != b.password.has_value()) return false;
  if (a.password && !same_bytes(*a.password, *b.password)) return false;
  return a.version == b.version && a.clean_start == b.clean_start && a.keep_alive == b.keep_alive &&
         a.properties == b.properties && a.client_id == b.client_id && a.will == b.will &&
         a.username == b.username;
}

bool operator==(const PublishView& a, const PublishView& b) {
  return a.dup == b.dup && a.qos == b.qos && a.retain == b.retain && a.topic == b.topic &&
         a.packet_id == b.packet_id && a.properties == b.properties &&
         same_bytes(a.payload, b.payload);
}

bool operator==(const SubackView& a, const SubackView& b) {
  return a.packet_id == b.packet_id && a.properties == b.properties &&
         same_bytes(a.reason_codes, b.reason_codes);
}

}  // namespace rmq::codec
