#include "router/wildcard_trie.h"

#include <vector>

#include "base/assert.h"
#include "router/match_access.h"
#include "router/topic.h"

namespace rmq::router {
namespace detail {
namespace {
std::atomic<std::int64_t> g_live_nodes{0};
}  // namespace

TrieNode::TrieNode(std::uint64_t node_id) : id(node_id) {
  g_live_nodes.fetch_add(1, std::memory_order_relaxed);
}

TrieNode::~TrieNode() {
  RMQ_DCHECK(exact.empty() && multi.empty());
  g_live_nodes.fetch_sub(1, std::memory_order_relaxed);
}

bool TrieNode::prunable() const {
  return exact.empty() && multi.empty() && plus.load(std::memory_order_relaxed) == nullptr &&
         literal_children.load(std::memory_order_relaxed) == 0;
}

std::int64_t TrieNode::live_count() { return g_live_nodes.load(std::memory_order_relaxed); }

}  // namespace detail

using detail::TrieNode;

WildcardTrie::WildcardTrie(Reclaimer& reclaimer)
    : reclaimer_(reclaimer), root_(new TrieNode(0)), edges_(reclaimer) {}

WildcardTrie::~WildcardTrie() {
  // Every node is the root, the child of a live edge, or the '+' child of another node.
  std::vector<TrieNode*> pending{root_};
  edges_.for_each([&pending](detail::EdgeSlot& slot) {
    pending.push_back(slot.child.load(std::memory_order_relaxed));
  });
  while (!pending.empty()) {
    TrieNode* node = pending.back();
    pending.pop_back();
    if (TrieNode* plus = node->plus.load(std::memory_order_relaxed)) pending.push_back(plus);
    EntryWriter::destroy_now(node->exact);
    EntryWriter::destroy_now(node->multi);
    delete node;
  }
}

TrieNode* WildcardTrie::child_of(const TrieNode* node, std::string_view level) const {
  if (level == "+") return node->plus.load(std::memory_order_acquire);
  const detail::EdgeSlot* edge = edges_.find({node->id, level});
  return edge != nullptr ? edge->child.load(std::memory_order_acquire) : nullptr;
}

TrieNode* WildcardTrie::add_child(TrieNode* node, std::string_view level) {
  auto* child = new TrieNode(next_node_id_++);
  nodes_.fetch_add(1, std::memory_order_relaxed);
  if (level == "+") {
    node->plus.store(child, std::memory_order_release);
    return child;
  }
  // Raise the hint before the edge is visible (see the header).
  node->literal_children.fetch_add(1, std::memory_order_seq_cst);
  edges_.update({node->id, level}, CreateSlot::kYes, [child](detail::EdgeSlot& slot) {
    slot.child.store(child, std::memory_order_release);
  });
  return child;
}

void WildcardTrie::unlink_child(TrieNode* parent, std::string_view level) {
  if (level == "+") {
    parent->plus.store(nullptr, std::memory_order_release);
    return;
  }
  const SlotChange change = edges_.update(
      {parent->id, level}, CreateSlot::kNo,
      [](detail::EdgeSlot& slot) { slot.child.store(nullptr, std::memory_order_release); });
  RMQ_ASSERT(change == SlotChange::kBecameEmpty);
  parent->literal_children.fetch_sub(1, std::memory_order_release);
}

SlotChange WildcardTrie::update(std::string_view filter, CreateSlot create, EntryFn fn) {
  std::lock_guard lock(mutex_);
  struct Step {
    TrieNode* parent;
    std::string_view level;  // the edge from parent to the next node
  };
  std::vector<Step> path;
  TrieNode* node = root_;
  bool ends_with_multi = false;
  bool missing = false;
  for_each_level(filter, [&](std::string_view level) {
    if (missing) return;
    if (level == "#") {
      ends_with_multi = true;  // always the last level of a valid filter
      return;
    }
    TrieNode* child = child_of(node, level);
    if (child == nullptr) {
      if (create == CreateSlot::kNo) {
        missing = true;
        return;
      }
      child = add_child(node, level);
    }
    path.push_back({node, level});
    node = child;
  });
  if (missing) return SlotChange::kAbsent;

  FilterEntry& entry = ends_with_multi ? node->multi : node->exact;
  const bool was_empty = entry.empty();
  fn(entry);
  const bool is_empty = entry.empty();

  // Unlink the nodes this change left empty, deepest first; the root always stays.
  while (!path.empty() && node->prunable()) {
    const Step step = path.back();
    path.pop_back();
    unlink_child(step.parent, step.level);
    reclaimer_.retire(node);
    nodes_.fetch_sub(1, std::memory_order_relaxed);
    node = step.parent;
  }
  if (was_empty == is_empty) return SlotChange::kUnchanged;
  return is_empty ? SlotChange::kBecameEmpty : SlotChange::kBecameLive;
}

void WildcardTrie::match(std::span<const std::string_view> levels, bool dollar_topic,
                         MatchResult& out, MemberPick pick) const {
  using detail::MatchAccess;
  std::vector<detail::WalkFrame>& stack = MatchAccess::stack(out);
  stack.clear();
  stack.push_back({root_, 0});
  const auto depth = static_cast<std::uint32_t>(levels.size());
  while (!stack.empty()) {
    const detail::WalkFrame frame = stack.back();
    stack.pop_back();
    const TrieNode* node = frame.node;
    const bool dollar_root = dollar_topic && frame.level == 0;
    // '#' matches the rest of the topic, including nothing ("a/#" matches "a").
    if (!dollar_root) MatchAccess::emit(out, node->multi, pick);
    if (frame.level == depth) {
      MatchAccess::emit(out, node->exact, pick);
      continue;
    }
    if (node->literal_children.load(std::memory_order_acquire) != 0) {
      const detail::EdgeSlot* edge = edges_.find({node->id, levels[frame.level]});
      if (edge != nullptr) {
        if (const TrieNode* child = edge->child.load(std::memory_order_acquire)) {
          stack.push_back({child, frame.level + 1});
        }
      }
    }
    if (dollar_root) continue;
    if (const TrieNode* plus = node->plus.load(std::memory_order_acquire)) {
      stack.push_back({plus, frame.level + 1});
    }
  }
}

}  // namespace rmq::router
