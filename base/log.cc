#include "base/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

namespace rmq {
namespace {

LogLevel level_from_env() {
  const char* value = std::getenv("RINGMQ_LOG_LEVEL");
  if (value == nullptr) return LogLevel::kInfo;
  if (std::strcmp(value, "debug") == 0) return LogLevel::kDebug;
  if (std::strcmp(value, "warn") == 0) return LogLevel::kWarn;
  if (std::strcmp(value, "error") == 0) return LogLevel::kError;
  if (std::strcmp(value, "off") == 0) return LogLevel::kOff;
  return LogLevel::kInfo;
}

std::atomic<LogLevel>& level_ref() {
  static std::atomic<LogLevel> level{level_from_env()};
  return level;
}

std::mutex& write_mutex() {
  static std::mutex mutex;
  return mutex;
}

char level_letter(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return 'D';
    case LogLevel::kInfo: return 'I';
    case LogLevel::kWarn: return 'W';
    case LogLevel::kError: return 'E';
    case LogLevel::kOff: return '-';
  }
  return '?';
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

}  // namespace

void set_log_level(LogLevel level) { level_ref().store(level, std::memory_order_relaxed); }

LogLevel log_level() { return level_ref().load(std::memory_order_relaxed); }

bool log_enabled(LogLevel level) { return level != LogLevel::kOff && level >= log_level(); }

void log_write(LogLevel level, const char* file, int line, const char* format, ...) {
  char text[1024];
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm parts{};
  localtime_r(&now.tv_sec, &parts);
  int used = std::snprintf(text, sizeof(text), "%c %02d:%02d:%02d.%03ld %s:%d] ",
                           level_letter(level), parts.tm_hour, parts.tm_min, parts.tm_sec,
                           now.tv_nsec / 1000000, base_name(file), line);
  if (used < 0) return;
  va_list args;
  va_start(args, format);
  int body = std::vsnprintf(text + used, sizeof(text) - static_cast<size_t>(used), format, args);
  va_end(args);
  size_t length = static_cast<size_t>(used) + (body > 0 ? static_cast<size_t>(body) : 0);
  if (length > sizeof(text) - 2) length = sizeof(text) - 2;
  text[length++] = '\n';
  std::lock_guard<std::mutex> lock(write_mutex());
  ssize_t ignored = ::write(STDERR_FILENO, text, length);
  (void)ignored;
}

}  // namespace rmq
