/* A small, correct CPU implementation of robolua's resampler contract (include/robolua/contract.h),
   as a user would ship it in a shared library:
     cc -O2 -ffp-contract=off -fPIC -shared -I include examples/cpu/mine_resample.c -o libmine.so
     build/robolua scenarios/dod.lua cpu=./libmine.so cpu_entry=mine_resample   (its DoD, next to robolua's)
     rl.cpu.library { path = "./libmine.so",
                      name = { f32 = "mine_resample_f32", bf16 = "mine_resample_bf16", f16 = "mine_resample_f16" } }
   Single-threaded (it ignores `threads`) and plain: a binary search per output row, then the lerp in
   fp32 with the contract's formula, rounded once to the stored type. It returns 1 for sizes below 1. */
#include "robolua/contract.h"
#include <string.h>

robolua_cpu_resample_f32 mine_resample_f32;
robolua_cpu_resample_bf16 mine_resample_bf16;
robolua_cpu_resample_f16 mine_resample_f16;

/* The interval of x in st[0..S): i0, i1 and the weight (the contract's clamping and tie rule). */
static void interval(const float *st, int S, float x, int *i0, int *i1, float *w) {
  *i0 = *i1 = 0;
  *w = 0.0f;
  if (S == 1 || !(x >= st[0])) return;
  if (x >= st[S - 1]) {
    *i0 = *i1 = S - 1;
    return;
  }
  int lo = 0, hi = S - 1; /* st[lo] <= x < st[hi] */
  while (hi - lo > 1) {
    int mid = lo + (hi - lo) / 2;
    if (st[mid] <= x) lo = mid;
    else hi = mid;
  }
  *i0 = lo;
  *i1 = lo + 1;
  *w = (x - st[lo]) / (st[lo + 1] - st[lo]);
}

static float bf16_to_f32(robolua_bf16 h) {
  unsigned u = (unsigned)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static robolua_bf16 f32_to_bf16(float f) { /* round to nearest even; NaN stays a (quiet) NaN */
  unsigned u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (robolua_bf16)((u >> 16) | 0x40u);
  return (robolua_bf16)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static float f16_to_f32(robolua_f16 h) {
  unsigned sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
  if (exp == 0x1f) u = sign | 0x7f800000u | (man << 13); /* inf, NaN */
  else if (exp != 0) u = sign | ((exp + 112) << 23) | (man << 13);
  else if (man == 0) u = sign; /* zero */
  else { /* subnormal: normalise */
    int e = -1;
    do { man <<= 1; e++; } while (!(man & 0x400u));
    u = sign | ((unsigned)(112 - e) << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static robolua_f16 f32_to_f16(float f) { /* round to nearest even */
  unsigned u;
  memcpy(&u, &f, 4);
  unsigned sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
  if (a > 0x7f800000u) return (robolua_f16)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
  if (a >= 0x477ff000u) return (robolua_f16)(sign | 0x7c00u); /* rounds past the largest half: inf */
  if (a >= 0x38800000u) { /* normal half */
    unsigned r = a - 0x38000000u; /* rebias the exponent (127 -> 15) */
    r += 0xfffu + ((r >> 13) & 1u);
    return (robolua_f16)(sign | (r >> 13));
  }
  if (a < 0x33000000u) return (robolua_f16)sign; /* below half the smallest subnormal: zero */
  unsigned man = (a & 0x7fffffu) | 0x800000u, shift = 126 - (a >> 23); /* subnormal half */
  unsigned r = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (r & 1u))) r++;
  return (robolua_f16)(sign | r);
}

#define MINE_BODY(LOAD, STORE)                                                                         \
  if (B < 1 || S < 1 || T < 1 || D < 1) return 1;                                                      \
  (void)threads;                                                                                       \
  for (long long b = 0; b < B; b++) {                                                                  \
    const float *st = src_times + b * S;                                                               \
    for (long long t = 0; t < T; t++) {                                                                \
      int i0, i1;                                                                                      \
      float w;                                                                                         \
      interval(st, S, tgt_times[b * T + t], &i0, &i1, &w);                                             \
      for (long long d = 0; d < D; d++) {                                                              \
        float a = LOAD(src[(b * S + i0) * D + d]), c = LOAD(src[(b * S + i1) * D + d]);               \
        out[(b * T + t) * D + d] = STORE(a + w * (c - a));                                             \
      }                                                                                                \
    }                                                                                                  \
  }                                                                                                    \
  return 0;

#define AS_IS(v) (v)

int mine_resample_f32(const float *src, const float *src_times, const float *tgt_times, float *out, int B, int S,
                      int T, int D, int threads) {
  MINE_BODY(AS_IS, AS_IS)
}

int mine_resample_bf16(const robolua_bf16 *src, const float *src_times, const float *tgt_times, robolua_bf16 *out,
                       int B, int S, int T, int D, int threads) {
  MINE_BODY(bf16_to_f32, f32_to_bf16)
}

int mine_resample_f16(const robolua_f16 *src, const float *src_times, const float *tgt_times, robolua_f16 *out,
                      int B, int S, int T, int D, int threads) {
  MINE_BODY(f16_to_f32, f32_to_f16)
}
