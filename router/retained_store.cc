#include "router/retained_store.h"

#include <chrono>
#include <utility>

#include "base/assert.h"
#include "codec/validate.h"
#include "router/topic.h"

namespace rmq::router {
namespace {
constexpr auto kSweepInterval = std::chrono::seconds(1);
}  // namespace

RetainedStore::RetainedStore(const RetainedLimits& limits) : limits_(limits) {}

RetainedStore::~RetainedStore() {
  // Iterative teardown: topics may be thousands of levels deep.
  std::vector<std::unique_ptr<Node>> pending;
  for (auto& [level, child] : root_.children) pending.push_back(std::move(child));
  while (!pending.empty()) {
    std::unique_ptr<Node> node = std::move(pending.back());
    pending.pop_back();
    for (auto& [level, child] : node->children) pending.push_back(std::move(child));
  }
}

RetainedStore::Node* RetainedStore::find_node(std::string_view topic) {
  Node* node = &root_;
  for_each_level(topic, [&node](std::string_view level) {
    if (node == nullptr) return;
    auto it = node->children.find(level);
    node = it == node->children.end() ? nullptr : it->second.get();
  });
  return node;
}

RetainedStore::Node& RetainedStore::make_node(std::string_view topic) {
  Node* node = &root_;
  for_each_level(topic, [&node](std::string_view level) {
    auto it = node->children.find(level);
    if (it == node->children.end()) {
      it = node->children.emplace(std::string(level), std::make_unique<Node>()).first;
    }
    node = it->second.get();
  });
  return *node;
}

void RetainedStore::erase_message(std::string_view topic) {
  std::vector<std::pair<Node*, std::string_view>> path;  // parent, level of the child
  Node* node = &root_;
  for_each_level(topic, [&](std::string_view level) {
    if (node == nullptr) return;
    auto it = node->children.find(level);
    path.emplace_back(node, level);
    node = it == node->children.end() ? nullptr : it->second.get();
  });
  if (node == nullptr || !node->message) return;
  --messages_;
  bytes_ -= node->message->size_bytes();
  // `topic` may point into the message: prune before releasing it.
  RetainedPtr dropped = std::move(node->message);
  while (!path.empty() && !node->message && node->children.empty()) {
    auto [parent, level] = path.back();
    path.pop_back();
    const auto it = parent->children.find(level);
    RMQ_ASSERT(it != parent->children.end());
    parent->children.erase(it);
    node = parent;
  }
}

RetainOutcome RetainedStore::check_limits(const RetainedMessage& incoming,
                                          const Node* existing) const {
  const bool replacing = existing != nullptr && existing->message;
  const std::size_t freed = replacing ? existing->message->size_bytes() : 0;
  if (!replacing && messages_ + 1 > limits_.max_messages) return RetainOutcome::kRefusedCount;
  if (bytes_ - freed + incoming.size_bytes() > limits_.max_bytes) {
    return RetainOutcome::kRefusedBytes;
  }
  return replacing ? RetainOutcome::kReplaced : RetainOutcome::kStored;
}

RetainOutcome RetainedStore::set(RetainedPtr message) {
  RMQ_ASSERT(message);
  if (message->payload().empty()) return remove(message->topic());
  std::lock_guard lock(mutex_);
  const std::string_view topic = message->topic();
  RetainOutcome outcome = check_limits(*message, find_node(topic));
  if (outcome == RetainOutcome::kRefusedCount || outcome == RetainOutcome::kRefusedBytes) {
    sweep_if_due(message->stored_at());
    outcome = check_limits(*message, find_node(topic));
  }
  if (outcome == RetainOutcome::kRefusedCount || outcome == RetainOutcome::kRefusedBytes) {
    ++refused_;
    return outcome;
  }
  Node& node = make_node(topic);
  if (node.message) {
    bytes_ -= node.message->size_bytes();
  } else {
    ++messages_;
  }
  bytes_ += message->size_bytes();
  node.message = std::move(message);
  return outcome;
}

RetainOutcome RetainedStore::remove(std::string_view topic) {
  std::lock_guard lock(mutex_);
  const Node* node = find_node(topic);
  if (node == nullptr || !node->message) return RetainOutcome::kNothingToDelete;
  erase_message(topic);
  return RetainOutcome::kDeleted;
}

void RetainedStore::sweep_if_due(MonoTime now) {
  if (swept_ && now - last_sweep_ < kSweepInterval) return;
  swept_ = true;
  last_sweep_ = now;
  purge_locked(now);
}

void RetainedStore::collect(const Node& node, MonoTime now, std::vector<RetainedPtr>& out,
                            std::vector<std::string>& expired) const {
  if (!node.message) return;
  if (node.message->expired(now)) {
    expired.emplace_back(node.message->topic());
  } else {
    out.push_back(node.message.share());
  }
}

Status RetainedStore::lookup(std::string_view filter, MonoTime now, std::vector<RetainedPtr>& out) {
  if (codec::check_topic_filter(filter) != codec::TextError::kNone ||
      !codec::split_shared(filter).group.empty()) {
    return Status(StatusCode::kInvalidArgument, "invalid or shared topic filter");
  }
  std::vector<std::string_view> levels;
  split_levels(filter, levels);
  const auto depth = static_cast<std::uint32_t>(levels.size());
  std::vector<std::string> expired;
  std::vector<std::pair<const Node*, std::uint32_t>> stack{{&root_, 0}};
  std::vector<const Node*> subtree;

  std::lock_guard lock(mutex_);
  while (!stack.empty()) {
    const auto [node, i] = stack.back();
    stack.pop_back();
    if (i == depth) {
      collect(*node, now, out, expired);
      continue;
    }
    const std::string_view level = levels[i];
    if (level != "+" && level != "#") {
      auto it = node->children.find(level);
      if (it != node->children.end()) stack.emplace_back(it->second.get(), i + 1);
      continue;
    }
    // A wildcard in the first level skips topics starting with '$' [MQTT-4.7.2-1].
    const bool skip_dollar = i == 0;
    if (level == "+") {
      for (const auto& [name, child] : node->children) {
        if (!(skip_dollar && name.starts_with('$'))) stack.emplace_back(child.get(), i + 1);
      }
      continue;
    }
    // '#': this node (the parent level) and everything below it.
    collect(*node, now, out, expired);
    for (const auto& [name, child] : node->children) {
      if (!(skip_dollar && name.starts_with('$'))) subtree.push_back(child.get());
    }
    while (!subtree.empty()) {
      const Node* n = subtree.back();
      subtree.pop_back();
      collect(*n, now, out, expired);
      for (const auto& [name, child] : n->children) subtree.push_back(child.get());
    }
  }
  for (const std::string& topic : expired) erase_message(topic);
  expired_ += expired.size();
  return OkStatus();
}

RetainedPtr RetainedStore::find(std::string_view topic, MonoTime now) {
  std::lock_guard lock(mutex_);
  Node* node = find_node(topic);
  if (node == nullptr || !node->message) return {};
  if (node->message->expired(now)) {
    const std::string owned(topic);
    erase_message(owned);
    ++expired_;
    return {};
  }
  return node->message.share();
}

std::size_t RetainedStore::purge_expired(MonoTime now) {
  std::lock_guard lock(mutex_);
  return purge_locked(now);
}

std::size_t RetainedStore::purge_locked(MonoTime now) {
  std::vector<std::string> expired;
  std::vector<const Node*> pending{&root_};
  while (!pending.empty()) {
    const Node* node = pending.back();
    pending.pop_back();
    if (node->message && node->message->expired(now)) expired.emplace_back(node->message->topic());
    for (const auto& [name, child] : node->children) pending.push_back(child.get());
  }
  for (const std::string& topic : expired) erase_message(topic);
  expired_ += expired.size();
  return expired.size();
}

RetainedStats RetainedStore::stats() const {
  std::lock_guard lock(mutex_);
  return {messages_, bytes_, refused_, expired_};
}

}  // namespace rmq::router
