#include "broker/acl_file.h"

#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "codec/validate.h"
#include "router/topic.h"

namespace rmq::broker {
namespace {

std::string_view trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t\r");
  return s.substr(begin, end - begin + 1);
}

// Splits the first word off `rest` (which becomes the trimmed remainder).
std::string_view take_word(std::string_view& rest) {
  const auto end = rest.find_first_of(" \t");
  const std::string_view word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
  return word;
}

// The access a word names: kAcl* bits, 0 for deny, -1 when it names none.
int access_word(std::string_view word) {
  if (word == "read") return kAclRead;
  if (word == "write") return kAclWrite;
  if (word == "readwrite") return kAclReadWrite;
  if (word == "deny") return 0;
  return -1;
}

void add_rule(AclRuleSet& set, std::string filter, int access) {
  (access == 0 ? set.deny : set.grant)
      .push_back(make_acl_rule(std::move(filter), static_cast<std::uint8_t>(access)));
}

// `filter` with %c and %u replaced by `client_id` and `username`.
std::string substitute(std::string_view filter, std::string_view client_id,
                       std::string_view username) {
  std::string out;
  out.reserve(filter.size() + client_id.size() + username.size());
  for (std::size_t i = 0; i < filter.size(); ++i) {
    if (filter[i] == '%' && i + 1 < filter.size() &&
        (filter[i + 1] == 'c' || filter[i + 1] == 'u')) {
      out += filter[i + 1] == 'c' ? client_id : username;
      ++i;
      continue;
    }
    out += filter[i];
  }
  return out;
}

struct LineParser {
  AclRules& rules;
  AclRuleSet* current;  // the set `topic` lines go to

  // Empty on success, else what is wrong with the line.
  std::string parse(std::string_view line) {
    std::string_view rest = trim(line);
    if (rest.empty() || rest.front() == '#') return {};
    const std::string_view keyword = take_word(rest);
    if (keyword == "user") {
      if (rest.empty()) return "`user` needs a username";
      current = &rules.users[std::string(rest)];
      return {};
    }
    if (keyword != "topic" && keyword != "pattern") {
      return "unknown directive '" + std::string(keyword) + "' (expected user, topic or pattern)";
    }
    if (rest.empty()) return "`" + std::string(keyword) + "` needs a topic filter";
    int access = kAclReadWrite;
    std::string_view filter = rest;
    const std::string_view first = take_word(rest);
    if (!rest.empty()) {  // two words or more: the first is the access
      access = access_word(first);
      if (access < 0) {
        return "unknown access '" + std::string(first) +
               "' (expected read, write, readwrite or deny)";
      }
      filter = rest;
    }
    const bool pattern = keyword == "pattern";
    // A pattern is checked with its substitutions standing for one plain level each.
    const std::string checked = pattern ? substitute(filter, "c", "u") : std::string(filter);
    if (codec::check_topic_filter(checked) != codec::TextError::kNone ||
        !codec::split_shared(checked).group.empty()) {
      return "invalid topic filter '" + std::string(filter) + "'";
    }
    if (pattern) {
      rules.patterns_use_client_id |= filter.find("%c") != std::string_view::npos;
      rules.patterns_use_username |= filter.find("%u") != std::string_view::npos;
    }
    add_rule(pattern ? rules.patterns : *current, std::string(filter), access);
    return {};
  }
};

// Walks the levels of `rule` and `filter` side by side without allocating: fn(rule_level,
// filter_level) returns 1 (covered), 0 (not covered) or -1 (go on to the next levels).
template <typename Fn>
bool each_level_pair(std::string_view rule, std::string_view filter, Fn&& fn) {
  while (true) {
    const std::size_t rs = rule.find('/');
    const std::size_t fs = filter.find('/');
    const std::string_view r = rule.substr(0, rs);
    const std::string_view f = filter.substr(0, fs);
    const int verdict = fn(r, f);
    if (verdict >= 0) return verdict != 0;
    const bool rule_end = rs == std::string_view::npos;
    const bool filter_end = fs == std::string_view::npos;
    if (rule_end || filter_end) {
      // Only "a/#" may still cover the filter "a" (its '#' matches the parent level).
      return rule_end && filter_end ? true : (!rule_end && rule.substr(rs + 1) == "#");
    }
    rule = rule.substr(rs + 1);
    filter = filter.substr(fs + 1);
  }
}

}  // namespace

AclRule make_acl_rule(std::string filter, std::uint8_t access) {
  AclRule rule;
  const std::size_t wildcard = filter.find_first_of("+#");
  rule.literal = wildcard == std::string::npos;
  rule.prefix = static_cast<std::uint32_t>(rule.literal ? filter.size() : wildcard);
  // "a/#" matches "a" too: the '/' before a final '#' is not required.
  if (!rule.literal && filter[wildcard] == '#' && wildcard > 0) --rule.prefix;
  rule.filter = std::move(filter);
  rule.access = access;
  return rule;
}

const AclRuleSet* AclRules::for_user(std::string_view username) const {
  if (username.empty()) return &anonymous;
  const auto it = users.find(username);
  return it == users.end() ? nullptr : &it->second;
}

AclParse parse_acl(std::string_view text, std::string_view name) {
  auto rules = std::make_shared<AclRules>();
  LineParser parser{*rules, &rules->anonymous};
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const std::size_t eol = text.find('\n');
    const std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view{} : text.substr(eol + 1);
    std::string why = parser.parse(line);
    if (!why.empty()) {
      return AclParse{nullptr, std::string(name) + ":" + std::to_string(number) + ": " + why};
    }
  }
  return AclParse{std::move(rules), {}};
}

AclParse load_acl_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return AclParse{nullptr, path + ": cannot read the ACL file"};
  std::ostringstream text;
  text << in.rdbuf();
  return parse_acl(text.str(), path);
}

bool acl_rule_matches(const AclRule& rule, std::string_view topic) {
  if (rule.literal) return rule.filter == topic;
  if (topic.size() < rule.prefix ||
      std::memcmp(topic.data(), rule.filter.data(), rule.prefix) != 0) {
    return false;
  }
  return router::filter_matches(rule.filter, topic);
}

bool acl_rule_covers(std::string_view rule, std::string_view filter) {
  if (!filter.empty() && filter.front() == '$' && !rule.empty() &&
      (rule.front() == '+' || rule.front() == '#')) {
    return false;  // [MQTT-4.7.2-1]: a wildcard first level does not reach '$' topics
  }
  // -1: go on; 0: not covered; 1: covered.
  return each_level_pair(rule, filter, [](std::string_view r, std::string_view f) {
    if (r == "#") return 1;
    if (f == "#") return 0;  // only '#' covers '#'
    if (r == "+") return -1;
    return r == f ? -1 : 0;  // a literal rule level matches the same literal only
  });
}

std::uint8_t acl_topic_access(const AclRuleSet* first, const AclRuleSet* second,
                              std::string_view topic) {
  const AclRuleSet* sets[2] = {first, second};
  for (const AclRuleSet* set : sets) {
    if (set == nullptr) continue;
    for (const AclRule& rule : set->deny) {
      if (acl_rule_matches(rule, topic)) return 0;
    }
  }
  std::uint8_t access = 0;
  for (const AclRuleSet* set : sets) {
    if (set == nullptr) continue;
    for (const AclRule& rule : set->grant) {
      if ((access | rule.access) != access && acl_rule_matches(rule, topic)) {
        access |= rule.access;
        if (access == kAclReadWrite) return access;
      }
    }
  }
  return access;
}

SessionAcl::SessionAcl(std::shared_ptr<const AclRules> rules, std::uint64_t generation,
                       std::string_view client_id, SharedString username)
    : rules_(std::move(rules)), generation_(generation), username_(std::move(username)) {
  user_ = rules_->for_user(username_.view());
  const bool dangerous_id =
      rules_->patterns_use_client_id && client_id.find_first_of("+#") != std::string_view::npos;
  const bool dangerous_user = rules_->patterns_use_username &&
                              username_.view().find_first_of("+#") != std::string_view::npos;
  if (dangerous_id || dangerous_user) {
    deny_all_ = true;  // a substituted '+' or '#' would widen the pattern: fail closed
    return;
  }
  const auto add = [&](const std::vector<AclRule>& from, int access) {
    for (const AclRule& rule : from) {
      // A %u pattern does not apply to a client without a username (as Mosquitto).
      if (username_.empty() && rule.filter.find("%u") != std::string::npos) continue;
      add_rule(patterns_, substitute(rule.filter, client_id, username_.view()),
               access < 0 ? rule.access : access);
    }
  };
  add(rules_->patterns.deny, 0);
  add(rules_->patterns.grant, -1);
}

std::uint8_t SessionAcl::topic_access_uncached(std::string_view topic) const {
  if (deny_all_) return 0;
  return acl_topic_access(user_, patterns_.empty() ? nullptr : &patterns_, topic);
}

std::uint8_t SessionAcl::topic_access(std::string_view topic) {
  if (topic.size() > kCachedTopicMax) {
    ++misses_;
    return topic_access_uncached(topic);
  }
  const auto hash = static_cast<std::uint32_t>(std::hash<std::string_view>()(topic));
  for (std::size_t i = 0; i < kCacheEntries; ++i) {
    if (hashes_[i] != hash) continue;
    const CacheEntry& entry = cache_[i];
    if (entry.size == topic.size() && std::memcmp(entry.topic, topic.data(), topic.size()) == 0) {
      ++hits_;
      return entry.access;
    }
  }
  ++misses_;
  const std::uint8_t access = topic_access_uncached(topic);
  const std::uint32_t victim = next_victim_;
  next_victim_ = (victim + 1) % kCacheEntries;
  hashes_[victim] = hash;
  CacheEntry& entry = cache_[victim];
  entry.size = static_cast<std::uint8_t>(topic.size());
  entry.access = access;
  std::memcpy(entry.topic, topic.data(), topic.size());
  return access;
}

bool SessionAcl::may_subscribe(std::string_view filter) const {
  if (deny_all_) return false;
  filter = codec::split_shared(filter).filter;
  const AclRuleSet* sets[2] = {user_, patterns_.empty() ? nullptr : &patterns_};
  for (const AclRuleSet* set : sets) {
    if (set == nullptr) continue;
    for (const AclRule& rule : set->deny) {
      if (acl_rule_covers(rule.filter, filter)) return false;
    }
  }
  for (const AclRuleSet* set : sets) {
    if (set == nullptr) continue;
    for (const AclRule& rule : set->grant) {
      if ((rule.access & kAclRead) != 0 && acl_rule_covers(rule.filter, filter)) return true;
    }
  }
  return false;
}

std::unique_ptr<AclAccess> AclAccess::load(const std::string& path, std::string* error) {
  AclParse parsed = load_acl_file(path);
  if (parsed.rules == nullptr) {
    if (error != nullptr) *error = std::move(parsed.error);
    return nullptr;
  }
  return std::make_unique<AclAccess>(path, std::move(parsed.rules));
}

AclAccess::AclAccess(std::string path, std::shared_ptr<const AclRules> rules)
    : path_(std::move(path)), rules_(std::move(rules)) {}

Status AclAccess::reload(std::string* error) {
  AclParse parsed = load_acl_file(path_);
  if (parsed.rules == nullptr) {
    if (error != nullptr) *error = std::move(parsed.error);
    return Status(StatusCode::kInvalidArgument, "ACL file not reloaded");
  }
  std::lock_guard lock(mutex_);
  rules_ = std::move(parsed.rules);
  generation_.fetch_add(1, std::memory_order_release);
  return OkStatus();
}

std::shared_ptr<const AclRules> AclAccess::rules() const {
  std::lock_guard lock(mutex_);
  return rules_;
}

std::unique_ptr<SessionAcl> AclAccess::compile(std::string_view client_id,
                                               SharedString username) const {
  std::shared_ptr<const AclRules> rules;
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mutex_);
    rules = rules_;
    generation = generation_.load(std::memory_order_relaxed);
  }
  return std::make_unique<SessionAcl>(std::move(rules), generation, client_id, std::move(username));
}

}  // namespace rmq::broker
