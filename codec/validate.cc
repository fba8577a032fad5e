// UTF-8 (MQTT 5.0 1.5.4), topic name and topic filter (4.7) and shared subscription (4.8.2)
// rules. Every function walks its input once, with bounds checked on each byte.
#include "codec/validate.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "codec/decode_internal.h"

namespace rmq::codec {
namespace {

constexpr std::string_view kSharePrefix = "$share/";

enum class Utf8Status : unsigned char { kOk, kIllFormed, kNull };
// UTF-8 Encoded Strings may not contain U+0000 [MQTT-1.5.4-2]; UTF-8 character data may.
enum class NullPolicy : unsigned char { kReject, kAllow };

// Length of the sequence led by `lead`, with the range its second byte must fall in (RFC 3629
// section 4: this excludes overlong forms, surrogates and code points above U+10FFFF); 0 when
// `lead` cannot start a sequence.
struct LeadInfo {
  std::size_t length;
  std::uint8_t second_min;
  std::uint8_t second_max;
};
constexpr LeadInfo lead_info(std::uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return {2, 0x80, 0xBF};
  if (lead == 0xE0) return {3, 0xA0, 0xBF};
  if (lead == 0xED) return {3, 0x80, 0x9F};  // U+D800..U+DFFF would follow 0xED 0xA0..0xBF
  if (lead >= 0xE1 && lead <= 0xEF) return {3, 0x80, 0xBF};
  if (lead == 0xF0) return {4, 0x90, 0xBF};
  if (lead >= 0xF1 && lead <= 0xF3) return {4, 0x80, 0xBF};
  if (lead == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};  // 0x80..0xC1 (continuation or overlong lead), 0xF5..0xFF
}

// Walks `bytes` once. Reports the first problem found, in byte order.
Utf8Status scan_utf8(std::span<const std::uint8_t> bytes, NullPolicy nulls) {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    const std::uint8_t lead = bytes[i];
    if (lead < 0x80) {
      if (lead == 0 && nulls == NullPolicy::kReject) return Utf8Status::kNull;
      ++i;
      continue;
    }
    const LeadInfo info = lead_info(lead);
    if (info.length == 0 || n - i < info.length) return Utf8Status::kIllFormed;
    const std::uint8_t second = bytes[i + 1];
    if (second < info.second_min || second > info.second_max) return Utf8Status::kIllFormed;
    for (std::size_t k = 2; k < info.length; ++k) {
      if ((bytes[i + k] & 0xC0) != 0x80) return Utf8Status::kIllFormed;
    }
    i += info.length;
  }
  return Utf8Status::kOk;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

// Level-by-level wildcard rules of a Topic Filter (MQTT 5.0 4.7.1), `filter` non-empty.
TextError check_filter_levels(std::string_view filter) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = filter.find('/', start);
    const bool last = slash == std::string_view::npos;
    const std::string_view level =
        filter.substr(start, last ? std::string_view::npos : slash - start);
    if (level.find('#') != std::string_view::npos && (level != "#" || !last)) {
      return TextError::kBadMultiLevel;
    }
    if (level.find('+') != std::string_view::npos && level != "+") {
      return TextError::kBadSingleLevel;
    }
    if (last) return TextError::kNone;
    start = slash + 1;
  }
}

}  // namespace

TextError check_utf8(std::string_view text) {
  switch (scan_utf8(as_bytes(text), NullPolicy::kReject)) {
    case Utf8Status::kOk: return TextError::kNone;
    case Utf8Status::kNull: return TextError::kNullCharacter;
    case Utf8Status::kIllFormed: return TextError::kInvalidUtf8;
  }
  return TextError::kInvalidUtf8;
}

TextError check_topic_name(std::string_view topic) {
  if (const TextError e = check_utf8(topic); e != TextError::kNone) return e;
  if (topic.empty()) return TextError::kEmpty;
  if (topic.find_first_of("+#") != std::string_view::npos) return TextError::kWildcardInTopic;
  return TextError::kNone;
}

TextError check_topic_filter(std::string_view filter) {
  if (const TextError e = check_utf8(filter); e != TextError::kNone) return e;
  if (filter.empty()) return TextError::kEmpty;
  if (filter.starts_with(kSharePrefix)) {
    const std::string_view rest = filter.substr(kSharePrefix.size());
    const std::size_t slash = rest.find('/');
    if (slash == 0 || slash == std::string_view::npos) return TextError::kBadShareName;
    const std::string_view group = rest.substr(0, slash);
    if (group.find_first_of("+#") != std::string_view::npos) return TextError::kBadShareName;
    filter = rest.substr(slash + 1);
    if (filter.empty()) return TextError::kBadShareName;  // "/" MUST be followed by a filter
  }
  return check_filter_levels(filter);
}

SharedFilter split_shared(std::string_view filter) {
  if (!filter.starts_with(kSharePrefix)) return {{}, filter};
  const std::string_view rest = filter.substr(kSharePrefix.size());
  const std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return {{}, filter};
  return {rest.substr(0, slash), rest.substr(slash + 1)};
}

namespace detail {

bool is_well_formed_utf8(std::span<const std::uint8_t> bytes) {
  return scan_utf8(bytes, NullPolicy::kAllow) == Utf8Status::kOk;
}

}  // namespace detail
}  // namespace rmq::codec
