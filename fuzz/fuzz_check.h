// FUZZ_CHECK: an invariant of a fuzz target. On failure it prints the condition and aborts, which
// libFuzzer reports as a crash (saving the input) and the replay runner as a failed test.

#ifndef ARTIDX_FUZZ_FUZZ_CHECK_H_
#define ARTIDX_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                 \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

#endif  // ARTIDX_FUZZ_FUZZ_CHECK_H_
