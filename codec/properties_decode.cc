// MQTT 5.0 property blocks (section 2.2.2), decode side: the property table, block validation
// and the readers that iterate the repeating properties of a validated block.
//
// Rules applied to every block, in wire order:
// - the Property Length fits in what is left of the packet (else Malformed, 2.2.2.1);
// - each identifier is one MQTT 5.0 defines and is allowed where the block sits (else Malformed,
//   2.2.2.2: "an Identifier which is not valid for its packet type");
// - only User Property, and Subscription Identifier in PUBLISH, may repeat (else Protocol Error,
//   per property: "It is a Protocol Error to include ... more than once");
// - values are of their type and in range (UTF-8 rules, 0/1 bytes, non-zero maxima, Topic
//   Alias 0 -> Topic Alias invalid).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "codec/decode_internal.h"
#include "codec/properties.h"
#include "codec/property_members.h"

namespace rmq::codec {
namespace {

using detail::MaybeError;
using Id = PropertyId;
using S = PropertyScope;
using T = PropertyType;

// What a property's value must satisfy beyond its type.
enum class ValueRule : std::uint8_t {
  kAny,
  kZeroOrOne,       // "a value other than 0 or 1" is a Protocol Error
  kNonZero,         // "for it to have the value 0" is a Protocol Error
  kTopicAlias,      // 0 -> Topic Alias invalid [MQTT-3.3.2-8]
  kSubscriptionId,  // 1..268,435,455, 0 is a Protocol Error
  kTopicName,       // Response Topic: a Topic Name without wildcards [MQTT-3.3.2-14]
};

struct PropertyRule {
  PropertyInfo info;
  std::string_view section;  // where the spec defines it: the statement its errors cite
  ValueRule value_rule;
};

constexpr std::uint16_t scopes(std::initializer_list<PropertyScope> list) {
  std::uint16_t bits = 0;
  for (PropertyScope s : list) bits = static_cast<std::uint16_t>(bits | scope_bit(s));
  return bits;
}

constexpr std::uint16_t kPublishWill = scopes({S::kPublish, S::kWill});
constexpr std::uint16_t kReasonStringScopes =
    scopes({S::kConnack, S::kPuback, S::kPubrec, S::kPubrel, S::kPubcomp, S::kSuback, S::kUnsuback,
            S::kDisconnect, S::kAuth});
constexpr std::uint16_t kEveryScope = 0x3FFF;  // all 14 PropertyScope values
constexpr std::uint16_t kConnectConnack = scopes({S::kConnect, S::kConnack});
constexpr std::uint16_t kAuthScopes = scopes({S::kConnect, S::kConnack, S::kAuth});

// MQTT 5.0 Table 2-4, with the section each property is defined in.
constexpr std::array<PropertyRule, 27> kRules = {{
    {{Id::kPayloadFormatIndicator, T::kByte, kPublishWill, false, "Payload Format Indicator"},
     "3.3.2.3.2",
     ValueRule::kZeroOrOne},
    {{Id::kMessageExpiryInterval, T::kFourByteInteger, kPublishWill, false,
      "Message Expiry Interval"},
     "3.3.2.3.3",
     ValueRule::kAny},
    {{Id::kContentType, T::kUtf8String, kPublishWill, false, "Content Type"},
     "3.3.2.3.9",
     ValueRule::kAny},
    {{Id::kResponseTopic, T::kUtf8String, kPublishWill, false, "Response Topic"},
     "3.3.2.3.5",
     ValueRule::kTopicName},
    {{Id::kCorrelationData, T::kBinary, kPublishWill, false, "Correlation Data"},
     "3.3.2.3.6",
     ValueRule::kAny},
    {{Id::kSubscriptionIdentifier, T::kVarInt, scopes({S::kPublish, S::kSubscribe}), true,
      "Subscription Identifier"},
     "3.3.2.3.8",
     ValueRule::kSubscriptionId},
    {{Id::kSessionExpiryInterval, T::kFourByteInteger,
      scopes({S::kConnect, S::kConnack, S::kDisconnect}), false, "Session Expiry Interval"},
     "3.1.2.11.2",
     ValueRule::kAny},
    {{Id::kAssignedClientIdentifier, T::kUtf8String, scopes({S::kConnack}), false,
      "Assigned Client Identifier"},
     "3.2.2.3.7",
     ValueRule::kAny},
    {{Id::kServerKeepAlive, T::kTwoByteInteger, scopes({S::kConnack}), false, "Server Keep Alive"},
     "3.2.2.3.14",
     ValueRule::kAny},
    {{Id::kAuthenticationMethod, T::kUtf8String, kAuthScopes, false, "Authentication Method"},
     "3.1.2.11.9",
     ValueRule::kAny},
    {{Id::kAuthenticationData, T::kBinary, kAuthScopes, false, "Authentication Data"},
     "3.1.2.11.10",
     ValueRule::kAny},
    {{Id::kRequestProblemInformation, T::kByte, scopes({S::kConnect}), false,
      "Request Problem Information"},
     "3.1.2.11.7",
     ValueRule::kZeroOrOne},
    {{Id::kWillDelayInterval, T::kFourByteInteger, scopes({S::kWill}), false,
      "Will Delay Interval"},
     "3.1.3.2.2",
     ValueRule::kAny},
    {{Id::kRequestResponseInformation, T::kByte, scopes({S::kConnect}), false,
      "Request Response Information"},
     "3.1.2.11.6",
     ValueRule::kZeroOrOne},
    {{Id::kResponseInformation, T::kUtf8String, scopes({S::kConnack}), false,
      "Response Information"},
     "3.2.2.3.15",
     ValueRule::kAny},
    {{Id::kServerReference, T::kUtf8String, scopes({S::kConnack, S::kDisconnect}), false,
      "Server Reference"},
     "3.2.2.3.16",
     ValueRule::kAny},
    {{Id::kReasonString, T::kUtf8String, kReasonStringScopes, false, "Reason String"},
     "3.2.2.3.9",
     ValueRule::kAny},
    {{Id::kReceiveMaximum, T::kTwoByteInteger, kConnectConnack, false, "Receive Maximum"},
     "3.1.2.11.3",
     ValueRule::kNonZero},
    {{Id::kTopicAliasMaximum, T::kTwoByteInteger, kConnectConnack, false, "Topic Alias Maximum"},
     "3.1.2.11.5",
     ValueRule::kAny},
    {{Id::kTopicAlias, T::kTwoByteInteger, scopes({S::kPublish}), false, "Topic Alias"},
     "3.3.2.3.4",
     ValueRule::kTopicAlias},
    {{Id::kMaximumQoS, T::kByte, scopes({S::kConnack}), false, "Maximum QoS"},
     "3.2.2.3.4",
     ValueRule::kZeroOrOne},
    {{Id::kRetainAvailable, T::kByte, scopes({S::kConnack}), false, "Retain Available"},
     "3.2.2.3.5",
     ValueRule::kZeroOrOne},
    {{Id::kUserProperty, T::kUtf8StringPair, kEveryScope, true, "User Property"},
     "3.1.2.11.8",
     ValueRule::kAny},
    {{Id::kMaximumPacketSize, T::kFourByteInteger, kConnectConnack, false, "Maximum Packet Size"},
     "3.1.2.11.4",
     ValueRule::kNonZero},
    {{Id::kWildcardSubscriptionAvailable, T::kByte, scopes({S::kConnack}), false,
      "Wildcard Subscription Available"},
     "3.2.2.3.11",
     ValueRule::kZeroOrOne},
    {{Id::kSubscriptionIdentifierAvailable, T::kByte, scopes({S::kConnack}), false,
      "Subscription Identifier Available"},
     "3.2.2.3.12",
     ValueRule::kZeroOrOne},
    {{Id::kSharedSubscriptionAvailable, T::kByte, scopes({S::kConnack}), false,
      "Shared Subscription Available"},
     "3.2.2.3.13",
     ValueRule::kZeroOrOne},
}};

constexpr std::size_t kIdLimit = 0x2B;  // one past the largest identifier defined

// kRuleIndex[id] is the position of `id` in kRules, or -1.
constexpr std::array<std::int8_t, kIdLimit> kRuleIndex = [] {
  std::array<std::int8_t, kIdLimit> index{};
  for (std::int8_t& i : index) i = -1;
  for (std::size_t i = 0; i < kRules.size(); ++i) {
    index[static_cast<std::size_t>(kRules[i].info.id)] = static_cast<std::int8_t>(i);
  }
  return index;
}();

const PropertyRule* find_rule(std::uint32_t id) {
  if (id >= kIdLimit || kRuleIndex[id] < 0) return nullptr;
  return &kRules[static_cast<std::size_t>(kRuleIndex[id])];
}

// One property value as read off the wire; which members are meaningful depends on the type.
struct PropertyValue {
  std::uint32_t number = 0;  // Byte, Two/Four Byte Integer, Variable Byte Integer
  std::string_view text;     // UTF-8 Encoded String, or a String Pair's name
  std::string_view text2;    // a String Pair's value
  BinaryView binary;
};

// Reads a value of `type`; on a short block `r` goes not-ok and the value is meaningless.
PropertyValue read_value(Reader& r, PropertyType type) {
  PropertyValue v;
  switch (type) {
    case T::kByte: v.number = r.u8(); break;
    case T::kTwoByteInteger: v.number = r.u16(); break;
    case T::kFourByteInteger: v.number = r.u32(); break;
    case T::kVarInt: v.number = r.varint(); break;
    case T::kUtf8String: v.text = r.string(); break;
    case T::kBinary: v.binary = r.binary(); break;
    case T::kUtf8StringPair:
      v.text = r.string();
      v.text2 = r.string();
      break;
  }
  return v;
}

MaybeError check_value(const PropertyRule& rule, const PropertyValue& v) {
  if (rule.info.type == T::kUtf8String) {
    if (auto e = detail::check_utf8_field(v.text, "property string is not valid UTF-8")) return e;
  } else if (rule.info.type == T::kUtf8StringPair) {
    if (check_utf8(v.text) != TextError::kNone || check_utf8(v.text2) != TextError::kNone) {
      return detail::malformed("MQTT-1.5.7-1", "User Property is not a valid UTF-8 String Pair");
    }
  }
  switch (rule.value_rule) {
    case ValueRule::kAny: return std::nullopt;
    case ValueRule::kZeroOrOne:
      if (v.number > 1) return detail::protocol_error(rule.section, "property value not 0 or 1");
      return std::nullopt;
    case ValueRule::kNonZero:
      if (v.number == 0) return detail::protocol_error(rule.section, "property value 0");
      return std::nullopt;
    case ValueRule::kTopicAlias:
      if (v.number == 0) {
        return detail::fail(ReasonCode::kTopicAliasInvalid, "MQTT-3.3.2-8", "Topic Alias 0");
      }
      return std::nullopt;
    case ValueRule::kSubscriptionId:
      if (v.number == 0 || v.number > kMaxVarInt) {
        return detail::protocol_error(rule.section, "Subscription Identifier out of range");
      }
      return std::nullopt;
    case ValueRule::kTopicName:
      return detail::check_topic_name_field(v.text, "MQTT-3.3.2-14", "invalid Response Topic");
  }
  return std::nullopt;
}

bool may_repeat(const PropertyRule& rule, PropertyScope scope) {
  // Subscription Identifier repeats in PUBLISH only; SUBSCRIBE carries at most one (3.8.2.1.2).
  if (rule.info.id == Id::kSubscriptionIdentifier) return scope == S::kPublish;
  return rule.info.may_repeat;
}

// Stores a single-valued property's value into its Properties member and marks it present.
void store_single(PropertyId id, const PropertyValue& v, Properties* out) {
  out->mark(id);
  detail::for_each_single_valued_property([&](PropertyId member_id, auto member) {
    if (member_id != id) return;
    using Member = std::remove_cvref_t<decltype(out->*member)>;
    if constexpr (std::is_same_v<Member, std::string_view>) {
      out->*member = v.text;
    } else if constexpr (std::is_same_v<Member, BinaryView>) {
      out->*member = v.binary;
    } else {
      out->*member = static_cast<Member>(v.number);
    }
  });
}

struct BlockState {
  std::uint64_t seen = 0;  // bit (1 << id) per identifier met so far
  std::size_t user_properties = 0;
  std::size_t subscription_identifiers = 0;
};

MaybeError decode_property(Reader& p, PropertyScope scope, BlockState* state, Properties* out) {
  const std::uint32_t id = p.varint();
  if (!p.ok()) return detail::malformed("2.2.2.2", "Property Identifier overruns the block");
  const PropertyRule* rule = find_rule(id);
  if (rule == nullptr) return detail::malformed("2.2.2.2", "unknown Property Identifier");
  if ((rule->info.allowed_scopes & scope_bit(scope)) == 0) {
    return detail::malformed("2.2.2.2", "property not allowed in this packet");
  }
  const std::uint64_t bit = std::uint64_t{1} << id;
  if ((state->seen & bit) != 0 && !may_repeat(*rule, scope)) {
    const bool subscribe_id = rule->info.id == Id::kSubscriptionIdentifier;
    return detail::protocol_error(subscribe_id ? "3.8.2.1.2" : rule->section,
                                  "property included more than once");
  }
  state->seen |= bit;
  const PropertyValue v = read_value(p, rule->info.type);
  if (!p.ok()) return detail::malformed("2.2.2.2", "property value overruns the block");
  if (auto e = check_value(*rule, v)) return e;
  if (rule->info.id == Id::kUserProperty) {
    ++state->user_properties;
  } else if (rule->info.id == Id::kSubscriptionIdentifier) {
    ++state->subscription_identifiers;
  } else {
    store_single(rule->info.id, v, out);
  }
  return std::nullopt;
}

// Moves `r` past the next property of a validated block and returns its rule (nullptr at the
// end of the block, or if the block was not validated after all).
const PropertyRule* next_property(Reader& r, PropertyValue* value) {
  if (r.at_end()) return nullptr;
  const PropertyRule* rule = find_rule(r.varint());
  if (rule == nullptr) return nullptr;
  *value = read_value(r, rule->info.type);
  return r.ok() ? rule : nullptr;
}

}  // namespace

const PropertyInfo* find_property(std::uint8_t id) {
  const PropertyRule* rule = find_rule(id);
  return rule == nullptr ? nullptr : &rule->info;
}

StringPair WireElement<StringPair>::read(Reader& r) {
  PropertyValue v;
  while (const PropertyRule* rule = next_property(r, &v)) {
    if (rule->info.id == Id::kUserProperty) return {v.text, v.text2};
  }
  return {};
}

std::uint32_t WireElement<std::uint32_t>::read(Reader& r) {
  PropertyValue v;
  while (const PropertyRule* rule = next_property(r, &v)) {
    if (rule->info.id == Id::kSubscriptionIdentifier) return v.number;
  }
  return 0;
}

namespace detail {

MaybeError decode_properties(Reader& r, PropertyScope scope, Properties* out) {
  const std::uint32_t length = r.varint();
  if (!r.ok()) return malformed("2.2.2.1", "Property Length overruns the packet");
  if (length > r.remaining()) return malformed("2.2.2.1", "property block overruns the packet");
  const Body block = r.bytes(length);
  Reader p(block);
  BlockState state;
  while (!p.at_end()) {
    if (auto e = decode_property(p, scope, &state, out)) return e;
  }
  if (scope == S::kConnect && out->has(Id::kAuthenticationData) &&
      !out->has(Id::kAuthenticationMethod)) {
    return protocol_error("3.1.2.11.10", "Authentication Data without Authentication Method");
  }
  out->user_properties = WireList<StringPair>::FromWire(block, state.user_properties);
  out->subscription_identifiers =
      WireList<std::uint32_t>::FromWire(block, state.subscription_identifiers);
  return std::nullopt;
}

}  // namespace detail
}  // namespace rmq::codec
