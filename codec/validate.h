// Text rules of MQTT shared by the codec, router and broker: UTF-8 strings (MQTT 5.0 1.5.4),
// topic names and topic filters (4.7), shared subscriptions (4.8.2).
#pragma once

#include <string_view>

namespace rmq::codec {

enum class TextError : unsigned char {
  kNone,
  kInvalidUtf8,      // ill-formed UTF-8 or a surrogate (U+D800..U+DFFF) [MQTT-1.5.4-1]
  kNullCharacter,    // U+0000 [MQTT-1.5.4-2]
  kEmpty,            // topic names and filters are at least one character [MQTT-4.7.3-1]
  kWildcardInTopic,  // '+' or '#' in a topic name [MQTT-3.3.2-2]
  kBadMultiLevel,    // '#' not alone in the last level [MQTT-4.7.1-1]
  kBadSingleLevel,   // '+' not alone in its level [MQTT-4.7.1-2]
  kBadShareName,     // $share/{group}/{filter}: empty group, or group with '/', '+', '#'
                     // [MQTT-4.8.2-1], [MQTT-4.8.2-2]
};

// Well-formed UTF-8, no surrogates, no U+0000.
TextError check_utf8(std::string_view text);
// A topic name as in PUBLISH or a will: UTF-8 rules, non-empty, no wildcards.
TextError check_topic_name(std::string_view topic);
// A topic filter as in SUBSCRIBE/UNSUBSCRIBE, including the $share/{group}/{filter} form.
TextError check_topic_filter(std::string_view filter);

struct SharedFilter {
  std::string_view group;   // empty when the filter is not shared
  std::string_view filter;  // the filter proper (the whole input when not shared)
};
// Splits "$share/g/f" into {"g", "f"}; any other filter into {"", filter}. Call after
// check_topic_filter() has passed.
SharedFilter split_shared(std::string_view filter);

}  // namespace rmq::codec
