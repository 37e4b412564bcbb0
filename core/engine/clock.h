/* Monotonic wall clock. */
#ifndef ROBOLUA_CLOCK_H
#define ROBOLUA_CLOCK_H
#include <stdint.h>
uint64_t rl_clock_ns(void);
static inline double rl_clock_s(void) { return (double)rl_clock_ns() * 1e-9; }
#endif
