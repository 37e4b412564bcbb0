/* Verification of a backend's output against the float64 reference. */
#ifndef ROBOLUA_COMPARE_H
#define ROBOLUA_COMPARE_H
#include "dtype.h"
#include <stdint.h>

typedef struct {
  int64_t count, bad, nonfinite;
  int64_t first_bad;      /* -1 if none */
  double max_abs_err, max_rel_err, max_ulp_err; /* ulp of the stored type at the reference value */
  double first_bad_got, first_bad_want;
} rl_compare_result;

/* Element i passes when |got - want| <= atol + rtol*|want| + ulps * ulp_dtype(want).
   Any NaN/inf in got where want is finite fails. */
void rl_compare(const void *got, rl_dtype dtype, const double *want, int64_t n, double rtol, double atol,
                double ulps, rl_compare_result *r);
/* The unit in the last place of dtype at magnitude |v| (its normal range; subnormal spacing below). */
double rl_ulp(rl_dtype dtype, double v);
#endif
