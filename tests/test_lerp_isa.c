/* The instruction-set row kernels (core/engine/lerp_x86.c) against the portable ones, byte for byte,
   at every level this CPU supports (AVX2 and AVX-512 on an AVX-512 machine; AVX2 alone on an AVX2
   one): rounding ties of both parities (the fp32 result exactly halfway between two 16-bit values),
   near-ties, NaNs of every kind (quiet, signalling, negative, made by inf - inf and 0 * inf, a NaN
   weight whose payload reaches the low half), infinities, subnormals, random bit patterns, and every
   length from 0 to 70 at unaligned addresses (tails shorter than a vector). Then the whole resampler
   (rl_resample_cpu, streamed stores included) at each level against the portable level. */
#include "cpu_bench.h"
#include "cpu_isa.h"
#include "lerp.h"
#include "resample.h"
#include "rng.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static float bits_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* a stream of draws from the counter-based generator */
typedef struct { uint64_t seed, n; } draws;
static void draws_seed(draws *r, uint64_t seed) { r->seed = seed; r->n = 0; }
static uint64_t draws_next(draws *r) { return rl_rand64(r->seed, 1, r->n++); }
static double draws_uniform(draws *r) { return rl_uniform01(r->seed, 2, r->n++); }

#define N_MAX 4096
static const rl_dtype dtypes[3] = {RL_F32, RL_BF16, RL_F16};

/* Whether the element at p (dtype t) is a NaN. */
static int is_nan(rl_dtype t, const unsigned char *p) {
  if (t == RL_F32) {
    uint32_t u;
    memcpy(&u, p, 4);
    return (u & 0x7fffffffu) > 0x7f800000u;
  }
  uint16_t h;
  memcpy(&h, p, 2);
  return (h & 0x7fffu) > (t == RL_BF16 ? 0x7f80u : 0x7c00u);
}

/* Runs the kernel of `isa` and the portable one on (a, b, w) at byte offset `off` from 64-byte
   alignment and compares the output bytes (and that nothing past n was written). `off` is a multiple
   of the element size, as a tensor's rows are: unaligned for the vectors, never for the element. */
static int same_bytes(rl_dtype t, rl_cpu_isa isa, const void *a, const void *b, float w, int64_t n, int off,
                      const char *what) {
  static _Alignas(64) unsigned char ia[N_MAX * 4 + 128], ib[N_MAX * 4 + 128], o1[N_MAX * 4 + 128], o2[N_MAX * 4 + 128];
  const size_t es = rl_dtype_size(t), bytes = (size_t)n * es;
  memcpy(ia + off, a, bytes);
  memcpy(ib + off, b, bytes);
  memset(o1, 0xA5, sizeof o1);
  memset(o2, 0xA5, sizeof o2);
  rl_lerp_select(t, RL_ISA_GENERIC)(o1 + off, ia + off, ib + off, w, n);
  rl_lerp_select(t, isa)(o2 + off, ia + off, ib + off, w, n);
  int ok = memcmp(o1, o2, sizeof o1) == 0;
  rl_lerp_fn nt = rl_lerp_select_nt(t, isa);
  if (ok && off % 64 == 0) { /* the streaming-store variant, where its alignment holds */
    CHECK(nt != NULL, "%s %s has a streaming-store kernel", rl_dtype_name(t), rl_cpu_isa_name(isa));
    if (nt) {
      memset(o2, 0xA5, sizeof o2);
      nt(o2 + off, ia + off, ib + off, w, n);
      ok = memcmp(o1, o2, sizeof o1) == 0;
    }
  }
  if (!ok) {
    for (size_t i = 0; i < sizeof o1; i++)
      if (o1[i] != o2[i]) {
        size_t e = (i - (size_t)off) / es; /* (the streaming variant, if the plain one agreed) */
        /* Where both operands are NaN, which payload survives depends on the operand order the
           compiler gives a commutative add (x86 keeps the first source's): the result need only be NaN. */
        if (i >= (size_t)off && e < (size_t)n && is_nan(t, ia + off + e * es) && is_nan(t, ib + off + e * es) &&
            is_nan(t, o1 + off + e * es) && is_nan(t, o2 + off + e * es)) {
          i = off + (e + 1) * es - 1;
          continue;
        }
        CHECK(0, "%s %s %s n=%lld w=%a: element %zu differs (portable %02x%02x, %s %02x%02x)", rl_dtype_name(t),
              rl_cpu_isa_name(isa), what, (long long)n, (double)w, e, o1[off + e * es + 1], o1[off + e * es],
              rl_cpu_isa_name(isa), o2[off + e * es + 1], o2[off + e * es]);
        return 0;
      }
  }
  checks++;
  return 1;
}

/* 16-bit values: ties and near-ties. For bf16 (7 stored mantissa bits) and f16 (10): neighbours
   a = m * 2^e and b = (m + 1) * 2^e, so a + w (b - a) at w = 1/2 is exactly halfway between two
   representable values (m even and m odd both occur), at w = 1/4, 3/4 and 1/2 +- 2^-20 it is not. */
static void test_ties(rl_dtype t, rl_cpu_isa isa) {
  const int bits = t == RL_BF16 ? 7 : 10;
  uint16_t a[N_MAX], b[N_MAX];
  int n = 0;
  for (int e = -8; e <= 8 && n < N_MAX - 4; e++) {
    for (int k = 0; k < 48 && n < N_MAX - 4; k++) {
      /* m runs over even and odd significands, and up to the last one below the next power of two
         (m + 1 = 2^(bits+1): the rounding carries into the exponent) */
      int m = (1 << bits) + (k * 37 + (k == 47 ? (1 << bits) - 1 : 0)) % (1 << bits);
      if (k == 47) m = (1 << (bits + 1)) - 1;
      double va = (double)m * ((e < 0) ? 1.0 / (double)(1 << -e) : (double)(1 << e)) / (double)(1 << bits);
      double vb = (double)(m + 1) * ((e < 0) ? 1.0 / (double)(1 << -e) : (double)(1 << e)) / (double)(1 << bits);
      for (int s = 0; s < 2; s++) { /* both signs */
        double sa = s ? -va : va, sb = s ? -vb : vb;
        if (t == RL_BF16) {
          a[n] = rl_f32_to_bf16((float)sa);
          b[n] = rl_f32_to_bf16((float)sb);
        } else {
          a[n] = rl_f32_to_f16((float)sa);
          b[n] = rl_f32_to_f16((float)sb);
        }
        n++;
        a[n] = b[n - 1]; /* and the other way round */
        b[n] = a[n - 1];
        n++;
      }
    }
  }
  /* the inputs must be exact: a tie test on rounded inputs would test nothing */
  int exact = 1;
  for (int i = 0; i < n; i++) {
    float fa = t == RL_BF16 ? rl_bf16_to_f32(a[i]) : rl_f16_to_f32(a[i]);
    float fb = t == RL_BF16 ? rl_bf16_to_f32(b[i]) : rl_f16_to_f32(b[i]);
    double mid = ((double)fa + (double)fb) / 2;
    exact &= (double)(fa + 0.5f * (fb - fa)) == mid && fa != fb;
  }
  CHECK(exact, "%s tie inputs are neighbours whose midpoint is an fp32 value", rl_dtype_name(t));
  /* and the ties are real ties: the portable kernel rounds half of them up (odd m) and half down */
  uint16_t o[N_MAX];
  rl_lerp_select(t, RL_ISA_GENERIC)(o, a, b, 0.5f, n);
  int even = 0, odd = 0;
  for (int i = 0; i < n; i++) {
    uint16_t lo = a[i] < b[i] ? a[i] : b[i];
    if (o[i] == lo) even++;
    else if (o[i] == (uint16_t)(lo + 1)) odd++;
  }
  CHECK(even > n / 4 && odd > n / 4 && even + odd == n, "%s ties: %d rounded down, %d up of %d", rl_dtype_name(t),
        even, odd, n);
  const float ws[] = {0.5f, 0.25f, 0.75f, 0.5f + 0x1p-20f, 0.5f - 0x1p-20f, 0.125f, 0x1p-9f, 0.0f, 1.0f};
  for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) same_bytes(t, isa, a, b, ws[k], n, 0, "ties");
}

/* Specials: NaN (quiet, signalling, negative, payloads), infinities, zeros, subnormals, the largest
   finite values, paired with each other and with ordinary values. */
static int specials16(rl_dtype t, uint16_t *v) {
  const uint16_t bf[] = {0x7fc0, 0xffc0, 0x7fc1, 0x7f81, 0xff81, 0x7fff, 0x7f80, 0xff80, 0x0000, 0x8000,
                         0x0001, 0x807f, 0x7f7f, 0xff7f, 0x3f80, 0xbf80, 0x4049, 0x0080};
  const uint16_t hf[] = {0x7e00, 0xfe00, 0x7e01, 0x7c01, 0xfc01, 0x7fff, 0x7c00, 0xfc00, 0x0000, 0x8000,
                         0x0001, 0x83ff, 0x7bff, 0xfbff, 0x3c00, 0xbc00, 0x4248, 0x0400};
  memcpy(v, t == RL_BF16 ? bf : hf, sizeof bf);
  return (int)(sizeof bf / sizeof bf[0]);
}

static void test_specials(rl_dtype t, rl_cpu_isa isa) {
  uint16_t a[N_MAX], b[N_MAX];
  float fa[N_MAX], fb[N_MAX];
  uint16_t sp[32];
  int ns = specials16(t, sp), n = 0;
  const uint32_t fsp[] = {0x7fc00000, 0xffc00000, 0x7fc00001, 0x7f800001, 0x7fabcdef, 0x7f800000, 0xff800000,
                          0x00000000, 0x80000000, 0x00000001, 0x7f7fffff, 0xff7fffff, 0x3f800000, 0x40490fdb,
                          0x00800000, 0xc2f6e979, 0x7fc0abcd, 0xffff0000};
  for (int i = 0; i < ns; i++)
    for (int j = 0; j < ns; j++) {
      a[n] = sp[i];
      b[n] = sp[j];
      fa[n] = bits_f(fsp[i % 18]);
      fb[n] = bits_f(fsp[j % 18]);
      n++;
    }
  /* weights: ordinary, zero (0 * inf is NaN), one, and NaNs whose payload reaches the low 16 bits */
  const float ws[] = {0.0f, 1.0f, 0.5f, 0.3f, -0.0f, bits_f(0x7fc0abcd), bits_f(0xffc01234), bits_f(0x7f800000)};
  for (size_t k = 0; k < sizeof ws / sizeof ws[0]; k++) {
    if (t == RL_F32) same_bytes(t, isa, fa, fb, ws[k], n, 0, "specials");
    else same_bytes(t, isa, a, b, ws[k], n, 0, "specials");
  }
}

static void test_random_and_tails(rl_dtype t, rl_cpu_isa isa) {
  draws r;
  draws_seed(&r, 42 + (uint64_t)t);
  static uint32_t a[N_MAX], b[N_MAX];
  const size_t es = rl_dtype_size(t);
  for (int rep = 0; rep < 20; rep++) {
    /* half the draws are any bit pattern (NaNs, infinities, subnormals), half nearby values */
    for (int i = 0; i < N_MAX; i++) {
      uint32_t x = (uint32_t)draws_next(&r), y = (uint32_t)draws_next(&r);
      if (rep % 2) y = x + (y & 0x3ff) * (es == 2 ? 0x1u : 0x100u);
      if (es == 2) {
        ((uint16_t *)a)[i] = (uint16_t)x;
        ((uint16_t *)b)[i] = (uint16_t)y;
      } else {
        a[i] = x;
        b[i] = y;
      }
    }
    float w = (float)draws_uniform(&r);
    same_bytes(t, isa, a, b, w, N_MAX, 0, "random bits");
    same_bytes(t, isa, a, b, w, N_MAX - 13, 3 * (int)rl_dtype_size(t), "random bits, odd length, unaligned");
  }
  for (int n = 0; n <= 70; n++)
    for (int off = 0; off < 8; off += 2) same_bytes(t, isa, a, b, 0.375f, n, off * (int)es, "tails");
}

/* The whole resampler at each level vs the portable level: jittered random inputs, D with tails, and
   an output large enough for the streamed (non-temporal) stores. */
static void test_resampler(rl_cpu_isa isa) {
  const int64_t dims[] = {1, 15, 16, 17, 40, 515, 1024, 0};
  for (int k = 0; k < 3; k++) {
    rl_dtype t = dtypes[k];
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
      int64_t B = 3, S = 97, T = 61, D = dims[di];
      if (D == 0) { /* output as large as the last-level cache: the streaming-store path */
        D = 1024;
        T = (int64_t)(rl_cpu_llc_bytes() / (size_t)(B * D) / rl_dtype_size(t)) + 1;
      }
      const size_t es = rl_dtype_size(t);
      /* 64-byte aligned outputs, as tensors are: the streaming-store kernels need it */
      const size_t out_bytes = ((size_t)(B * T * D) * es + 63) / 64 * 64;
      unsigned char *src = malloc((size_t)(B * S * D) * es), *o1 = aligned_alloc(64, out_bytes),
                    *o2 = aligned_alloc(64, out_bytes);
      float *st = malloc(sizeof(float) * (size_t)(B * S)), *tt = malloc(sizeof(float) * (size_t)(B * T));
      draws r;
      draws_seed(&r, 7 + (uint64_t)D);
      for (int64_t i = 0; i < B * S * D; i++) {
        float v = (float)(draws_uniform(&r) * 200.0 - 100.0);
        if (t == RL_F32) memcpy(src + i * 4, &v, 4);
        else {
          uint16_t h = t == RL_BF16 ? rl_f32_to_bf16(v) : rl_f32_to_f16(v);
          memcpy(src + i * 2, &h, 2);
        }
      }
      for (int64_t bb = 0; bb < B; bb++) {
        float x = (float)bb;
        for (int64_t s = 0; s < S; s++) st[bb * S + s] = x += (float)(0.5 + draws_uniform(&r));
        for (int64_t j = 0; j < T; j++) tt[bb * T + j] = (float)(draws_uniform(&r) * (S + 4) + bb - 2);
      }
      rl_resample_args a = {.dtype = t, .src = src, .src_times = st, .tgt_times = tt, .out = o1,
                            .batch = B, .source_len = S, .target_len = T, .dim = D};
      rl_cpu_isa_cap(RL_ISA_GENERIC);
      rl_resample_cpu(&a, 2);
      a.out = o2;
      rl_cpu_isa_cap(isa);
      rl_resample_cpu(&a, 2);
      CHECK(memcmp(o1, o2, (size_t)(B * T * D) * es) == 0, "resampler %s D=%lld: %s == generic", rl_dtype_name(t),
            (long long)D, rl_cpu_isa_name(isa));
      free(src); free(o1); free(o2); free(st); free(tt);
    }
  }
}

int main(void) {
  rl_cpu_isa best = rl_cpu_isa_supported();
  printf("this CPU: up to %s\n", rl_cpu_isa_name(best));
  if (best == RL_ISA_GENERIC) {
    printf("SKIP  no AVX2 here: only the portable kernels exist\n");
    return 77;
  }
  for (int isa = RL_ISA_AVX2; isa <= (int)best; isa++) {
    test_resampler((rl_cpu_isa)isa);
    for (int k = 0; k < 3; k++) {
      if (dtypes[k] != RL_F32) test_ties(dtypes[k], (rl_cpu_isa)isa);
      test_specials(dtypes[k], (rl_cpu_isa)isa);
      test_random_and_tails(dtypes[k], (rl_cpu_isa)isa);
    }
  }
  /* the cap is a cap: generic selects the portable kernels */
  CHECK(rl_cpu_isa_cap(RL_ISA_GENERIC) == RL_ISA_GENERIC, "cap to generic");
  CHECK(rl_lerp_select(RL_BF16, rl_cpu_isa_current()) == rl_lerp_bf16_portable, "generic selects portable bf16");
  CHECK(rl_lerp_select(RL_F32, RL_ISA_AVX2) == rl_lerp_f32_avx2, "avx2 selects the avx2 f32 kernel");
  CHECK(rl_lerp_select(RL_BF16, RL_ISA_AVX2) == rl_lerp_bf16_avx2, "avx2 selects the avx2 bf16 kernel");
  CHECK(rl_lerp_select_nt(RL_BF16, RL_ISA_GENERIC) == NULL, "no streaming kernel in portable C");
  return check_summary();
}
