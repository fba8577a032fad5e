// Status and Result<T>: the error-return types of every ringmq module.
//
// Contract: no exceptions on the data path. A function that can fail returns Status (no value) or
// Result<T> (a value or an error). Both are cheap to move and never allocate: the message is a
// pointer to a string with static storage duration (a literal), so a Status can cross threads.
#pragma once

#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "base/assert.h"

namespace rmq {

enum class StatusCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,  // a caller-supplied value is out of range or malformed
  kOutOfRange,       // a buffer or limit is too small
  kResourceExhausted,
  kUnavailable,  // a facility (kernel feature, peer) is not there
  kIoError,
  kInternal,
};

std::string_view to_string(StatusCode code);

class [[nodiscard]] Status {
 public:
  constexpr Status() = default;
  // `message` must have static storage duration (a string literal).
  constexpr Status(StatusCode code, const char* message) : code_(code), message_(message) {}
  // An error carrying an errno-style system error number (positive).
  static constexpr Status Errno(StatusCode code, const char* message, int sys_errno) {
    Status s(code, message);
    s.sys_errno_ = sys_errno;
    return s;
  }

  constexpr bool ok() const { return code_ == StatusCode::kOk; }
  constexpr StatusCode code() const { return code_; }
  constexpr const char* message() const { return message_; }
  constexpr int sys_errno() const { return sys_errno_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  int sys_errno_ = 0;
  const char* message_ = "";
};

inline constexpr Status OkStatus() { return Status(); }

// Result<T>: either a T or a non-OK Status (a small std::expected for C++20).
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");

 public:
  Result(T value) : status_(), has_value_(true) { new (&value_) T(std::move(value)); }  // NOLINT
  Result(Status status) : status_(status), has_value_(false) {                         // NOLINT
    RMQ_ASSERT(!status.ok());
  }
  Result(const Result& other) : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(other.value_);
  }
  Result(Result&& other) noexcept : status_(other.status_), has_value_(other.has_value_) {
    if (has_value_) new (&value_) T(std::move(other.value_));
  }
  Result& operator=(Result other) noexcept {
    this->~Result();
    new (this) Result(std::move(other));
    return *this;
  }
  ~Result() {
    if (has_value_) value_.~T();
  }

  bool ok() const { return has_value_; }
  explicit operator bool() const { return has_value_; }
  const Status& status() const { return status_; }

  T& value() & {
    RMQ_ASSERT(has_value_);
    return value_;
  }
  const T& value() const& {
    RMQ_ASSERT(has_value_);
    return value_;
  }
  T&& value() && {
    RMQ_ASSERT(has_value_);
    return std::move(value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  bool has_value_;
  union {
    T value_;
  };
};

}  // namespace rmq

// Early-return helpers for functions returning Status or Result<U>.
#define RMQ_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::rmq::Status rmq_status_ = (expr);    \
    if (!rmq_status_.ok()) return rmq_status_; \
  } while (0)
