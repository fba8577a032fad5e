// FUZZ_CHECK(cond): an invariant of a fuzz target. On violation it names the condition and traps,
// which libFuzzer reports as a crash and saves the input for.
// FUZZ_CHECK_CTX(cond, format, ...): the same, printing a printf-style context line first.
#pragma once

#include <cstdio>

#define FUZZ_CHECK(cond)                                                                         \
  do {                                                                                           \
    if (!(cond)) {                                                                               \
      std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      __builtin_trap();                                                                          \
    }                                                                                            \
  } while (0)

#define FUZZ_CHECK_CTX(cond, ...)             \
  do {                                        \
    if (!(cond)) {                            \
      std::fprintf(stderr, "fuzz context: "); \
      std::fprintf(stderr, __VA_ARGS__);      \
      std::fprintf(stderr, "\n");             \
    }                                         \
    FUZZ_CHECK(cond);                         \
  } while (0)
