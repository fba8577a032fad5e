// A tiny leveled logging facade. Lines go to stderr, one write(2) per line under a mutex, so lines
// from different threads never interleave. The level is process-wide (initially from the
// RINGMQ_LOG_LEVEL environment variable: debug|info|warn|error|off; default info).
//
// Thread-safety: every function here may be called from any thread.
#pragma once

#include <cstdint>

namespace rmq {

enum class LogLevel : std::uint8_t { kDebug = 0, kInfo, kWarn, kError, kOff };

void set_log_level(LogLevel level);
LogLevel log_level();
bool log_enabled(LogLevel level);

// printf-style; prefer the RMQ_LOG_* macros, which skip formatting when the level is disabled.
void log_write(LogLevel level, const char* file, int line, const char* format, ...)
    __attribute__((format(printf, 4, 5)));

}  // namespace rmq

#define RMQ_LOG(level, ...)                                     \
  do {                                                          \
    if (::rmq::log_enabled(level)) {                            \
      ::rmq::log_write(level, __FILE__, __LINE__, __VA_ARGS__); \
    }                                                           \
  } while (0)
#define RMQ_LOG_DEBUG(...) RMQ_LOG(::rmq::LogLevel::kDebug, __VA_ARGS__)
#define RMQ_LOG_INFO(...) RMQ_LOG(::rmq::LogLevel::kInfo, __VA_ARGS__)
#define RMQ_LOG_WARN(...) RMQ_LOG(::rmq::LogLevel::kWarn, __VA_ARGS__)
#define RMQ_LOG_ERROR(...) RMQ_LOG(::rmq::LogLevel::kError, __VA_ARGS__)
