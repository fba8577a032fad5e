// RetainedStore: the retained message of each topic (MQTT 5.0 3.3.1.3), and the lookup of all
// retained messages matching a filter when a subscription is made.
//
// Concurrency: any shard may store and any shard may look up. Every operation takes one mutex.
// That is acceptable here because the store is not on the per-message fan-out path: it is touched
// only by PUBLISH packets with the RETAIN flag and by SUBSCRIBE. Lookups return shared references
// (RetainedPtr), so the caller sends them after the lock is released.
//
// Limits: at most max_messages topics and max_bytes bytes (RetainedMessage::size_bytes()). A new
// topic that would cross a limit is refused and counted; replacing a topic's message is accepted
// when the store still fits afterwards. Before refusing, the store drops the messages whose
// expiry has passed (at most once per second of message time).
//
// Expiry: a message whose Message Expiry Interval has passed is never returned; it is removed
// when a lookup meets it, or by purge_expired().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "router/retained_message.h"

namespace rmq::router {

struct RetainedLimits {
  std::size_t max_messages = 1'000'000;
  std::size_t max_bytes = std::size_t{1} << 30;
};

enum class RetainOutcome : std::uint8_t {
  kStored,           // a new topic
  kReplaced,         // the topic's previous message was replaced
  kDeleted,          // empty payload: the topic's message was removed
  kNothingToDelete,  // empty payload, and the topic had no message
  kRefusedCount,     // a new topic over max_messages
  kRefusedBytes,     // over max_bytes
};

struct RetainedStats {
  std::size_t messages = 0;
  std::size_t bytes = 0;
  std::uint64_t refused = 0;  // set() calls refused for a limit
  std::uint64_t expired = 0;  // messages dropped because their expiry passed
};

class RetainedStore {
 public:
  explicit RetainedStore(const RetainedLimits& limits = {});
  ~RetainedStore();
  RetainedStore(const RetainedStore&) = delete;
  RetainedStore& operator=(const RetainedStore&) = delete;

  // Stores `message` as the retained message of its topic; an empty payload deletes the topic's
  // retained message instead [MQTT-3.3.1-6].
  RetainOutcome set(RetainedPtr message);
  RetainOutcome remove(std::string_view topic);

  // Appends to `out` a share of every unexpired retained message whose topic matches `filter` (a
  // non-shared filter; a filter whose first level is a wildcard does not match topics starting
  // with '$'). kInvalidArgument for an invalid or shared filter.
  Status lookup(std::string_view filter, MonoTime now, std::vector<RetainedPtr>& out);
  // The retained message of exactly `topic`, null when none (or expired).
  RetainedPtr find(std::string_view topic, MonoTime now);
  // Appends a share of every stored message whose topic `keep` accepts (one lock hold).
  template <typename Keep>
  void collect_all(std::vector<RetainedPtr>& out, Keep&& keep) const {
    std::lock_guard<std::mutex> lock(mutex_);
    collect_all_locked(root_, out, keep);
  }
  // Drops every message expired at `now`; returns how many.
  std::size_t purge_expired(MonoTime now);

  RetainedStats stats() const;

 private:
  struct Node;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Children = std::unordered_map<std::string, std::unique_ptr<Node>, Hash, std::equal_to<>>;
  struct Node {
    Children children;
    RetainedPtr message;
  };

  Node* find_node(std::string_view topic);
  Node& make_node(std::string_view topic);
  // Drops the message of `topic` and the nodes left with neither message nor children.
  void erase_message(std::string_view topic);
  RetainOutcome check_limits(const RetainedMessage& incoming, const Node* existing) const;
  void sweep_if_due(MonoTime now);
  template <typename Keep>
  static void collect_all_locked(const Node& node, std::vector<RetainedPtr>& out, Keep& keep) {
    if (node.message && keep(node.message->topic())) out.push_back(node.message.share());
    for (const auto& [name, child] : node.children) collect_all_locked(*child, out, keep);
  }
  std::size_t purge_locked(MonoTime now);
  void collect(const Node& node, MonoTime now, std::vector<RetainedPtr>& out,
               std::vector<std::string>& expired) const;

  const RetainedLimits limits_;
  mutable std::mutex mutex_;  // guards everything below
  Node root_;
  std::size_t messages_ = 0;
  std::size_t bytes_ = 0;
  std::uint64_t refused_ = 0;
  std::uint64_t expired_ = 0;
  MonoTime last_sweep_{};
  bool swept_ = false;
};

}  // namespace rmq::router
