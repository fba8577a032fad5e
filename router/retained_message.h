// RetainedMessage: an owned, reference-counted, immutable retained PUBLISH: topic, payload, QoS,
// the MQTT 5.0 properties as opaque bytes (the router does not read them), the time it was stored
// and its optional Message Expiry Interval. One allocation holds the header and all the bytes.
//
// RetainedPtr is the owning handle. share() adds a reference (no copy): the shares may be held and
// released on any thread (the count is atomic; the message never changes). The bytes live until
// the last handle is released.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/clock.h"
#include "codec/properties.h"
#include "codec/types.h"

namespace rmq::router {

class RetainedPtr;

struct RetainedFields {
  std::string_view topic;
  codec::BinaryView payload;
  codec::QoS qos = codec::QoS::kAtMostOnce;
  codec::BinaryView properties;  // encoded MQTT 5.0 properties, kept as is
  MonoTime stored_at{};
  std::optional<std::uint32_t> expiry_interval_s;  // Message Expiry Interval, seconds
};

class RetainedMessage {
 public:
  // Copies `fields` into one new allocation.
  static RetainedPtr create(const RetainedFields& fields);

  std::string_view topic() const { return {chars(), topic_size_}; }
  codec::BinaryView payload() const { return {bytes() + topic_size_, payload_size_}; }
  codec::BinaryView properties() const {
    return {bytes() + topic_size_ + payload_size_, properties_size_};
  }
  codec::QoS qos() const { return qos_; }
  MonoTime stored_at() const { return stored_at_; }
  std::optional<std::uint32_t> expiry_interval_s() const;
  // True once the Message Expiry Interval has passed.
  bool expired(MonoTime now) const;
  // The Message Expiry Interval to send with it at `now`: the received value minus the time
  // spent waiting (MQTT 5.0 3.3.2.3.3); empty when the message has none.
  std::optional<std::uint32_t> remaining_expiry_s(MonoTime now) const;
  // Bytes this message counts against RetainedLimits::max_bytes: topic + payload + properties.
  std::size_t size_bytes() const {
    return std::size_t{topic_size_} + payload_size_ + properties_size_;
  }

 private:
  friend class RetainedPtr;
  RetainedMessage() = default;
  const char* chars() const { return reinterpret_cast<const char*>(this + 1); }
  const std::uint8_t* bytes() const { return reinterpret_cast<const std::uint8_t*>(this + 1); }
  void add_ref() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() const;

  mutable std::atomic<std::uint32_t> refs_{1};
  std::uint32_t payload_size_ = 0;
  std::uint32_t properties_size_ = 0;
  std::uint32_t expiry_interval_s_ = 0;
  std::uint16_t topic_size_ = 0;
  codec::QoS qos_ = codec::QoS::kAtMostOnce;
  bool has_expiry_ = false;
  MonoTime stored_at_{};
};

// Move-only owning handle; null after a move or when default-constructed.
class RetainedPtr {
 public:
  RetainedPtr() = default;
  RetainedPtr(RetainedPtr&& other) noexcept : message_(other.message_) { other.message_ = nullptr; }
  RetainedPtr& operator=(RetainedPtr&& other) noexcept;
  RetainedPtr(const RetainedPtr&) = delete;
  RetainedPtr& operator=(const RetainedPtr&) = delete;
  ~RetainedPtr() { reset(); }

  // Another reference to the same message.
  RetainedPtr share() const;
  void reset();

  const RetainedMessage* get() const { return message_; }
  const RetainedMessage* operator->() const { return message_; }
  const RetainedMessage& operator*() const { return *message_; }
  explicit operator bool() const { return message_ != nullptr; }

 private:
  friend class RetainedMessage;
  explicit RetainedPtr(const RetainedMessage* message) : message_(message) {}
  const RetainedMessage* message_ = nullptr;
};

}  // namespace rmq::router
