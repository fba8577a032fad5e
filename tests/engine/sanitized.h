// RMQ_TEST_SANITIZED is defined in ASan / TSan builds (GCC and Clang), where tests run with less
// data to stay quick.
#pragma once

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RMQ_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RMQ_TEST_SANITIZED 1
#endif
#endif
