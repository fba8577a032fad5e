// WildcardTrie: the part of the topic index holding filters with '+' or '#'.
//
// One node per filter prefix. A node holds the entry of the filters ending at it (`exact`), the
// entry of the filters that continue with a final '#' (`multi`: "a/#" lives on node "a", "#" on
// the root), its '+' child as an atomic pointer, and its literal children as edges of a shared
// SlotTable keyed by (node id, level).
//
// Concurrency protocol (see also TopicIndex).
// - Writers (update) serialise on one mutex per trie; they never block readers.
// - Readers (match) are lock-free: acquire loads of node pointers and entries, SlotTable finds.
// - A new node is fully built before it is published (release store of the '+' pointer or of the
//   edge slot). A node left empty by an update is unlinked (pointer or edge set to null) and
//   retired to the Reclaimer, then its parent is checked the same way, up to the root.
// - `literal_children` counts a node's live edges. Writers raise it before publishing an edge and
//   lower it after unlinking one, so a reader that sees zero may skip the edge lookup: any edge it
//   misses was published concurrently with its match.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "router/match_result.h"
#include "router/reclaimer.h"
#include "router/slot_table.h"
#include "router/subscriber_set.h"

namespace rmq::router {
namespace detail {

struct TrieNode {
  explicit TrieNode(std::uint64_t node_id);
  ~TrieNode();
  TrieNode(const TrieNode&) = delete;
  TrieNode& operator=(const TrieNode&) = delete;

  // Writer side: nothing subscribed here and no child: the node may be unlinked.
  bool prunable() const;
  static std::int64_t live_count();  // nodes allocated and not freed (all tries)

  const std::uint64_t id;
  FilterEntry exact;
  FilterEntry multi;
  std::atomic<TrieNode*> plus{nullptr};
  std::atomic<std::uint32_t> literal_children{0};
};

struct EdgeKeyView {
  std::uint64_t parent;
  std::string_view level;
};
struct EdgeKey {
  std::uint64_t parent;
  std::string level;
};
struct EdgeSlot {
  std::atomic<TrieNode*> child{nullptr};
};

struct EdgeTraits {
  using Key = EdgeKey;
  using KeyView = EdgeKeyView;
  using Slot = EdgeSlot;
  static std::uint64_t hash(const EdgeKeyView& key) {
    std::uint64_t h =
        std::hash<std::string_view>{}(key.level) ^ (key.parent * 0x9E3779B97F4A7C15ull);
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
  }
  struct Equal {
    using is_transparent = void;
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return a.parent == b.parent && std::string_view(a.level) == std::string_view(b.level);
    }
  };
  struct Hash {
    using transparent_key_equal = Equal;
    std::size_t operator()(const EdgeKey& k) const { return hash({k.parent, k.level}); }
    std::size_t operator()(const EdgeKeyView& k) const { return hash(k); }
  };
  static EdgeKey make_key(const EdgeKeyView& k) { return {k.parent, std::string(k.level)}; }
  static bool empty(const EdgeSlot& slot) {
    return slot.child.load(std::memory_order_relaxed) == nullptr;
  }
  static void transfer(const EdgeSlot& from, EdgeSlot& to) {
    to.child.store(from.child.load(std::memory_order_relaxed), std::memory_order_relaxed);
  }
};

}  // namespace detail

class WildcardTrie {
 public:
  using EntryFn = FunctionRef<void(FilterEntry&)>;

  explicit WildcardTrie(Reclaimer& reclaimer);
  // Frees every node and what its entries hold. No reader may be inside a match.
  ~WildcardTrie();
  WildcardTrie(const WildcardTrie&) = delete;
  WildcardTrie& operator=(const WildcardTrie&) = delete;

  // Writer: runs fn on the entry of `filter` (a valid, non-shared wildcard filter), creating the
  // path when `create` says so, then unlinks the nodes the change left empty.
  SlotChange update(std::string_view filter, CreateSlot create, EntryFn fn);

  // Reader: appends the entries matching the topic split into `levels`. `dollar_topic`: the topic
  // starts with '$', so the root's '+' and '#' do not apply [MQTT-4.7.2-1].
  void match(std::span<const std::string_view> levels, bool dollar_topic, MatchResult& out,
             MemberPick pick) const;

  std::size_t node_count() const { return nodes_.load(std::memory_order_relaxed); }  // linked
  SlotTableStats edge_stats() const { return edges_.stats(); }
  // Rebuilds edge stripes that hold tombstones. Takes the writers' mutex: writers look edges up
  // without the stripe lock, so a rebuild must not retire a map a writer is walking.
  void compact() {
    std::lock_guard lock(mutex_);
    edges_.compact();
  }

 private:
  detail::TrieNode* child_of(const detail::TrieNode* node, std::string_view level) const;
  detail::TrieNode* add_child(detail::TrieNode* node, std::string_view level);
  void unlink_child(detail::TrieNode* parent, std::string_view level);

  Reclaimer& reclaimer_;
  std::mutex mutex_;  // serialises writers
  detail::TrieNode* const root_;
  SlotTable<detail::EdgeTraits> edges_;
  std::uint64_t next_node_id_ = 1;  // under mutex_
  std::atomic<std::size_t> nodes_{1};
};

}  // namespace rmq::router
