// Start with --data-dir: the shard opens the fresh segment recovery wrote for it (main.cc,
// persist/recovery.h) and rebuilds the live state from what recovery read: retained messages of
// the topics it owns, and persistent sessions, offline, with their subscriptions in the index,
// their queued and inflight messages, inbound QoS 2 packet ids, wills and timers.
#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "broker/broker.h"

namespace rmq::broker {
namespace {

// The monotonic time of a wall-clock time in the past (the future counts as now).
MonoTime mono_of(std::uint64_t wall_ms, MonoTime now, std::uint64_t now_wall_ms) {
  if (wall_ms == 0 || wall_ms >= now_wall_ms) return now;
  return now - std::chrono::milliseconds(now_wall_ms - wall_ms);
}

}  // namespace

void Broker::open_durable_log() {
  const PersistConfig& persist = config_.persist;
  if (persist.data_dir.empty()) return;
  persist::RecoveredShard* recovered = shared_.recovered(self_);
  if (recovered == nullptr) return;
  log_ = std::make_unique<DurableLog>(shard_, persist.durability, stats_);
  const Status status =
      log_->open(recovered->segment_path, self_, recovered->segment_seq, /*fresh=*/false);
  if (!status.ok()) {
    RMQ_LOG_ERROR("cannot open the write-ahead log %s: %s; this shard runs without persistence",
                  recovered->segment_path.c_str(), status.message());
    log_.reset();
    return;
  }
  log_->set_next_message_id(recovered->state.max_message_id() + 1);
  compact_threshold_ = std::max(persist.compact_bytes, 2 * recovered->segment_size);
  import_recovered(*recovered);
  recovered->state = persist::RecoveredState{};  // the live state has it now
  if (persist.durability == Durability::kBatch) {
    shard_.arm_timer(sync_timer_, std::chrono::milliseconds(persist.sync_interval_ms));
  }
}

void Broker::import_recovered(persist::RecoveredShard& recovered) {
  const persist::RecoveredState& state = recovered.state;
  const MonoTime now = shard_.now();
  const std::uint64_t now_wall = persist::wall_now_ms();
  std::unordered_map<std::uint64_t, Message> messages;
  messages.reserve(state.messages().size());
  for (const auto& [id, m] : state.messages()) {
    MessageFields f;
    f.topic = m.topic;
    f.payload = codec::BinaryView(m.payload.data(), m.payload.size());
    f.qos = static_cast<codec::QoS>(m.qos);
    f.retain = m.retain != 0;
    f.encoded_properties = codec::BinaryView(m.properties.data(), m.properties.size());
    f.received_at = mono_of(m.received_wall_ms, now, now_wall);
    messages.emplace(id, Message::create(f));
  }
  for (const auto& [topic, id] : state.retained()) store_retained(messages.at(id));
  for (const auto& [client, rs] : state.sessions()) import_session(client, rs, messages);
}

void Broker::import_session(const std::string& client, const persist::RecoveredSession& rs,
                            const std::unordered_map<std::uint64_t, Message>& messages) {
  const SharedString client_id(client);
  Session* created = create_session(client_id, rs.generation);
  if (created == nullptr) {
    RMQ_LOG_ERROR("recovery: no session handle left for client %s", client.c_str());
    return;
  }
  Session& s = *created;
  if (shared_.registry().claim(client_id, RegistryEntry{self_, s.handle, s.generation})) {
    RMQ_LOG_WARN("recovery: client %s was registered twice; the later session wins",
                 client.c_str());
  }
  s.phase = SessionPhase::kActive;
  s.expiry_interval = rs.expiry_s;
  s.durable = true;
  for (const auto& [filter, sub] : rs.subscriptions) {
    router::SubscriberRef ref;
    ref.shard = self_;
    ref.session = s.handle;
    ref.options = options_from_byte(sub.options);
    ref.subscription_id = sub.subscription_id;
    if (!shared_.index().subscribe(filter, ref).ok()) continue;
    s.subscriptions.insert_or_assign(filter, SubscriptionRecord{ref.options, ref.subscription_id});
  }
  std::uint16_t last_packet_id = 0;
  for (const persist::QueueEntry& e : rs.queue) {
    OutboundMessage m{messages.at(e.message_id).share(), static_cast<codec::QoS>(e.qos),
                      e.retain != 0, e.subscription_ids, e.message_id};
    if (e.stage == persist::EntryStage::kQueued) {
      OutboundMessage queued = m.share();
      queued.log_id = e.message_id;
      if (!s.queue.push(std::move(queued)))
        log_ack(s, e.message_id, 0);  // over this run's queue limits
      continue;
    }
    InflightEntry& added = s.inflight.add(e.packet_id, std::move(m));
    added.message.log_id = e.message_id;
    added.stage = e.stage == persist::EntryStage::kAwaitPubcomp ? InflightStage::kAwaitPubcomp
                  : e.qos == 1                                  ? InflightStage::kAwaitPuback
                                                                : InflightStage::kAwaitPubrec;
    last_packet_id = e.packet_id;
  }
  s.packet_ids.restore(last_packet_id);
  for (const std::uint16_t id : rs.inbound_qos2) s.inbound_qos2.add(id);
  // Offline since the log says, or (connected when the broker stopped) since now.
  const std::uint64_t now_wall = persist::wall_now_ms();
  const std::uint64_t offline_ms =
      rs.offline_wall_ms != 0 && rs.offline_wall_ms < now_wall ? now_wall - rs.offline_wall_ms : 0;
  if (rs.will) {
    const persist::RecoveredWill& w = *rs.will;
    MessageFields f;
    f.topic = w.topic;
    f.payload = codec::BinaryView(w.payload.data(), w.payload.size());
    f.qos = static_cast<codec::QoS>(w.qos);
    f.retain = w.retain != 0;
    f.encoded_properties = codec::BinaryView(w.properties.data(), w.properties.size());
    f.received_at = shard_.now();
    f.publisher = Publisher{self_, s.handle};
    s.will = std::make_unique<WillMessage>(Message::create(f), w.delay_s, &s);
    // The client is not connected: its will goes out after what is left of its delay, at the
    // earliest in a second (when every shard has its sessions back).
    const std::uint64_t delay_ms = std::uint64_t{w.delay_s} * 1000;
    const std::uint64_t left = delay_ms > offline_ms ? delay_ms - offline_ms : 0;
    s.will_pending = true;
    shard_.arm_timer(s.will->timer, std::chrono::milliseconds(std::max<std::uint64_t>(left, 1000)));
  }
  if (s.expiry_interval != kNeverExpires) {
    const std::uint64_t expiry_ms = std::uint64_t{s.expiry_interval} * 1000;
    const std::uint64_t left = expiry_ms > offline_ms ? expiry_ms - offline_ms : 0;
    s.rare = std::make_unique<SessionRare>(&s);
    shard_.arm_timer(s.rare->expiry_timer,
                     std::chrono::milliseconds(std::max<std::uint64_t>(left, 1000)));
  }
}

}  // namespace rmq::broker
