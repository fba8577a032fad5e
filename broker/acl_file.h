// Per-topic authorisation from a Mosquitto-format ACL file (`--acl-file`, mosquitto.conf(5)).
//
// File format, one directive per line, `#` comments and blank lines ignored:
//   user NAME                         the rules below belong to clients with this username
//   topic [read|write|readwrite|deny] FILTER     (no access word: readwrite)
//   pattern [read|write|readwrite|deny] FILTER   every client; %c = client id, %u = username
// `topic` lines before any `user` line apply to anonymous clients (no username). Filters match
// with MQTT wildcard semantics; a `deny` rule that matches wins over every grant; no matching
// grant is a refusal.
//
// Three layers: AclRules (the parsed file, immutable, shared), SessionAcl (one session's rules:
// its user's rule set by pointer plus its patterns substituted once, and a small cache of recent
// topic decisions), AclAccess (the current AclRules of the broker and its reload).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "broker/shared_string.h"

namespace rmq::broker {

// Access bits: what a rule grants, what a decision allows.
inline constexpr std::uint8_t kAclRead = 1;
inline constexpr std::uint8_t kAclWrite = 2;
inline constexpr std::uint8_t kAclReadWrite = kAclRead | kAclWrite;

struct AclRule {
  std::string filter;
  std::uint8_t access = 0;  // kAcl* bits granted; unused in a deny rule
  bool literal = false;     // no wildcard: matched by equality
  // Characters every topic the filter matches starts with (before its first wildcard, without
  // the '/' before a final "#"): compared first, so most rules are passed over with one memcmp.
  std::uint32_t prefix = 0;
};
// A rule for `filter` (valid), with `literal` and `prefix` set.
AclRule make_acl_rule(std::string filter, std::uint8_t access);

// One owner's rules, deny rules apart so they are tried first.
struct AclRuleSet {
  std::vector<AclRule> deny;
  std::vector<AclRule> grant;
  bool empty() const { return deny.empty() && grant.empty(); }
  std::size_t size() const { return deny.size() + grant.size(); }
};

struct AclRules {
  AclRuleSet anonymous;                                  // before any `user` line
  std::map<std::string, AclRuleSet, std::less<>> users;  // by username
  AclRuleSet patterns;                                   // filters still holding %c / %u
  bool patterns_use_client_id = false;
  bool patterns_use_username = false;

  // The rule set of a client: the anonymous one for an empty username; null for a user with no
  // `user` block (only patterns apply to it).
  const AclRuleSet* for_user(std::string_view username) const;
};

// Parsing: the rules, or a one-line error "NAME:LINE: what" (rules is null then).
struct AclParse {
  std::shared_ptr<const AclRules> rules;
  std::string error;
};
AclParse parse_acl(std::string_view text, std::string_view name);
AclParse load_acl_file(const std::string& path);

// Whether `rule` matches a topic name (MQTT wildcard semantics, [MQTT-4.7.2-1] for '$' topics).
bool acl_rule_matches(const AclRule& rule, std::string_view topic);
// Whether the ACL filter `rule` covers the subscription filter `filter`: `filter` matched as a
// topic, its wildcard levels matched only by wildcards of the rule ('+' by '+' or '#', '#' by
// '#'), so every topic the subscription can receive is one the rule matches.
bool acl_rule_covers(std::string_view rule, std::string_view filter);

// Decision over one or two rule sets: 0 when a deny rule matches, else the union of the access of
// every matching grant.
std::uint8_t acl_topic_access(const AclRuleSet* first, const AclRuleSet* second,
                              std::string_view topic);

// One session's compiled ACL. Built when the session connects (its identity fixed then) and
// rebuilt when the rules are reloaded (generation()). Belongs to the session's shard thread;
// topic_access() updates the cache, so it is not const and not thread-safe.
class SessionAcl {
 public:
  // Topics up to this length are cached; longer ones are decided every time.
  static constexpr std::size_t kCachedTopicMax = 58;
  static constexpr std::size_t kCacheEntries = 8;

  // `rules` is kept alive for the session's rule set; `username` empty: anonymous.
  SessionAcl(std::shared_ptr<const AclRules> rules, std::uint64_t generation,
             std::string_view client_id, SharedString username);

  // kAcl* bits the session has on a topic name; from the cache when it was decided recently.
  // Allocates nothing.
  std::uint8_t topic_access(std::string_view topic);
  std::uint8_t topic_access_uncached(std::string_view topic) const;
  bool may_read(std::string_view topic) { return (topic_access(topic) & kAclRead) != 0; }
  bool may_write(std::string_view topic) { return (topic_access(topic) & kAclWrite) != 0; }
  // Whether the session may subscribe to `filter` ($share/{group}/ is ignored): a read grant
  // covers it and no deny rule does.
  bool may_subscribe(std::string_view filter) const;

  std::uint64_t generation() const { return generation_; }
  const SharedString& username() const { return username_; }
  std::uint64_t cache_hits() const { return hits_; }
  std::uint64_t cache_misses() const { return misses_; }

 private:
  // The cache is fully associative: the hashes sit together (one cache line to scan), the
  // entries hold the topics to confirm a hit; a new decision replaces entries in turn.
  struct CacheEntry {
    std::uint8_t size = 0;  // 0: empty (a topic is never empty)
    std::uint8_t access = 0;
    char topic[kCachedTopicMax];
  };
  static_assert(sizeof(CacheEntry) == 60);

  std::shared_ptr<const AclRules> rules_;
  const AclRuleSet* user_ = nullptr;  // in rules_
  AclRuleSet patterns_;               // substituted for this session
  bool deny_all_ = false;             // a pattern would substitute an identity holding '+' or '#'
  std::uint64_t generation_;
  SharedString username_;
  std::uint64_t hits_ = 0;
  std::uint64_t misses_ = 0;
  std::uint32_t next_victim_ = 0;
  std::array<std::uint32_t, kCacheEntries> hashes_{};
  std::array<CacheEntry, kCacheEntries> cache_{};
};

// The broker's current ACL: the rules of --acl-file and their generation. Any thread may call
// every method; reload() swaps the rules atomically (readers keep the set they hold) and bumps
// the generation, which sessions compare on each check to rebuild their SessionAcl.
class AclAccess {
 public:
  // Reads `path`; null with `error` set ("PATH:LINE: what") when it cannot.
  static std::unique_ptr<AclAccess> load(const std::string& path, std::string* error);
  AclAccess(std::string path, std::shared_ptr<const AclRules> rules);

  // Re-reads the file. On error the current rules stay, `error` (if given) says why.
  Status reload(std::string* error = nullptr);
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  std::shared_ptr<const AclRules> rules() const;
  // A session's compiled ACL under the current rules.
  std::unique_ptr<SessionAcl> compile(std::string_view client_id, SharedString username) const;
  const std::string& path() const { return path_; }

 private:
  const std::string path_;
  mutable std::mutex mutex_;
  std::shared_ptr<const AclRules> rules_;  // guarded by mutex_
  std::atomic<std::uint64_t> generation_{1};
};

}  // namespace rmq::broker
