#include "router/topic.h"

namespace rmq::router {

void split_levels(std::string_view text, std::vector<std::string_view>& levels) {
  levels.clear();
  for_each_level(text, [&levels](std::string_view level) { levels.push_back(level); });
}

bool is_wildcard_filter(std::string_view filter) {
  // In a valid filter, '+' and '#' only ever appear as whole levels.
  return filter.find_first_of("+#") != std::string_view::npos;
}

namespace {

// Splits off the first level of `text`; `text` becomes the rest, `more` whether a '/' followed.
std::string_view take_level(std::string_view& text, bool& more) {
  const std::size_t slash = text.find('/');
  more = slash != std::string_view::npos;
  const std::string_view level = text.substr(0, slash);
  text = more ? text.substr(slash + 1) : std::string_view{};
  return level;
}

}  // namespace

bool filter_matches(std::string_view filter, std::string_view topic) {
  if (!topic.empty() && topic.front() == '$' && !filter.empty() &&
      (filter.front() == '+' || filter.front() == '#')) {
    return false;
  }
  bool filter_more = true;
  bool topic_more = true;
  while (filter_more) {
    const std::string_view f = take_level(filter, filter_more);
    if (f == "#") return true;  // the rest, including no level at all
    if (!topic_more) return false;
    const std::string_view t = take_level(topic, topic_more);
    if (f != "+" && f != t) return false;
  }
  return !topic_more;
}

}  // namespace rmq::router
