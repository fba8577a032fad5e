// RMQ_ASSERT: checked in every build; a failure is a bug, reported and aborted.
// RMQ_DCHECK: checked in debug and sanitizer builds only (compiled out under NDEBUG).
#pragma once

namespace rmq::detail {
[[noreturn]] void assert_fail(const char* expr, const char* file, int line, const char* func);
}  // namespace rmq::detail

#define RMQ_ASSERT(expr)                                                           \
  ((expr) ? static_cast<void>(0)                                                   \
          : ::rmq::detail::assert_fail(#expr, __FILE__, __LINE__, __func__))

#ifdef NDEBUG
#define RMQ_DCHECK(expr) static_cast<void>(sizeof(expr))
#else
#define RMQ_DCHECK(expr) RMQ_ASSERT(expr)
#endif
