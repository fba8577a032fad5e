// MQTT 5.0 property blocks (section 2.2.2), encode side.
//
// Order on the wire, fixed so that equal Properties encode to equal bytes:
//   1. every single-valued property marked in `present`, in ascending identifier order;
//   2. the User Properties, in list order (their order is significant, [MQTT-3.3.2-18]);
//   3. the Subscription Identifiers, in list order.
// `present` bits that do not name a single-valued property are ignored. Lists decoded from the
// wire are iterated element by element, never copied as raw bytes: a wire-backed list's bytes are
// the whole property block it was found in.
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/encode.h"
#include "codec/encode_internal.h"
#include "codec/property_members.h"

namespace rmq::codec {
namespace {

template <typename Sink>
void put_value(Sink& s, std::uint8_t v) {
  s.u8(v);
}
template <typename Sink>
void put_value(Sink& s, std::uint16_t v) {
  s.u16(v);
}
template <typename Sink>
void put_value(Sink& s, std::uint32_t v) {
  s.u32(v);
}
template <typename Sink>
void put_value(Sink& s, std::string_view v) {
  s.string(v);
}
template <typename Sink>
void put_value(Sink& s, BinaryView v) {
  s.binary(v);
}

// The properties of `p` without the Property Length prefix.
template <typename Sink>
void put_property_fields(Sink& s, const Properties& p) {
  detail::for_each_single_valued_property([&](PropertyId id, auto member) {
    if (!p.has(id)) return;
    s.u8(static_cast<std::uint8_t>(id));
    put_value(s, p.*member);
  });
  for (const StringPair& pair : p.user_properties) {
    s.u8(static_cast<std::uint8_t>(PropertyId::kUserProperty));
    s.string(pair.name);
    s.string(pair.value);
  }
  for (std::uint32_t id : p.subscription_identifiers) {
    s.u8(static_cast<std::uint8_t>(PropertyId::kSubscriptionIdentifier));
    s.varint(id);
  }
}

}  // namespace

std::size_t properties_size(const Properties& p) {
  SizeCounter counter;
  put_property_fields(counter, p);
  return counter.size();
}

namespace detail {

void put_properties(SizeCounter& sink, const Properties& p) {
  SizeCounter fields;
  put_property_fields(fields, p);
  // A block too long for its Variable Byte Integer prefix makes varint() fail the sink.
  sink.varint(fields.size() <= kMaxVarInt ? static_cast<std::uint32_t>(fields.size())
                                          : kMaxVarInt + 1);
  sink.add(fields.size(), fields.ok());
}

void put_properties(Writer& sink, const Properties& p) {
  const std::size_t length = properties_size(p);
  sink.varint(length <= kMaxVarInt ? static_cast<std::uint32_t>(length) : kMaxVarInt + 1);
  put_property_fields(sink, p);
}

}  // namespace detail
}  // namespace rmq::codec
