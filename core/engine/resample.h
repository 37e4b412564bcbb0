/* Trajectory resampling: src[B,S,D] sampled at src_times[B,S] (non-decreasing per row), linearly
   interpolated onto tgt_times[B,T]; out[B,T,D].
   Rule (shared by every backend): for target x in batch row b,
     x <  st[0]    -> row 0           (clamp, as numpy.interp)
     x >= st[S-1]  -> row S-1         (clamp; also an exact hit on the last time)
     otherwise i is the largest index with st[i] <= x, so st[i] <= x < st[i+1] and st[i+1] > st[i]:
       w = (x - st[i]) / (st[i+1] - st[i]);  out = src[i] + w * (src[i+1] - src[i])
   Equal neighbouring times are kept (unless validation is strict) and never divide by zero: a target at
   a repeated time takes the last row with that time. fp32 arithmetic, one rounding to the stored type. */
#ifndef ROBOLUA_RESAMPLE_H
#define ROBOLUA_RESAMPLE_H
#include "resample_args.h"
#include <stddef.h>

/* CPU resampler, fp32 arithmetic, on `threads` threads (0 = choose: all cores, fewer when the problem is
   too small to split). Returns the thread count used. */
int rl_resample_cpu(const rl_resample_args *a, int threads);
/* Float64 reference: a separate implementation (linear scan of intervals, double arithmetic) writing
   out as double[B,T,D]. Any src dtype. */
void rl_resample_reference(const rl_resample_args *a, double *out, int threads);

/* The rule above for one target x of a row of source times st[0..S): the rows i0 and i1 it interpolates
   between and the weight w (i0 == i1 and w = 0 when clamped; NaN x clamps to row 0). Never reads
   outside st, whatever the times hold. */
void rl_resample_interval(const float *st, int64_t S, double x, int64_t *i0, int64_t *i1, double *w);

/* Time validation: NULL when every row of times[rows, len] is free of NaN/inf and non-decreasing
   (strictly increasing if strict); else a message naming the first bad element, written to err. */
const char *rl_validate_times(const float *times, int64_t rows, int64_t len, int monotone, int strict,
                              char *err, size_t errlen);
#endif
