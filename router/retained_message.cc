#include "router/retained_message.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <new>

#include "base/assert.h"

namespace rmq::router {

RetainedPtr RetainedMessage::create(const RetainedFields& fields) {
  RMQ_ASSERT(fields.topic.size() <= std::numeric_limits<std::uint16_t>::max());
  RMQ_ASSERT(fields.payload.size() <= std::numeric_limits<std::uint32_t>::max());
  RMQ_ASSERT(fields.properties.size() <= std::numeric_limits<std::uint32_t>::max());
  const std::size_t body = fields.topic.size() + fields.payload.size() + fields.properties.size();
  void* memory = ::operator new(sizeof(RetainedMessage) + body);
  auto* m = new (memory) RetainedMessage();
  m->topic_size_ = static_cast<std::uint16_t>(fields.topic.size());
  m->payload_size_ = static_cast<std::uint32_t>(fields.payload.size());
  m->properties_size_ = static_cast<std::uint32_t>(fields.properties.size());
  m->qos_ = fields.qos;
  m->stored_at_ = fields.stored_at;
  m->has_expiry_ = fields.expiry_interval_s.has_value();
  m->expiry_interval_s_ = fields.expiry_interval_s.value_or(0);
  auto* out = reinterpret_cast<std::uint8_t*>(m + 1);
  if (!fields.topic.empty()) std::memcpy(out, fields.topic.data(), fields.topic.size());
  out += fields.topic.size();
  if (!fields.payload.empty()) std::memcpy(out, fields.payload.data(), fields.payload.size());
  out += fields.payload.size();
  if (!fields.properties.empty()) {
    std::memcpy(out, fields.properties.data(), fields.properties.size());
  }
  return RetainedPtr(m);
}

std::optional<std::uint32_t> RetainedMessage::expiry_interval_s() const {
  if (!has_expiry_) return std::nullopt;
  return expiry_interval_s_;
}

bool RetainedMessage::expired(MonoTime now) const {
  return has_expiry_ && now - stored_at_ >= std::chrono::seconds(expiry_interval_s_);
}

std::optional<std::uint32_t> RetainedMessage::remaining_expiry_s(MonoTime now) const {
  if (!has_expiry_) return std::nullopt;
  const auto waited = std::chrono::duration_cast<std::chrono::seconds>(now - stored_at_).count();
  const std::int64_t left = std::int64_t{expiry_interval_s_} - std::max<std::int64_t>(waited, 0);
  return static_cast<std::uint32_t>(std::max<std::int64_t>(left, 0));
}

void RetainedMessage::release() const {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  static_assert(std::is_trivially_destructible_v<MonoTime>);
  this->~RetainedMessage();
  ::operator delete(const_cast<RetainedMessage*>(this));
}

RetainedPtr& RetainedPtr::operator=(RetainedPtr&& other) noexcept {
  if (this != &other) {
    reset();
    message_ = other.message_;
    other.message_ = nullptr;
  }
  return *this;
}

RetainedPtr RetainedPtr::share() const {
  if (message_ != nullptr) message_->add_ref();
  return RetainedPtr(message_);
}

void RetainedPtr::reset() {
  if (message_ != nullptr) message_->release();
  message_ = nullptr;
}

}  // namespace rmq::router
