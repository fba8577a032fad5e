// Worker: MQTT packets received, and what publishers write.
#include <algorithm>
#include <limits>

#include "bench/loadgen/payload.h"
#include "bench/loadgen/worker.h"

namespace rmq::loadgen {
namespace {

using codec::PacketType;

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kMaxBatch = 4096;  // PUBLISH packets per publisher per loop turn

bool refused(codec::ReasonCode code) { return static_cast<std::uint8_t>(code) >= 0x80; }

}  // namespace

void Worker::on_packet(Client& c, const codec::PacketView& packet, std::uint64_t now) {
  switch (packet.type) {
    case PacketType::kConnack: on_connack(c, packet.as<codec::ConnackView>(), now); return;
    case PacketType::kSuback: on_suback(c, packet.as<codec::SubackView>()); return;
    case PacketType::kPublish: on_publish(c, packet.as<codec::PublishView>(), now); return;
    case PacketType::kPuback:
    case PacketType::kPubrec:
    case PacketType::kPubcomp:
      on_publisher_ack(c, packet.type, packet.as<codec::AckView>());
      return;
    case PacketType::kPubrel:
      // Second half of a QoS 2 delivery to a subscriber.
      append_ack(c.out, PacketType::kPubcomp, packet.as<codec::AckView>().packet_id, version_);
      return;
    case PacketType::kPingresp: return;
    case PacketType::kDisconnect: close_client(c, "DISCONNECT from the broker"); return;
    default:
      stats_.protocol_errors.add();
      close_client(c, "unexpected packet from the broker");
      return;
  }
}

void Worker::on_connack(Client& c, const codec::ConnackView& ack, std::uint64_t now) {
  if (c.state != ClientState::kMqttConnecting || ack.reason_code != 0) {
    if (c.state != ClientState::kMqttConnecting) stats_.protocol_errors.add();
    close_client(c, "CONNACK refused the connection (or came twice)");
    return;
  }
  if (c.reconnecting) {
    stats_.reconnects.add();
    if (tls_resumed(c.ssl)) stats_.reconnects_resumed.add();
    stats_.connect_latency.record(now > c.started_ns ? now - c.started_ns : 0);
    c.reconnect_due = churning();
  } else {
    stats_.connected.add();
    stats_.last_connected_ns.store(monotonic_ns(), std::memory_order_relaxed);
  }
  if (ack.properties.has(codec::PropertyId::kServerKeepAlive)) {
    c.keepalive_s = ack.properties.server_keep_alive;
  }
  if (c.pub && ack.properties.has(codec::PropertyId::kReceiveMaximum)) {
    // 5.0: never more unacknowledged publishes than the broker's Receive Maximum.
    c.pub->max_inflight =
        std::min<std::uint32_t>(c.pub->max_inflight, ack.properties.receive_maximum);
  }
  if (c.role == Role::kSubscriber) {
    const auto qos = static_cast<codec::QoS>(o_.qos);
    if (!append_subscribe(c.out, version_, 1, c.filter, qos)) {
      close_client(c, "no room for SUBSCRIBE");
      return;
    }
    c.state = ClientState::kSubscribing;
    return;
  }
  --connecting_;
  c.state = ClientState::kReady;
}

void Worker::on_suback(Client& c, const codec::SubackView& ack) {
  if (c.state != ClientState::kSubscribing || ack.reason_codes.empty() ||
      ack.reason_codes[0] >= 0x80) {
    close_client(c, "SUBACK refused the subscription");
    return;
  }
  --connecting_;
  stats_.subscribed.add();
  c.state = ClientState::kReady;
}

void Worker::on_publish(Client& c, const codec::PublishView& p, std::uint64_t now) {
  stats_.received.add();
  stats_.received_bytes.add(p.payload.size());
  if (p.qos == codec::QoS::kAtLeastOnce) {
    append_ack(c.out, PacketType::kPuback, p.packet_id, version_);
  } else if (p.qos == codec::QoS::kExactlyOnce) {
    append_ack(c.out, PacketType::kPubrec, p.packet_id, version_);
  }
  const std::optional<Stamp> stamp = read_stamp(p.payload);
  const std::optional<std::uint32_t> publisher = publisher_of_topic(p.topic, o_.topic);
  if (!stamp || !publisher) {
    stats_.unexpected.add();
    return;
  }
  if (stamp->sent_ns < run_.run_start_ns) {
    stats_.stale.add();
    return;
  }
  DeliveryTable::Entry* entry = run_.table.find(c.receiver, *publisher);
  if (entry == nullptr) {
    stats_.unexpected.add();
    return;
  }
  switch (run_.table.record(*entry, stamp->sequence)) {
    case SequenceTracker::Arrival::kDuplicate: stats_.duplicated.add(); return;
    case SequenceTracker::Arrival::kOutOfOrder: stats_.out_of_order.add(); break;
    default: break;
  }
  stats_.unique.add();
  arrivals_ = true;
  stats_.latency.record(now > stamp->sent_ns ? now - stamp->sent_ns : 0);
}

void Worker::on_publisher_ack(Client& c, PacketType type, const codec::AckView& ack) {
  if (!c.pub || !c.pub->ids) {
    stats_.protocol_errors.add();
    return;
  }
  PublisherState& pub = *c.pub;
  IdState& state = pub.ids[ack.packet_id];
  const auto finish = [&] {
    state = IdState::kFree;
    --pub.inflight;
    stats_.acked.add();
    if (refused(ack.reason_code)) stats_.protocol_errors.add();
  };
  switch (type) {
    case PacketType::kPuback:
      if (state == IdState::kAwaitingAck) return finish();
      break;
    case PacketType::kPubrec:
      if (state == IdState::kAwaitingAck && refused(ack.reason_code)) return finish();
      if (state == IdState::kAwaitingAck || state == IdState::kAwaitingComp) {
        state = IdState::kAwaitingComp;
        append_ack(c.out, PacketType::kPubrel, ack.packet_id, version_);
        return;
      }
      break;
    case PacketType::kPubcomp:
      if (state == IdState::kAwaitingComp) return finish();
      break;
    default: break;
  }
  stats_.protocol_errors.add();  // an ack for a packet identifier not in that state
}

std::uint16_t Worker::take_packet_id(PublisherState& pub) {
  for (;;) {  // ends: fewer than 65535 identifiers are in use
    const std::uint16_t id = pub.next_id;
    pub.next_id = id == 65535 ? 1 : static_cast<std::uint16_t>(id + 1);
    if (pub.ids[id] == IdState::kFree) {
      pub.ids[id] = IdState::kAwaitingAck;
      return id;
    }
  }
}

// Messages the end-to-end window lets this publisher send now. A window with no progress for
// kWindowStallNs is written off (counted) so that QoS 0 loss cannot stop the publisher.
std::uint64_t Worker::window_allowance(Client& c, std::uint64_t now) {
  if (o_.window == 0) return kUnlimited;
  const auto& entries = run_.table.entries_of_publisher(c.index);
  if (entries.empty()) return kUnlimited;
  PublisherState& pub = *c.pub;
  std::uint64_t min_unique = kUnlimited;
  for (const DeliveryTable::Entry* e : entries)
    min_unique = std::min(min_unique, e->unique.value());
  const std::uint64_t in_flight =
      pub.next_sequence > min_unique ? pub.next_sequence - min_unique : 0;
  pub.written_off = std::min(pub.written_off, in_flight);
  const std::uint64_t outstanding = in_flight - pub.written_off;
  if (outstanding == 0 || min_unique != pub.last_min_unique) {
    pub.last_min_unique = min_unique;
    pub.last_progress_ns = now;
  }
  // Refill only once a batch's worth of the window is free: a slow broker frees one slot per
  // delivery, and refilling each one alone would cost a send() per message.
  const std::uint64_t free = outstanding < o_.window ? o_.window - outstanding : 0;
  if (free >= window_refill_) return free;
  if (now - pub.last_progress_ns < kWindowStallNs) return 0;
  pub.written_off += outstanding;
  pub.last_progress_ns = now;
  stats_.window_stalls.add();
  return o_.window;
}

std::uint64_t Worker::rate_allowance(const Client& c, std::uint64_t now,
                                     std::uint64_t* next_due_ns) {
  if (o_.rate <= 0) return kUnlimited;
  const PublisherState& pub = *c.pub;
  const std::uint64_t start =
      run_.publish_start_ns.load(std::memory_order_relaxed) + pub.schedule_offset_ns;
  if (now < start) {
    *next_due_ns = start;
    return 0;
  }
  const auto due =
      static_cast<std::uint64_t>(static_cast<double>(now - start) * 1e-9 * o_.rate) + 1;
  if (due > pub.next_sequence) return due - pub.next_sequence;
  *next_due_ns =
      start + static_cast<std::uint64_t>(static_cast<double>(pub.next_sequence) * 1e9 / o_.rate);
  return 0;
}

Worker::FillResult Worker::fill_publisher(Client& c, std::uint64_t* next_due_ns) {
  if (c.state != ClientState::kReady) return FillResult::kIdle;
  if (!c.writable) return FillResult::kBlockedOnSocket;
  PublisherState& pub = *c.pub;
  const std::uint64_t now = now_;  // the turn's time: limits are checked without a clock read
  std::uint64_t budget = std::min(kMaxBatch, window_allowance(c, now));
  if (budget == 0) return FillResult::kWindow;
  budget = std::min(budget, rate_allowance(c, now, next_due_ns));
  if (budget == 0) return FillResult::kRate;
  const bool acked = o_.qos != 0;
  if (acked) {
    budget = std::min<std::uint64_t>(budget,
                                     pub.max_inflight - std::min(pub.max_inflight, pub.inflight));
    if (budget == 0) return FillResult::kInflight;
  }
  const std::uint32_t size = pub.publish.size();
  c.out.reserve(size);
  budget = std::min<std::uint64_t>(budget, c.out.space() / size);
  if (budget == 0) return FillResult::kBlockedOnSocket;
  const std::uint64_t sent_ns = monotonic_ns();  // one stamp for the batch of one send()
  for (std::uint64_t k = 0; k < budget; ++k) {
    const std::uint16_t id = acked ? take_packet_id(pub) : 0;
    pub.publish.write(c.out.writable().data(), pub.next_sequence++, sent_ns, id);
    c.out.commit(size);
  }
  pub.inflight += acked ? static_cast<std::uint32_t>(budget) : 0;
  stats_.published.add(budget);
  stats_.published_bytes.add(budget * o_.payload);
  stats_.expected.add(budget * run_.table.fan(c.index));
  if (acked) stats_.qos_published.add(budget);
  run_.table.published(c.index).add(budget);
  if (!flush(c)) return FillResult::kIdle;
  return c.writable ? FillResult::kMore : FillResult::kBlockedOnSocket;
}

}  // namespace rmq::loadgen
