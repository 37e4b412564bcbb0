/* Verification of a backend's output against the float64 reference. */
#ifndef ROBOLUA_COMPARE_H
#define ROBOLUA_COMPARE_H
#include "dtype.h"
#include "resample_args.h"
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

/* The resampler's output is a lerp a + w*(b - a) in fp32: its rounding error is relative to the operands
   |a| and |b|, not to the result (near a zero crossing the result is tiny, the error is not). With
   operands, element i may also differ by orel * (|a| + |b|), the sum found in one of two ways:
   - args (the dense resampler): element (b, t, d) of an output [B,T,D] of resampling args->src at
     args->src_times onto args->tgt_times has a = src[b,i0,d], b = src[b,i1,d], i0 and i1 the rows the
     reference interpolates between (rl_resample_interval). args->out is not used.
   - sums (args NULL): sums[i] is given, one per element (the fused reference computes them:
     rl_fuse_reference, which also knows which channels are lerps at all). */
typedef struct {
  const rl_resample_args *args;
  const double *sums;
  double orel;
} rl_compare_operands;
void rl_compare_lerp(const void *got, rl_dtype dtype, const double *want, int64_t n, double rtol, double atol,
                     double ulps, const rl_compare_operands *ops, rl_compare_result *r);
/* The unit in the last place of dtype at magnitude |v| (its normal range; subnormal spacing below). */
double rl_ulp(rl_dtype dtype, double v);
#endif
