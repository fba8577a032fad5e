// OpenSSL error text and interned Status messages.
#include <openssl/err.h>

#include <cstring>
#include <mutex>
#include <set>

#include "tls/tls_internal.h"

namespace rmq::tls::internal {

std::string take_error_reason(std::string_view fallback) {
  const unsigned long code = ERR_peek_error();
  std::string text(fallback);
  if (code != 0) {
    const char* reason = ERR_SYSTEM_ERROR(code) ? std::strerror(ERR_GET_REASON(code))
                                                : ERR_reason_error_string(code);
    if (reason != nullptr) {
      text = reason;
    } else {
      char buf[256];
      ERR_error_string_n(code, buf, sizeof(buf));
      text = buf;
    }
  }
  ERR_clear_error();
  return text;
}

std::string take_error_string(std::string_view fallback) {
  const unsigned long code = ERR_peek_error();
  std::string text(fallback);
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text;
}

const char* intern_message(std::string_view text) {
  static std::mutex mu;
  // Never destroyed: a Status may be read during static destruction.
  static auto* messages = new std::set<std::string, std::less<>>();
  std::lock_guard lock(mu);
  auto it = messages->find(text);
  if (it == messages->end()) it = messages->emplace(text).first;
  return it->c_str();
}

}  // namespace rmq::tls::internal

namespace rmq::tls {

std::string_view openssl_version() { return OpenSSL_version(OPENSSL_VERSION); }

}  // namespace rmq::tls
