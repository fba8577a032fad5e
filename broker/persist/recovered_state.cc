#include "broker/persist/recovered_state.h"

#include <algorithm>
#include <string>
#include <variant>

namespace rmq::persist {
namespace {

std::vector<std::uint8_t> own(Bytes b) { return {b.begin(), b.end()}; }
Bytes view(const std::vector<std::uint8_t>& v) { return Bytes(v.data(), v.size()); }

using EntryIt = std::deque<QueueEntry>::iterator;

// The first entry not yet sent with `message_id`.
EntryIt find_queued(RecoveredSession& ss, std::uint64_t message_id) {
  return std::find_if(ss.queue.begin(), ss.queue.end(), [&](const QueueEntry& e) {
    return e.message_id == message_id && e.stage == EntryStage::kQueued;
  });
}
// The sent entry holding `packet_id`.
EntryIt find_sent(RecoveredSession& ss, std::uint16_t packet_id) {
  return std::find_if(ss.queue.begin(), ss.queue.end(), [&](const QueueEntry& e) {
    return e.stage != EntryStage::kQueued && e.packet_id == packet_id;
  });
}

}  // namespace

// One overload per record type; each applies the rules in the header.
struct Applier {
  RecoveredState& s;

  RecoveredSession* session(std::string_view client_id) {
    RecoveredSession* found = s.find_session(client_id);
    if (found == nullptr) ++s.anomalies_.no_session;
    return found;
  }
  void no_entry() { ++s.anomalies_.no_entry; }

  void operator()(const SessionOpen& r) {
    const bool continues = (r.flags & kOpenContinues) != 0;
    if ((r.flags & kOpenCommit) != 0) return commit(r.client_id);
    if (auto p = s.pending_.find(r.client_id); p != s.pending_.end()) s.drop_pending(p);
    RecoveredState::SessionMap& map = (r.flags & kOpenReset) != 0 ? s.pending_ : s.sessions_;
    auto it = map.find(r.client_id);
    if (it != map.end() && it->second.generation != r.generation && !continues) {
      s.drop_session(it);
      it = map.end();
    }
    if (it == map.end()) {
      it = map.emplace(std::string(r.client_id), RecoveredSession{}).first;
      it->second.continues = continues;
    } else if (it->second.generation != r.generation) {
      it->second.continues = false;  // continues the older generation held right here
    }
    RecoveredSession& ss = it->second;
    ss.expiry_s = r.expiry_s;
    ss.protocol_version = r.protocol_version;
    ss.flags = r.flags & ~(kOpenReset | kOpenContinues | kOpenCommit);
    ss.generation = r.generation;
    ss.offline_wall_ms = 0;
  }
  // The snapshot of `client_id` is complete: it replaces the open session.
  void commit(std::string_view client_id) {
    auto p = s.pending_.find(client_id);
    if (p == s.pending_.end()) return no_entry();
    if (auto it = s.sessions_.find(client_id); it != s.sessions_.end()) s.drop_session(it);
    s.sessions_.insert(s.pending_.extract(p));
  }
  void operator()(const SessionEnd& r) {
    if (auto p = s.pending_.find(r.client_id); p != s.pending_.end()) s.drop_pending(p);
    auto it = s.sessions_.find(r.client_id);
    if (it == s.sessions_.end()) {
      ++s.anomalies_.no_session;
      return;
    }
    if (it->second.generation > r.generation) return;  // a late end of an older generation
    s.drop_session(it);
  }
  void operator()(const SessionOffline& r) {
    if (auto* ss = session(r.client_id)) ss->offline_wall_ms = r.wall_ms;
  }
  void operator()(const Subscribe& r) {
    if (auto* ss = session(r.client_id)) {
      ss->subscriptions.insert_or_assign(std::string(r.filter),
                                         RecoveredSubscription{r.options, r.subscription_id});
    }
  }
  void operator()(const Unsubscribe& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    auto it = ss->subscriptions.find(r.filter);
    if (it == ss->subscriptions.end()) return no_entry();
    ss->subscriptions.erase(it);
  }
  void operator()(const WillSet& r) {
    if (auto* ss = session(r.client_id)) {
      ss->will = RecoveredWill{std::string(r.topic), own(r.payload), r.qos, r.retain,
                               own(r.properties),    r.delay_s};
    }
  }
  void operator()(const WillClear& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    if (!ss->will) return no_entry();
    ss->will.reset();
  }
  void operator()(const MessageRec& r) {
    s.max_seen_id_ = std::max(s.max_seen_id_, r.message_id);
    if (s.messages_.count(r.message_id) != 0) {
      ++s.anomalies_.duplicate_message;
      return;
    }
    s.messages_.emplace(
        r.message_id, RecoveredMessage{std::string(r.topic), own(r.payload), r.qos, r.retain,
                                       own(r.properties), r.expiry_wall_ms, r.received_wall_ms, 0});
  }
  void operator()(const Enqueue& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    if (s.messages_.count(r.message_id) == 0) {
      ++s.anomalies_.unknown_message;
      return;
    }
    ss->queue.push_back(QueueEntry{r.message_id, r.qos, r.retain, r.subscription_ids.to_vector(),
                                   EntryStage::kQueued, 0});
    s.ref(r.message_id);
  }
  void operator()(const Sent& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    if (find_sent(*ss, r.packet_id) != ss->queue.end()) {
      ++s.anomalies_.duplicate_packet_id;
      return;
    }
    auto it = find_queued(*ss, r.message_id);
    if (it == ss->queue.end()) return no_entry();
    it->stage = EntryStage::kAwaitAck;
    it->packet_id = r.packet_id;
  }
  void operator()(const PubrecReceived& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    auto it = find_sent(*ss, r.packet_id);
    if (it == ss->queue.end() || it->qos != 2 || it->stage != EntryStage::kAwaitAck) {
      return no_entry();
    }
    it->stage = EntryStage::kAwaitPubcomp;
  }
  void operator()(const Ack& r) {
    auto* ss = session(r.client_id);
    if (ss == nullptr) return;
    auto it = r.packet_id == 0 ? find_queued(*ss, r.message_id) : find_sent(*ss, r.packet_id);
    if (it == ss->queue.end() || it->message_id != r.message_id) return no_entry();
    ss->queue.erase(it);
    s.unref(r.message_id);
  }
  void operator()(const InboundQos2& r) {
    if (auto* ss = session(r.client_id)) {
      if (!ss->inbound_qos2.insert(r.packet_id).second) ++s.anomalies_.duplicate_packet_id;
    }
  }
  void operator()(const InboundReleased& r) {
    if (auto* ss = session(r.client_id)) {
      if (ss->inbound_qos2.erase(r.packet_id) == 0) no_entry();
    }
  }
  void operator()(const RetainedSet& r) {
    if (s.messages_.count(r.message_id) == 0) {
      ++s.anomalies_.unknown_message;
      return;
    }
    s.ref(r.message_id);  // before unref: replacing a topic's message by itself keeps it
    auto [it, inserted] = s.retained_.try_emplace(std::string(r.topic), r.message_id);
    if (!inserted) {
      const std::uint64_t old = it->second;
      it->second = r.message_id;
      s.unref(old);
    }
  }
  void operator()(const RetainedClear& r) {
    auto it = s.retained_.find(r.topic);
    if (it == s.retained_.end()) return no_entry();
    const std::uint64_t old = it->second;
    s.retained_.erase(it);
    s.unref(old);
  }
};

void RecoveredState::apply(const AnyRecord& record) { std::visit(Applier{*this}, record); }

Status RecoveredState::apply_payload(std::uint8_t type, Bytes payload) {
  auto rec = decode_any(type, payload);
  if (!rec.ok()) {
    ++anomalies_.malformed;
    return rec.status();
  }
  apply(*rec);
  return OkStatus();
}

void RecoveredState::finish() {
  while (!pending_.empty()) {
    ++anomalies_.incomplete_snapshots;
    drop_pending(pending_.begin());
  }
  for (auto it = messages_.begin(); it != messages_.end();) {
    if (it->second.refs == 0) {
      ++anomalies_.unreferenced_messages;
      it = messages_.erase(it);
    } else {
      ++it;
    }
  }
}

RecoveredSession* RecoveredState::find_session(std::string_view client_id) {
  if (auto p = pending_.find(client_id); p != pending_.end()) return &p->second;
  auto it = sessions_.find(client_id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void RecoveredState::ref(std::uint64_t message_id) { ++messages_.at(message_id).refs; }

void RecoveredState::unref(std::uint64_t message_id) {
  auto it = messages_.find(message_id);
  RMQ_DCHECK(it != messages_.end() && it->second.refs > 0);
  if (it != messages_.end() && --it->second.refs == 0) messages_.erase(it);
}

void RecoveredState::drop_session(SessionMap::iterator it) {
  for (const QueueEntry& e : it->second.queue) unref(e.message_id);
  sessions_.erase(it);
}

void RecoveredState::drop_pending(SessionMap::iterator it) {
  for (const QueueEntry& e : it->second.queue) unref(e.message_id);
  pending_.erase(it);
}

RecoverySummary RecoveredState::summary() const {
  RecoverySummary out;
  out.sessions = sessions_.size();
  for (const auto& [id, ss] : sessions_) {
    out.subscriptions += ss.subscriptions.size();
    out.wills += ss.will ? 1 : 0;
    for (const QueueEntry& e : ss.queue) {
      (e.stage == EntryStage::kQueued ? out.queued : out.inflight_outbound) += 1;
    }
    out.inflight_inbound += ss.inbound_qos2.size();
  }
  out.messages = messages_.size();
  for (const auto& [id, m] : messages_) {
    out.message_bytes += m.topic.size() + m.payload.size() + m.properties.size();
  }
  out.retained = retained_.size();
  return out;
}

namespace {

void emit_session(const std::string& client, const RecoveredSession& ss,
                  const std::function<void(const AnyRecord&)>& emit) {
  const std::uint8_t flags =
      static_cast<std::uint8_t>(ss.flags | kOpenReset | (ss.continues ? kOpenContinues : 0));
  emit(SessionOpen{client, ss.expiry_s, ss.protocol_version, flags, ss.generation});
  for (const auto& [filter, sub] : ss.subscriptions) {
    emit(Subscribe{client, filter, sub.options, sub.subscription_id});
  }
  if (ss.will) {
    const RecoveredWill& w = *ss.will;
    emit(WillSet{client, w.topic, view(w.payload), w.qos, w.retain, view(w.properties), w.delay_s});
  }
  for (const QueueEntry& e : ss.queue) {
    emit(Enqueue{client, e.message_id, e.qos, e.retain,
                 SubscriptionIds(std::span<const std::uint32_t>(e.subscription_ids))});
    if (e.stage == EntryStage::kQueued) continue;
    emit(Sent{client, e.message_id, e.packet_id});
    if (e.stage == EntryStage::kAwaitPubcomp) emit(PubrecReceived{client, e.packet_id});
  }
  for (std::uint16_t id : ss.inbound_qos2) emit(InboundQos2{client, id});
  emit(SessionOpen{client, ss.expiry_s, ss.protocol_version, kOpenCommit, ss.generation});
  if (ss.offline_wall_ms != 0) emit(SessionOffline{client, ss.offline_wall_ms});
}

}  // namespace

void RecoveredState::emit_snapshot(const std::function<void(const AnyRecord&)>& emit) const {
  for (const auto& [id, m] : messages_) {
    if (m.refs == 0) continue;
    emit(MessageRec{id, m.topic, view(m.payload), m.qos, m.retain, view(m.properties),
                    m.expiry_wall_ms, m.received_wall_ms});
  }
  for (const auto& [client, ss] : sessions_) emit_session(client, ss, emit);
  for (const auto& [topic, id] : retained_) emit(RetainedSet{topic, id});
}

}  // namespace rmq::persist
