/* The general resampler: several streams (each its own rate, length, dtype and interpolation modes per
   channel range), f32/f64/i64 timestamps, ragged rows, fused onto one target timeline. The rule of every
   mode is in fuse_math.h, the whole contract in doc/robot.md. The plain case (one dense all-linear
   stream with f32 times) keeps the fast path of resample.h. */
#ifndef ROBOLUA_FUSE_H
#define ROBOLUA_FUSE_H
#include "fuse_args.h"
#include <stddef.h>
#include <stdint.h>

/* CPU pass over the output: rows (b, target chunk) handed out dynamically over the thread pool, every
   output element written once. threads = 0: choose. Returns the thread count used. */
int rl_fuse_cpu(const rl_fuse_args *a, int threads);
/* One call as the bindings make it: fused (one pass), or per_stream (one pass per stream). */
int rl_fuse_cpu_call(const rl_fuse_args *a, int per_stream, int threads);
/* CPU timing loop of rl_fuse_cpu_call, shaped like cpu_bench.c's: warmup + repeats calls, each timed by the
   monotonic clock; cold writes twice the last-level cache before each sample, outside the timing. Returns
   the thread count used, -1 if the flush buffer can't be allocated, or RL_BENCH_INTERRUPTED. */
int rl_cpu_time_fuse(const rl_fuse_args *a, int per_stream, int threads, int warmup, int repeats, int cold,
                     double *samples_ms);
/* Float64 reference, written apart from the fast code (upper-bound search on rebased times, libm
   trigonometry): out is double [B, T, out_dim] (a->out is not used). operands, if not NULL, is double
   [B, T, out_dim] too and gets what the fp32 error of each element is relative to (compare.h): for a
   linear channel |a| + |b|, the two source samples its lerp interpolates between; 0 where the output
   is a copy (hold, nearest), a unit quaternion (slerp: its error is within the absolute tolerance) or
   the fill. */
void rl_fuse_reference(const rl_fuse_args *a, double *out, double *operands, int threads);

/* ---- time checks (time_checks.c); rows = B, len = the padded length, lens[b] the valid length of row b
   (NULL: len). Each returns NULL, or a message written to err. ---------------------------------------- */
/* Finite (f32, f64) and, if monotone, non-decreasing (strictly increasing if strict) over valid lengths. */
const char *rl_check_time_rows(const void *t, rl_dtype dt, int64_t rows, int64_t len, const int64_t *lens,
                               int monotone, int strict, char *err, size_t errlen);
/* The f32 resolution rule: a row of n >= 2 valid times whose mean spacing (max - min) / (n - 1) is below
   RL_F32_MIN_SPACING_ULPS units in the last place of f32 at the row's largest magnitude is rejected, as is
   a row whose times are all equal at a magnitude >= 2^24 (where f32 cannot hold consecutive integers). */
#define RL_F32_MIN_SPACING_ULPS 64
const char *rl_check_f32_resolution(const float *t, int64_t rows, int64_t len, const int64_t *lens, char *err,
                                    size_t errlen);
/* i64: widens mn[b], mx[b] by the valid times of row b (rows with no valid time are left alone). */
void rl_i64_row_extent(const int64_t *t, int64_t rows, int64_t len, const int64_t *lens, int64_t *mn,
                       int64_t *mx);
/* The largest span (max - min) of one row's i64 times: every difference the engine forms is then exact in
   int64 and in double. */
#define RL_I64_MAX_ROW_SPAN ((int64_t)1 << 53)
#endif
