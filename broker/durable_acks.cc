// Acknowledgements held until durable (--durability sync, ARCHITECTURE.md section 6).
//
// A QoS 1/2 PUBLISH gets an AckWaits entry (hold_ack) while it is handled: routing adds a part
// for every other shard it posts deliveries (or a retained-log request) to, those shards answer
// with kDurableAck once the records they wrote for it are durable (begin_relay ... release_hold
// on their side), and the publisher's shard adds its own log position. When every part is done
// the PUBACK/PUBREC goes out, in the order the connection's PUBLISH packets arrived. A shard
// that wrote nothing answers at once, so non-persistent traffic waits only for the mailbox.
//
// A QoS 2 PUBLISH of a persistent session records its packet id (InboundQos2) in the same group
// commit as the deliveries when they are all local; when other shards took part, only once they
// confirmed (then one more local sync): a crash in between may deliver a resent PUBLISH twice
// but never acknowledges one that was not stored.
#include "base/log.h"
#include "broker/broker.h"
#include "broker/outgoing.h"

namespace rmq::broker {

std::uint32_t Broker::hold_ack(ClientConn& c, codec::PacketType type, std::uint16_t packet_id) {
  const std::uint32_t id = acks_.create(AckWait::Kind::kMqttAck);
  AckWait& w = acks_.at(id);
  w.conn = c.id;
  w.ack_type = static_cast<std::uint8_t>(type);
  w.packet_id = packet_id;
  if (c.acks_tail != 0) {
    acks_.at(c.acks_tail).next = id;
  } else {
    c.acks_head = id;
  }
  c.acks_tail = id;
  stats_.acks_held.add();
  return id;
}

// The guard part: whatever the broker wrote since `start` must be durable too.
void Broker::release_hold(std::uint32_t id, std::uint64_t start) {
  const std::uint64_t end = log_ != nullptr ? log_->end_position() : start;
  if (end != start) acks_.wait_position(id, end);
  if (chunk_touched_) {  // and for the commit of a snapshot written in slices (compaction.cc)
    chunk_touched_ = false;
    ++acks_.at(id).parts;
    compaction_.chunk_waits.push_back(id);
  }
  ack_part_done(id);
}

std::uint64_t Broker::attach_ack() {
  if (current_ack_ == 0) return 0;
  ++acks_.at(current_ack_).parts;
  return (std::uint64_t{self_} << 32) | current_ack_;
}

std::uint32_t Broker::begin_relay(std::uint64_t ack) {
  if (ack == 0) return 0;
  const std::uint32_t id = acks_.create(AckWait::Kind::kRelay);
  AckWait& w = acks_.at(id);
  w.shard = static_cast<std::uint32_t>(ack >> 32);
  w.token = static_cast<std::uint32_t>(ack);
  return id;
}

void Broker::ack_part_done(std::uint32_t id) {
  AckWait& w = acks_.at(id);
  RMQ_DCHECK(w.parts > 0);
  if (--w.parts > 0) return;
  if (w.inbound_session != 0) {
    // QoS 2 with deliveries on other shards, all durable now: record the packet id, then sync.
    Session* s = find_session(w.inbound_session);
    w.inbound_session = 0;
    if (s != nullptr && s->generation == w.inbound_generation) log_inbound(*s, w.packet_id, false);
    w.parts = 1;
    release_hold(id, log_ != nullptr ? log_->durable_position() : 0);
    return;
  }
  complete_wait(id);
}

void Broker::complete_wait(std::uint32_t id) {
  AckWait& w = acks_.at(id);
  engine::MailboxMessage mail;
  switch (w.kind) {
    case AckWait::Kind::kMqttAck: {
      w.ready = true;
      ClientConn* c = conn_of(w.conn);
      RMQ_DCHECK(c != nullptr);
      if (c != nullptr) flush_held_acks(*c);
      return;
    }
    case AckWait::Kind::kRelay:
      mail.type = static_cast<std::uint16_t>(MailType::kDurableAck);
      mail.u32 = w.token;
      post(w.shard, mail, /*droppable=*/false);
      break;
    case AckWait::Kind::kEndRemote:
      mail.type = static_cast<std::uint16_t>(MailType::kLogSessionEnd);
      mail.ptr = w.note;
      post(w.shard, mail, /*droppable=*/false);
      break;
    case AckWait::Kind::kOrphan:
    case AckWait::Kind::kFree: break;
  }
  acks_.release(id);
}

// Sends the connection's held acknowledgements that are ready, in order.
void Broker::flush_held_acks(ClientConn& c) {
  while (c.acks_head != 0 && acks_.at(c.acks_head).ready) {
    const std::uint32_t id = c.acks_head;
    const AckWait& w = acks_.at(id);
    c.acks_head = w.next;
    if (c.phase == ConnPhase::kConnected) {
      send_ack(c, static_cast<codec::PacketType>(w.ack_type), w.packet_id,
               static_cast<codec::ReasonCode>(w.reason));
    }
    acks_.release(id);
  }
  if (c.acks_head == 0) c.acks_tail = 0;
}

// The connection is closing: its held acknowledgements will never be sent; their waits finish
// quietly (the client sends the PUBLISH again on its next connection).
void Broker::orphan_held_acks(ClientConn& c) {
  for (std::uint32_t id = c.acks_head; id != 0;) {
    AckWait& w = acks_.at(id);
    const std::uint32_t next = w.next;
    if (w.ready) {
      acks_.release(id);
    } else {
      w.kind = AckWait::Kind::kOrphan;
    }
    id = next;
  }
  c.acks_head = c.acks_tail = 0;
}

void Broker::on_log_progress(engine::LogFile& file, std::uint64_t durable_offset) {
  (void)durable_offset;
  if (log_ == nullptr || !log_->on_progress(file)) return;
  acks_.on_durable(log_->durable_position(), [this](std::uint32_t id) { ack_part_done(id); });
  compaction_progress();
}

void Broker::on_log_error(engine::LogFile& file, int error) {
  if (log_ == nullptr) return;
  stats_.log_write_errors.add();
  const MonoTime now = shard_.now();
  if (now - last_log_warning_ >= std::chrono::seconds(10)) {
    last_log_warning_ = now;
    RMQ_LOG_WARN(
        "write-ahead log %s: %s; QoS 1/2 acknowledgements that need durability are held until "
        "writes succeed",
        file.path().c_str(), std::strerror(error));
  }
  if (file.sync_failed()) start_compaction("a failed fdatasync");
}

}  // namespace rmq::broker
