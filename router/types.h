// Vocabulary of the router: who a subscriber is, what a match returns, and a non-owning callable
// used for the shared-subscription skip predicate.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

#include "base/shard_id.h"
#include "codec/packets.h"

namespace rmq::router {

using ::rmq::ShardId;
// A registered reader of the shared index: a shard uses its ShardId (see TopicIndexConfig).
using ReaderId = std::uint32_t;
// A session slot or handle chosen by the broker; meaningful only together with its shard.
using SessionHandle = std::uint32_t;

// A session, as the router keys it: subscriptions are unique per (filter, shard, session).
struct SessionKey {
  ShardId shard = 0;
  SessionHandle session = 0;
  friend bool operator==(const SessionKey&, const SessionKey&) = default;
};

// One subscription of one session, as stored per filter and as returned by a match.
struct SubscriberRef {
  ShardId shard = 0;
  SessionHandle session = 0;
  codec::SubscriptionOptions options;
  std::uint32_t subscription_id = 0;  // MQTT 5.0 Subscription Identifier; 0 = none

  SessionKey key() const { return {shard, session}; }
  friend bool operator==(const SubscriberRef&, const SubscriberRef&) = default;
};
static_assert(sizeof(SubscriberRef) == 16, "SubscriberRef is copied per match; keep it small");
static_assert(std::is_trivially_copyable_v<SubscriberRef>);

// How a subscriber matched: through its own subscription, or picked as the one member of a shared
// group that receives this message. A session matched both ways receives two copies (MQTT 5.0
// 4.8.2), so the two kinds are never merged together.
enum class MatchKind : std::uint8_t { kDirect, kShared };

struct MatchedSubscriber {
  SubscriberRef subscriber;
  MatchKind kind = MatchKind::kDirect;
  friend bool operator==(const MatchedSubscriber&, const MatchedSubscriber&) = default;
};

// A non-owning reference to a callable, cheap to pass by value and never allocating. The callable
// must outlive every call made through the reference. A default-constructed FunctionRef is empty.
template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  FunctionRef() = default;
  template <typename F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef> &&
           std::is_invocable_r_v<R, F&, Args...>)
      FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): used like a function parameter
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  explicit operator bool() const { return call_ != nullptr; }
  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_ = nullptr;
  R (*call_)(void*, Args...) = nullptr;
};

// Tells match() which members of a shared group may not receive this message (offline, over their
// inflight or queue limits): returns true to skip the member. Called on the matching thread.
using SkipMember = FunctionRef<bool(const SubscriberRef&)>;

// How match() picks the one member of a shared group that receives a message.
struct MemberPick {
  SkipMember skip;  // members to pass over (empty: none)
  // When `skip` rejects every member: false serves nobody in the group, true serves the member
  // in turn anyway (a message that must not be lost goes to a busy or offline member's queue).
  bool serve_when_all_skipped = false;
};

}  // namespace rmq::router
