// Topic tokenizer and single-filter matching (MQTT 5.0 section 4.7).
//
// Levels are the '/'-separated parts of a topic or filter; empty levels are levels ("a//b" has
// three, "/" has two). Inputs are assumed valid (codec::check_topic_name / check_topic_filter).
#pragma once

#include <string_view>
#include <vector>

namespace rmq::router {

// Replaces the contents of `levels` with the levels of `text` (views into `text`).
void split_levels(std::string_view text, std::vector<std::string_view>& levels);

// Calls fn(level) for each level of `text`, in order, without allocating.
template <typename Fn>
void for_each_level(std::string_view text, Fn&& fn) {
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) {
      fn(text.substr(start));
      return;
    }
    fn(text.substr(start, slash - start));
    start = slash + 1;
  }
}

// True when a valid, non-shared filter contains a '+' or '#' level.
bool is_wildcard_filter(std::string_view filter);

// Whether a non-shared `filter` matches `topic`, including the rule that a filter whose first
// level is a wildcard does not match a topic starting with '$' [MQTT-4.7.2-1]. O(length), no
// allocation. For one-off checks (ACLs); the index does not use it.
bool filter_matches(std::string_view filter, std::string_view topic);

}  // namespace rmq::router
