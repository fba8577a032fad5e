// Session lifecycle on one shard: creation, losing the connection (will and expiry), and the end
// of a session (its subscriptions leave the index and its client identifier is released).
#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "broker/broker.h"

namespace rmq::broker {

namespace {
std::size_t slot_of(std::uint32_t handle) {
  return handle & ((1u << SessionPresence::kSlotBits) - 1);
}
}  // namespace

Session* Broker::create_session(const SharedString& client_id, std::uint64_t generation) {
  const std::uint32_t handle = shared_.presence().allocate(self_);
  if (handle == 0) return nullptr;
  const std::size_t slot = slot_of(handle);
  std::unique_ptr<Session>& cell = sessions_.cell(slot);
  RMQ_DCHECK(cell == nullptr);
  cell = std::make_unique<Session>(handle, generation, client_id, &queue_limits_);
  stats_.sessions.add(1);
  return cell.get();
}

Session* Broker::find_session(std::uint32_t handle) {
  const std::size_t slot = slot_of(handle);
  Session* s = sessions_.get(slot);
  return s != nullptr && s->handle == handle ? s : nullptr;
}

// The session's connection is gone, by either side. The will goes out now, or after its delay,
// or when the session ends, whichever comes first [MQTT-3.1.3-9]; a session with expiry 0 ends
// now, one with a finite expiry is timed.
void Broker::connection_lost(Session& s) {
  RMQ_DCHECK(s.conn == nullptr && s.phase == SessionPhase::kActive);
  if (s.expiry_interval != 0) log_session_offline(s);
  if (s.will) {
    if (s.will->delay_s == 0 || s.expiry_interval == 0) {
      publish_will(s);
    } else {
      s.will_pending = true;
      shard_.arm_timer(s.will->timer, std::chrono::seconds(s.will->delay_s));
    }
  }
  if (s.expiry_interval == 0) {
    end_session(s);
    return;
  }
  if (s.expiry_interval != kNeverExpires) {
    if (s.rare == nullptr) s.rare = std::make_unique<SessionRare>(&s);
    shard_.arm_timer(s.rare->expiry_timer, std::chrono::seconds(s.expiry_interval));
  }
}

void Broker::end_session(Session& s) {
  finish_chunk_of(s);
  if (s.will_pending && s.will) publish_will(s);
  log_session_end(s);
  drop_subscriptions(s);
  shared_.registry().release(s.client_id, s.generation);
  shared_.presence().release(self_, s.handle);
  stats_.sessions.sub(1);
  sessions_.cell(slot_of(s.handle)).reset();  // destroys `s`; its timers cancel themselves
}

void Broker::on_session_timer(Session& s, TimerKind kind) {
  if (kind == TimerKind::kWillDelay) {
    if (s.will_pending && s.conn == nullptr) publish_will(s);
    return;
  }
  if (s.conn == nullptr && s.phase == SessionPhase::kActive) {
    RMQ_LOG_DEBUG("session %s expired", s.client_id.c_str());
    end_session(s);
  }
}

// Publishes whether `s` should be picked for shared-subscription messages: connected and keeping
// up (nothing queued, room in the inflight window). Cheap when nothing changed.
void Broker::update_presence(Session& s) {
  const bool ready =
      s.phase == SessionPhase::kActive && can_receive(s) && s.queue.empty() && !s.inflight.full();
  if (ready == s.presence_ready) return;
  s.presence_ready = ready;
  shared_.presence().set_ready(self_, s.handle, ready);
}

void Broker::drop_subscriptions(Session& s) {
  const router::SessionKey key{self_, s.handle};
  for (const auto& [filter, record] : s.subscriptions) {
    (void)shared_.index().unsubscribe(filter, key);
  }
  s.subscriptions.clear();
}

}  // namespace rmq::broker
