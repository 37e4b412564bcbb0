/* The median of a sample, for C code that reports one (copy bandwidth probes). */
#ifndef ROBOLUA_MEDIAN_H
#define ROBOLUA_MEDIAN_H
#include <stddef.h>
/* Sorts v[0..n) in place and returns its median (mean of the two middle values for even n); n >= 1. */
double rl_median_inplace(double *v, size_t n);
#endif
