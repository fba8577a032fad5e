// Routing a message: one match against the shared index, deliveries folded per session, local
// sessions served directly and every other shard sent one mailbox message carrying the shared
// message and that shard's deliveries (ARCHITECTURE.md section 3, steps 5-6).
#include "broker/broker.h"

namespace rmq::broker {
namespace {

void discard(const engine::MailboxMessage& message) {
  SharedBytes::from_raw(message.bytes).release();
  switch (static_cast<MailType>(message.type)) {
    case MailType::kDeliver: delete static_cast<DeliveryBatch*>(message.ptr); break;
    case MailType::kTakeoverRequest: delete static_cast<TakeoverRequest*>(message.ptr); break;
    case MailType::kTakeoverReply: delete static_cast<SessionState*>(message.ptr); break;
    case MailType::kDeliverOne: break;
    case MailType::kAuthVerdict: delete static_cast<AuthRequest*>(message.ptr); break;
    case MailType::kLogSessionEnd: delete static_cast<SessionEndNote*>(message.ptr); break;
    case MailType::kDurableAck:
    case MailType::kRetainLog: break;
  }
}

constexpr std::uint64_t kHasId = 1u << 4;

// Posts (and message bytes) waiting in the outbox over which a droppable post is dropped: about
// 3 MB of entries plus 64 MiB of messages per shard; a fan-in burst of 64 clients' windows of
// 1000 messages of 1 KiB fits.
constexpr std::size_t kMaxPendingDroppable = 64 * 1024;
constexpr std::size_t kMaxPendingDroppableBytes = 64 * 1024 * 1024;

}  // namespace

bool fits_in_mail(const DeliveryBatch& batch) {
  return batch.deliveries.size() == 1 && batch.deliveries[0].ids_count <= 1;
}

// Bits 0-1 QoS, 2 retain as published, 3 shared match, 4 has an id, 32-63 the id.
std::uint64_t pack_delivery(const router::Delivery& d, std::span<const std::uint32_t> ids) {
  std::uint64_t packed = static_cast<std::uint64_t>(d.max_qos);
  if (d.retain_as_published) packed |= 1u << 2;
  if (d.kind == router::MatchKind::kShared) packed |= 1u << 3;
  if (!ids.empty()) packed |= kHasId | (std::uint64_t{ids[0]} << 32);
  return packed;
}

void unpack_delivery(std::uint32_t session, std::uint64_t packed, DeliveryBatch& out) {
  out.clear();
  router::Delivery d;
  d.session = session;
  d.max_qos = static_cast<codec::QoS>(packed & 3u);
  d.retain_as_published = (packed & (1u << 2)) != 0;
  d.kind = (packed & (1u << 3)) != 0 ? router::MatchKind::kShared : router::MatchKind::kDirect;
  if ((packed & kHasId) != 0) {
    out.ids.push_back(static_cast<std::uint32_t>(packed >> 32));
    d.ids_count = 1;
  }
  out.deliveries.push_back(d);
}

std::size_t Broker::route(const Message& message) {
  router::TopicIndex& index = shared_.index();
  // Online for matching from the first match of a loop turn until on_turn_end(): one quiescent
  // point per turn, not per message; the match results hold copies only, and a shard waiting
  // for work is offline, so it never holds reclamation back.
  if (!index_reader_online_) {
    index.quiescent(self_);
    index_reader_online_ = true;
  }
  // A shared group's message goes to a member that is connected and keeping up; when none is,
  // QoS 1/2 still go to the member in turn (queued for it), QoS 0 to nobody.
  const SessionPresence& presence = shared_.presence();
  auto busy = [&presence](const router::SubscriberRef& member) {
    return !presence.ready(member.shard, member.session);
  };
  const bool qos0 = message.qos() == codec::QoS::kAtMostOnce;
  index.match(message.topic(), match_, router::MemberPick{busy, !qos0});
  if (qos0 && match_.unserved_groups() != 0)
    stats_.dropped_shared_busy.add(match_.unserved_groups());
  if (match_.empty()) return 0;
  const Publisher publisher = message.publisher();
  std::optional<router::SessionKey> no_local_key;
  if (publisher.known()) no_local_key = router::SessionKey{publisher.shard, publisher.session};
  std::size_t deliveries = 0;
  for (const router::ShardId shard : match_.shards()) {
    merged_.clear();
    router::merge_by_session(match_.for_shard(shard), merged_, no_local_key);
    if (merged_.deliveries().empty()) continue;
    local_batch_.clear();
    for (router::Delivery d : merged_.deliveries()) {
      const std::span<const std::uint32_t> ids = merged_.ids_of(d);
      d.ids_begin = static_cast<std::uint32_t>(local_batch_.ids.size());
      local_batch_.ids.insert(local_batch_.ids.end(), ids.begin(), ids.end());
      local_batch_.deliveries.push_back(d);
    }
    deliveries += local_batch_.deliveries.size();
    if (shard == self_) {
      deliver_batch(message, local_batch_);
    } else {
      post_batch(shard, message, local_batch_);
    }
  }
  return deliveries;
}

void Broker::post_batch(std::uint32_t shard, const Message& message, const DeliveryBatch& batch) {
  engine::MailboxMessage mail;
  const std::uint64_t ack = attach_ack();  // QoS 1/2 under --durability sync
  if (ack == 0 && fits_in_mail(batch)) {
    const router::Delivery& d = batch.deliveries[0];
    mail.type = static_cast<std::uint16_t>(MailType::kDeliverOne);
    mail.u32 = d.session;
    mail.u64 = pack_delivery(d, batch.ids_of(d));
  } else {
    mail.type = static_cast<std::uint16_t>(MailType::kDeliver);
    auto* copy = new DeliveryBatch(batch);
    copy->ack = ack;
    mail.ptr = copy;
  }
  mail.bytes = message.share().take_bytes().into_raw();
  post(shard, mail, /*droppable=*/message.qos() == codec::QoS::kAtMostOnce);
}

// Posts `message` to `shard`, in order behind anything still waiting. A full mailbox is
// backpressure: the message waits in the outbox, retried before every later post and from a
// timer, so a destination shard that falls behind a burst loses nothing. Only a droppable message
// (QoS 0 fan-out) finding the outbox at its bounds (kMaxPendingDroppable posts, or
// kMaxPendingDroppableBytes of messages) is dropped and counted.
void Broker::post(std::uint32_t shard, const engine::MailboxMessage& message, bool droppable) {
  if (!outbox_.empty()) retry_outbox();
  if (outbox_.empty() && shard_.post(shard, message).ok()) return;
  const bool outbox_full =
      outbox_.size() >= kMaxPendingDroppable ||
      (!outbox_.empty() && outbox_bytes_ + message.bytes.size > kMaxPendingDroppableBytes);
  if (droppable && outbox_full) {
    stats_.dropped_mailbox.add();
    discard(message);
    return;
  }
  outbox_.push_back(PendingPost{shard, message});
  outbox_bytes_ += message.bytes.size;
  if (!outbox_timer_.armed()) shard_.arm_timer(outbox_timer_, std::chrono::milliseconds(1));
}

void Broker::retry_outbox() {
  while (!outbox_.empty()) {
    if (!shard_.post(outbox_.front().shard, outbox_.front().message).ok()) break;
    outbox_bytes_ -= outbox_.front().message.bytes.size;
    outbox_.pop_front();
  }
  if (!outbox_.empty() && !outbox_timer_.armed()) {
    shard_.arm_timer(outbox_timer_, std::chrono::milliseconds(1));
  }
}

void Broker::discard_outbox() {
  for (const PendingPost& pending : outbox_) discard(pending.message);
  outbox_.clear();
  outbox_bytes_ = 0;
}

}  // namespace rmq::broker
