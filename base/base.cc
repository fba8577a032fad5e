#include <cstdio>
#include <cstdlib>

#include "base/assert.h"
#include "base/status.h"

namespace rmq {

namespace detail {
void assert_fail(const char* expr, const char* file, int line, const char* func) {
  std::fprintf(stderr, "ringmq: assertion failed: %s (%s:%d in %s)\n", expr, file, line, func);
  std::fflush(stderr);
  std::abort();
}
}  // namespace detail

std::string_view to_string(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kOutOfRange: return "out of range";
    case StatusCode::kResourceExhausted: return "resource exhausted";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kInternal: return "internal error";
  }
  return "unknown";
}

}  // namespace rmq
