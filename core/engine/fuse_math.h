/* The arithmetic of the fused resampler, compiled into both the CPU pass (fuse_cpu.c) and the CUDA kernel
   (kernels/fuse.cu), so that every backend decides intervals, weights, nearest samples and quaternion
   interpolation by the same operations in the same order. Every float and double operation goes through
   a wrapper that is an explicit round-to-nearest intrinsic on the device and the plain operator on the
   host (the core is built with -ffp-contract=off): the results are bit-identical on both sides whatever
   the nvcc flags (no FMA contraction, no fast division). Trigonometry is our own (Taylor polynomials
   after argument reduction) for the same reason: libm and libdevice differ in the last bits.
   The float64 reference (fuse_reference.c) does not use this file. */
#ifndef ROBOLUA_FUSE_MATH_H
#define ROBOLUA_FUSE_MATH_H
#include "fuse_args.h"
#include <stdint.h>
#ifdef __CUDACC__
#include <cuda_fp16.h>
#define RL_HD static __host__ __device__ __forceinline__
#else
#include <math.h>
#include <string.h>
#define RL_HD static inline
#endif

#if defined(__CUDA_ARCH__)
RL_HD float rl_fsub(float a, float b) { return __fsub_rn(a, b); }
RL_HD float rl_fmul(float a, float b) { return __fmul_rn(a, b); }
RL_HD float rl_fadd(float a, float b) { return __fadd_rn(a, b); }
RL_HD float rl_fdiv(float a, float b) { return __fdiv_rn(a, b); }
RL_HD double rl_dsub(double a, double b) { return __dsub_rn(a, b); }
RL_HD double rl_dmul(double a, double b) { return __dmul_rn(a, b); }
RL_HD double rl_dadd(double a, double b) { return __dadd_rn(a, b); }
RL_HD double rl_ddiv(double a, double b) { return __ddiv_rn(a, b); }
RL_HD double rl_dsqrt(double a) { return __dsqrt_rn(a); }
RL_HD float rl_d2f(double a) { return __double2float_rn(a); }
RL_HD double rl_i2d(int64_t a) { return __ll2double_rn((long long)a); }
RL_HD float rl_bits_to_float(uint32_t u) { return __uint_as_float(u); }
RL_HD float rl_half_to_float(uint16_t h) { return __half2float(__ushort_as_half(h)); }
RL_HD double rl_nan(void) { return __longlong_as_double(0x7ff8000000000000ll); }
#else
RL_HD float rl_fsub(float a, float b) { return a - b; }
RL_HD float rl_fmul(float a, float b) { return a * b; }
RL_HD float rl_fadd(float a, float b) { return a + b; }
RL_HD float rl_fdiv(float a, float b) { return a / b; }
RL_HD double rl_dsub(double a, double b) { return a - b; }
RL_HD double rl_dmul(double a, double b) { return a * b; }
RL_HD double rl_dadd(double a, double b) { return a + b; }
RL_HD double rl_ddiv(double a, double b) { return a / b; }
RL_HD double rl_dsqrt(double a) { return sqrt(a); }
RL_HD float rl_d2f(double a) { return (float)a; }
RL_HD double rl_i2d(int64_t a) { return (double)a; }
RL_HD float rl_bits_to_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
RL_HD float rl_half_to_float(uint16_t h) { return rl_f16_to_f32(h); }
RL_HD double rl_nan(void) { return NAN; }
#endif

/* Element i of a source buffer as float (bf16, f16 and f32 exactly; f64, reference inputs only, rounded). */
RL_HD float rl_fm_load(const void *p, int dtype, int64_t i) {
  switch (dtype) {
  case RL_BF16: return rl_bits_to_float((uint32_t)((const uint16_t *)p)[i] << 16);
  case RL_F16: return rl_half_to_float(((const uint16_t *)p)[i]);
  case RL_F64: return rl_d2f(((const double *)p)[i]);
  default: return ((const float *)p)[i];
  }
}

/* Row b of a length tensor (i32 or i64). */
RL_HD int64_t rl_fm_len(const void *p, int dtype, int64_t b) {
  return dtype == RL_I32 ? (int64_t)((const int32_t *)p)[b] : ((const int64_t *)p)[b];
}

/* Where a target falls among one row's valid times st[0..L):
     L = 0          -> empty (the stream's channels get the fill value)
     x < st[0]      -> i0 = i1 = inear = 0 (also L = 1, and a NaN target)
     x >= st[L-1]   -> i0 = i1 = inear = L-1
     otherwise i0 is the largest i with st[i] <= x and i1 = i0 + 1 (so st[i0] <= x < st[i1]: equal
     neighbouring times never divide by zero), w = (x - st[i0]) / (st[i1] - st[i0]) as a float, and inear is
     i1 when st[i1] - x <= x - st[i0] (a tie takes the later sample), else i0. */
typedef struct {
  int64_t i0, i1, inear;
  float w;
  int empty;
} rl_fm_iv;

/* The weight and the nearest side of st[i0] <= x < st[i1], per time type. f32: the fast path's float
   weight (bit-identical to it); the distances for nearest in double (exact for f32 inputs). f64: the
   differences in double, which keeps absolute epoch seconds exact to their own resolution (the
   subtraction is the per-row rebasing); i64: the differences in int64 (exact: the binding checks every
   row spans less than 2^53 ns), converted exactly to double, one division, one rounding to float. */
RL_HD void rl_fm_weigh_f32(float x, float t0, float t1, float *w, int *later) {
  *w = rl_fdiv(rl_fsub(x, t0), rl_fsub(t1, t0));
  *later = rl_dsub((double)t1, (double)x) <= rl_dsub((double)x, (double)t0);
}
RL_HD void rl_fm_weigh_f64(double x, double t0, double t1, float *w, int *later) {
  const double d0 = rl_dsub(x, t0);
  *w = rl_d2f(rl_ddiv(d0, rl_dsub(t1, t0)));
  *later = rl_dsub(t1, x) <= d0;
}
RL_HD void rl_fm_weigh_i64(int64_t x, int64_t t0, int64_t t1, float *w, int *later) {
  const int64_t d0 = x - t0, span = t1 - t0;
  *w = rl_d2f(rl_ddiv(rl_i2d(d0), rl_i2d(span)));
  *later = span - d0 <= d0;
}

/* rl_fm_locate_<type>(st, L, x, hint): the interval of x (rule above). hint >= 0 (the CPU passes the
   previous target's i0) gallops from there before the binary search, so sorted targets cost O(1) each;
   any hint gives the same answer, since the rule fixes i0. hint < 0: a plain binary search. */
#define RL_FM_DEFINE_LOCATE(SUFFIX, TT)                                                                \
  RL_HD rl_fm_iv rl_fm_locate_##SUFFIX(const TT *st, int64_t L, TT x, int64_t hint) {                   \
    rl_fm_iv v = {0, 0, 0, 0.0f, 0};                                                                   \
    if (L <= 0) { v.empty = 1; return v; }                                                             \
    if (L == 1 || !(x >= st[0])) return v;                                                             \
    if (x >= st[L - 1]) { v.i0 = v.i1 = v.inear = L - 1; return v; }                                   \
    int64_t lo = 0, hi = L - 1; /* st[lo] <= x < st[hi] from here on */                                \
    if (hint >= 0 && hint < L - 1) {                                                                   \
      int64_t step = 1;                                                                                \
      if (st[hint] <= x) {                                                                             \
        lo = hint;                                                                                     \
        while (lo + step < hi && st[lo + step] <= x) { lo += step; step <<= 1; }                       \
        if (lo + step < hi) hi = lo + step;                                                            \
      } else {                                                                                         \
        hi = hint;                                                                                     \
        while (hi - step > lo && st[hi - step] > x) { hi -= step; step <<= 1; }                        \
        if (hi - step > lo) lo = hi - step;                                                            \
      }                                                                                                \
    }                                                                                                  \
    while (hi - lo > 1) {                                                                              \
      const int64_t mid = lo + ((hi - lo) >> 1);                                                       \
      if (st[mid] <= x) lo = mid; else hi = mid;                                                       \
    }                                                                                                  \
    int later;                                                                                         \
    rl_fm_weigh_##SUFFIX(x, st[lo], st[hi], &v.w, &later);                                             \
    v.i0 = lo;                                                                                         \
    v.i1 = hi;                                                                                         \
    v.inear = later ? hi : lo;                                                                         \
    return v;                                                                                          \
  }
RL_FM_DEFINE_LOCATE(f32, float)
RL_FM_DEFINE_LOCATE(f64, double)
RL_FM_DEFINE_LOCATE(i64, int64_t)
#undef RL_FM_DEFINE_LOCATE

/* Target index `i` of `tgt` located in one row of `times` (both in the call's time type). */
RL_HD rl_fm_iv rl_fm_locate(int time_dtype, const void *times, int64_t L, const void *tgt, int64_t i, int64_t hint) {
  switch (time_dtype) {
  case RL_F64: return rl_fm_locate_f64((const double *)times, L, ((const double *)tgt)[i], hint);
  case RL_I64: return rl_fm_locate_i64((const int64_t *)times, L, ((const int64_t *)tgt)[i], hint);
  default: return rl_fm_locate_f32((const float *)times, L, ((const float *)tgt)[i], hint);
  }
}

/* Linear: the fast path's a + w (b - a), one rounding per operation. */
RL_HD float rl_fm_lerp(float a, float b, float w) { return rl_fadd(a, rl_fmul(w, rl_fsub(b, a))); }

/* ---- trigonometry in double, from + - * / and sqrt only ---------------------------------------------- */
#define RL_FM_PI_2 1.5707963267948966
#define RL_FM_PI_4 0.78539816339744831

/* sin and cos of |x| <= pi/4 + a little: Taylor to x^17 / x^18 (the next terms are below 1e-19). */
RL_HD double rl_fm_sin_small(double x) {
  const double z = rl_dmul(x, x);
  double p = 1.0 / 355687428096000.0;  /* 1/17! */
  p = rl_dsub(1.0 / 1307674368000.0, rl_dmul(z, p)); /* 1/15! */
  p = rl_dsub(1.0 / 6227020800.0, rl_dmul(z, p));    /* 1/13! */
  p = rl_dsub(1.0 / 39916800.0, rl_dmul(z, p));      /* 1/11! */
  p = rl_dsub(1.0 / 362880.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 5040.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 120.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 6.0, rl_dmul(z, p));
  p = rl_dsub(1.0, rl_dmul(z, p));
  return rl_dmul(x, p);
}
RL_HD double rl_fm_cos_small(double x) {
  const double z = rl_dmul(x, x);
  double p = 1.0 / 6402373705728000.0; /* 1/18! */
  p = rl_dsub(1.0 / 20922789888000.0, rl_dmul(z, p)); /* 1/16! */
  p = rl_dsub(1.0 / 87178291200.0, rl_dmul(z, p));    /* 1/14! */
  p = rl_dsub(1.0 / 479001600.0, rl_dmul(z, p));      /* 1/12! */
  p = rl_dsub(1.0 / 3628800.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 40320.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 720.0, rl_dmul(z, p));
  p = rl_dsub(1.0 / 24.0, rl_dmul(z, p));
  p = rl_dsub(0.5, rl_dmul(z, p));
  return rl_dsub(1.0, rl_dmul(z, p));
}
/* sin x for x in [0, pi/2] (slerp's angles after the shortest-arc flip). */
RL_HD double rl_fm_sin_q(double x) {
  return x <= RL_FM_PI_4 ? rl_fm_sin_small(x) : rl_fm_cos_small(rl_dsub(RL_FM_PI_2, x));
}
/* sin and cos of any moderate x (|x| < 1e6; the generator's phases): Cody-Waite reduction by pi/2. */
RL_HD void rl_fm_sincos(double x, double *s, double *c) {
  const double k = floor(rl_dadd(rl_ddiv(x, RL_FM_PI_2), 0.5));
  const double r = rl_dsub(rl_dsub(x, rl_dmul(k, 1.5707963267948966)), rl_dmul(k, 6.123233995736766e-17));
  const double sr = rl_fm_sin_small(r), cr = rl_fm_cos_small(r);
  const int q = (int)((int64_t)k & 3);
  *s = q == 0 ? sr : q == 1 ? cr : q == 2 ? -sr : -cr;
  *c = q == 0 ? cr : q == 1 ? -sr : q == 2 ? -cr : sr;
}
/* atan z for z in [0, 1] (a little above 1 is fine): atan z = pi/4 + atan((z-1)/(z+1)) above tan(pi/8),
   then one halving atan t = 2 atan(t / (1 + sqrt(1 + t^2))) leaves |u| < 0.2 for a Taylor series to
   u^25 (next term below 1e-19). */
RL_HD double rl_fm_atan01(double z) {
  double base = 0.0, t = z;
  if (z > 0.41421356237309503) {
    base = RL_FM_PI_4;
    t = rl_ddiv(rl_dsub(z, 1.0), rl_dadd(z, 1.0));
  }
  const double u = rl_ddiv(t, rl_dadd(1.0, rl_dsqrt(rl_dadd(1.0, rl_dmul(t, t)))));
  const double y = rl_dmul(u, u);
  double p = 1.0 / 25.0;
  p = rl_dsub(1.0 / 23.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 21.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 19.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 17.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 15.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 13.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 11.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 9.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 7.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 5.0, rl_dmul(y, p));
  p = rl_dsub(1.0 / 3.0, rl_dmul(y, p));
  p = rl_dsub(1.0, rl_dmul(y, p));
  return rl_dadd(base, rl_dmul(2.0, rl_dmul(u, p)));
}

/* Slerp of quaternions q0 -> q1 (x, y, z, w order; the formula does not depend on the order) at weight w,
   in double: both inputs normalized; shortest arc (q1 negated when q0 . q1 < 0); the angle between them
   as theta = 2 atan(|a - b| / |a + b|) (accurate at small angles, unlike acos); below 2^-16 rad the
   interpolation is lerp + normalize (slerp and lerp differ there by < 1e-14); the result is normalized
   and rounded once to float. A zero or non-finite input quaternion gives NaN.
   Cost matters here: on the GPU this is the fused kernel's only double-precision code, and the FP64 pipe
   is half the FP32 one. So every normalization multiplies by one reciprocal instead of dividing four
   times, and sin(theta) comes from the half-angle identity sin(theta) = 2 sin(theta/2) cos(theta/2) =
   |a - b| |a + b| / 2 (unit a, b) instead of a third polynomial: 7 divisions and 2 sines where the
   textbook order takes 17 and 3 (tests/test_slerp.c holds the result to the float64 formula). */
#define RL_FM_SLERP_MIN_ANGLE 1.52587890625e-05 /* 2^-16 rad */
RL_HD void rl_fm_slerp(const float *q0, const float *q1, float wf, float *out) {
  double a[4], b[4], na = 0.0, nb = 0.0, dot = 0.0, dm = 0.0, dp = 0.0, r[4], nr = 0.0;
  for (int j = 0; j < 4; j++) {
    a[j] = q0[j];
    b[j] = q1[j];
    na = rl_dadd(na, rl_dmul(a[j], a[j]));
    nb = rl_dadd(nb, rl_dmul(b[j], b[j]));
  }
  if (!(na > 0.0) || !(nb > 0.0) || rl_dsub(na, na) != 0.0 || rl_dsub(nb, nb) != 0.0) {
    for (int j = 0; j < 4; j++) out[j] = rl_d2f(rl_nan());
    return;
  }
  const double ia = rl_ddiv(1.0, rl_dsqrt(na)), ib = rl_ddiv(1.0, rl_dsqrt(nb));
  for (int j = 0; j < 4; j++) {
    a[j] = rl_dmul(a[j], ia);
    b[j] = rl_dmul(b[j], ib);
    dot = rl_dadd(dot, rl_dmul(a[j], b[j]));
  }
  if (dot < 0.0)
    for (int j = 0; j < 4; j++) b[j] = -b[j];
  for (int j = 0; j < 4; j++) {
    const double m = rl_dsub(a[j], b[j]), p = rl_dadd(a[j], b[j]);
    dm = rl_dadd(dm, rl_dmul(m, m));
    dp = rl_dadd(dp, rl_dmul(p, p)); /* >= 2 after the flip: never a division by zero below */
  }
  const double theta = rl_dmul(2.0, rl_fm_atan01(rl_dsqrt(rl_ddiv(dm, dp))));
  const double w = wf;
  if (theta < RL_FM_SLERP_MIN_ANGLE) {
    for (int j = 0; j < 4; j++) r[j] = rl_dadd(a[j], rl_dmul(w, rl_dsub(b[j], a[j])));
  } else {
    const double inv_sin = rl_ddiv(2.0, rl_dsqrt(rl_dmul(dm, dp)));
    const double c0 = rl_dmul(rl_fm_sin_q(rl_dmul(rl_dsub(1.0, w), theta)), inv_sin);
    const double c1 = rl_dmul(rl_fm_sin_q(rl_dmul(w, theta)), inv_sin);
    for (int j = 0; j < 4; j++) r[j] = rl_dadd(rl_dmul(c0, a[j]), rl_dmul(c1, b[j]));
  }
  for (int j = 0; j < 4; j++) nr = rl_dadd(nr, rl_dmul(r[j], r[j]));
  const double inv_norm = rl_ddiv(1.0, rl_dsqrt(nr));
  for (int j = 0; j < 4; j++) out[j] = rl_d2f(rl_dmul(r[j], inv_norm));
}

/* What output channel c is: bits 0-1 the mode, 2-5 the stream, 6-7 the position in its slerp group,
   8-31 the channel within the stream; RL_FM_NO_CHANNEL if no stream of this call writes c. */
#define RL_FM_NO_CHANNEL 0xffffffffu
RL_HD uint32_t rl_fm_channel_code(const rl_fuse_args *a, int64_t c) {
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_stream *s = &a->streams[k];
    const int64_t d = c - s->out_offset;
    if (d < 0 || d >= s->dim) continue;
    uint32_t mode = RL_INTERP_LINEAR, pos = 0;
    for (int r = 0; r < s->nranges; r++) {
      if (d >= s->ranges[r].from && d < s->ranges[r].to) {
        mode = (uint32_t)s->ranges[r].mode;
        if (mode == RL_INTERP_SLERP) pos = (uint32_t)(d - s->ranges[r].from) & 3u;
      }
    }
    return mode | (uint32_t)k << 2 | pos << 6 | (uint32_t)d << 8;
  }
  return RL_FM_NO_CHANNEL;
}
#endif
