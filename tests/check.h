/* The C unit tests' one assertion: CHECK(cond, printf-style message) counts the check, prints the
   first 20 failures with their file and line, and check_summary() ends the test (exit code 1 on any
   failure). */
#ifndef ROBOLUA_TEST_CHECK_H
#define ROBOLUA_TEST_CHECK_H
#include <stdio.h>

static int failures = 0, checks = 0;
#define CHECK(cond, ...)                                                                               \
  do {                                                                                                 \
    checks++;                                                                                          \
    if (!(cond)) {                                                                                     \
      if (failures++ < 20) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
    }                                                                                                  \
  } while (0)

static inline int check_summary(void) {
  printf("%d passed, %d failed\n", checks - failures, failures);
  return failures ? 1 : 0;
}
#endif
