/* The CPU resampler: the serious baseline. Rows (b, t) are shared out over a persistent thread pool;
   each row finds its interval with a galloping cursor that starts from the previous row's interval
   (targets are usually sorted, so this is O(1) per row, and still O(log S) when they are not); the
   D-wide lerp is a plain loop that the compiler vectorises (an AVX2 clone is picked at run time).
   Large outputs are written with non-temporal stores so the write does not first read the line.
   Rows are handed out in chunks from an atomic counter, so a thread the OS delays holds up nobody. */
#include "resample.h"
#include "threadpool.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(ROBOLUA_NO_CLONES)
#define RL_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define RL_CLONES
#endif

/* Largest i with st[i] <= x, given st[0] <= x < st[S-1] and a hint in [0, S-2]. */
static inline int64_t cursor_search(const float *st, int64_t S, float x, int64_t hint) {
  int64_t lo, hi, step = 1;
  if (st[hint] <= x) {
    lo = hint;
    hi = lo + 1;
    while (hi < S - 1 && st[hi] <= x) {
      lo = hi;
      step <<= 1;
      hi = lo + step < S - 1 ? lo + step : S - 1;
    }
  } else { /* st[0] <= x < st[hint], so hint >= 1 */
    hi = hint;
    lo = hi - 1;
    while (lo > 0 && st[lo] > x) {
      hi = lo;
      step <<= 1;
      lo = hi - step > 0 ? hi - step : 0;
    }
  }
  while (hi - lo > 1) {
    int64_t mid = lo + (hi - lo) / 2;
    if (st[mid] <= x) lo = mid; else hi = mid;
  }
  return lo;
}

RL_CLONES static void lerp_f32(float *restrict o, const float *restrict a, const float *restrict b, float w,
                               int64_t n) {
  for (int64_t d = 0; d < n; d++) o[d] = a[d] + w * (b[d] - a[d]);
}

RL_CLONES static void lerp_bf16(uint16_t *restrict o, const uint16_t *restrict a, const uint16_t *restrict b,
                                float w, int64_t n) {
  for (int64_t d = 0; d < n; d++) {
    union { float f; uint32_t u; } va, vb, r;
    va.u = (uint32_t)a[d] << 16;
    vb.u = (uint32_t)b[d] << 16;
    r.f = va.f + w * (vb.f - va.f);
    /* round to nearest even; a NaN keeps its payload's top bits and is made quiet (a float compare,
       which vectorises, rather than a bit test) */
    uint32_t rounded = (r.u + 0x7fffu + ((r.u >> 16) & 1u)) >> 16;
    o[d] = (uint16_t)(r.f != r.f ? (r.u >> 16) | 0x40u : rounded);
  }
}

static void lerp_f16_soft(uint16_t *restrict o, const uint16_t *restrict a, const uint16_t *restrict b, float w,
                          int64_t n) {
  for (int64_t d = 0; d < n; d++) {
    float fa = rl_f16_to_f32(a[d]), fb = rl_f16_to_f32(b[d]);
    o[d] = rl_f32_to_f16(fa + w * (fb - fa));
  }
}

#if defined(__GNUC__) && defined(__x86_64__) && !defined(ROBOLUA_NO_CLONES)
#include <cpuid.h>
#include <immintrin.h>
/* F16C converts 8 halves <-> floats per instruction with the same round-to-nearest-even as the
   software path (and the GPU), so the bytes are identical; the lerp stays sub, mul, add (no FMA). */
__attribute__((target("avx,f16c"))) static void lerp_f16_f16c(uint16_t *restrict o, const uint16_t *restrict a,
                                                                const uint16_t *restrict b, float w, int64_t n) {
  const __m256 vw = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    __m256 fa = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + d)));
    __m256 fb = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + d)));
    __m256 r = _mm256_add_ps(fa, _mm256_mul_ps(vw, _mm256_sub_ps(fb, fa)));
    _mm_storeu_si128((__m128i *)(o + d), _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  lerp_f16_soft(o + d, a + d, b + d, w, n - d);
}

/* bf16 with AVX-512BW, 16 lanes: widen (shift into the high half), sub, mul, add, round to nearest
   even with the integer trick, narrow with vpmovdw. Same operations as lerp_bf16, so the same bytes.
   No NaN special case: widened bf16 values have zero low halves, so a NaN the arithmetic propagates
   has them too and the rounding leaves its top half (sign, exponent, payload) unchanged. */
__attribute__((target("avx512f,avx512bw"))) static void lerp_bf16_avx512(uint16_t *restrict o,
                                                                         const uint16_t *restrict a,
                                                                         const uint16_t *restrict b, float w,
                                                                         int64_t n) {
  const __m512 vw = _mm512_set1_ps(w);
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    __m512 fa = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(a + d))), 16));
    __m512 fb = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(b + d))), 16));
    __m512i u = _mm512_castps_si512(_mm512_add_ps(fa, _mm512_mul_ps(vw, _mm512_sub_ps(fb, fa))));
    __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
    u = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(bias, lsb)), 16);
    _mm256_storeu_si256((__m256i *)(o + d), _mm512_cvtepi32_epi16(u));
  }
  lerp_bf16(o + d, a + d, b + d, w, n - d);
}

/* ROBOLUA_CPU_ISA=generic turns the hand-written paths off (portable code only): for comparing the
   paths byte for byte, and for reproducing a result on a baseline machine. */
static int generic_only(void) {
  static int state = -1;
  if (state < 0) {
    const char *isa = getenv("ROBOLUA_CPU_ISA");
    state = isa && strcmp(isa, "generic") == 0;
  }
  return state;
}
static int have_f16c(void) {
  static int state = -1;
  if (state < 0) {
    __builtin_cpu_init();
    unsigned a, b, c, d; /* F16C from CPUID leaf 1 (clang before 15 has no "f16c" for __builtin_cpu_supports) */
    int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    state = !generic_only() && f16c && __builtin_cpu_supports("avx");
  }
  return state;
}
static int have_avx512bw(void) {
  static int state = -1;
  if (state < 0) {
    __builtin_cpu_init();
    state = !generic_only() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return state;
}
#else
static int have_f16c(void) { return 0; }
static int have_avx512bw(void) { return 0; }
#define lerp_f16_f16c lerp_f16_soft
#define lerp_bf16_avx512 lerp_bf16
#endif

static void lerp_f16(uint16_t *restrict o, const uint16_t *restrict a, const uint16_t *restrict b, float w,
                     int64_t n) {
  if (have_f16c()) lerp_f16_f16c(o, a, b, w, n);
  else lerp_f16_soft(o, a, b, w, n);
}

static void lerp_any(rl_dtype t, void *o, const void *a, const void *b, float w, int64_t n) {
  switch (t) {
  case RL_F32: lerp_f32(o, a, b, w, n); break;
  case RL_BF16:
    if (have_avx512bw()) lerp_bf16_avx512(o, a, b, w, n);
    else lerp_bf16(o, a, b, w, n);
    break;
  case RL_F16: lerp_f16(o, a, b, w, n); break;
  default: break;
  }
}

#define STREAM_CHUNK_BYTES 4096
#define STREAM_MIN_OUT_BYTES (32u << 20) /* smaller outputs stay in cache for whoever reads them next */

static void stream_store(void *dst, const void *src, size_t bytes) {
#ifdef __SSE2__
  __m128i *d = dst;
  const __m128i *s = src;
  for (size_t i = 0; i < bytes / 16; i++) _mm_stream_si128(d + i, _mm_load_si128(s + i));
#else
  memcpy(dst, src, bytes);
#endif
}

typedef struct {
  const rl_resample_args *a;
  int stream;
  int64_t chunk;            /* rows handed out per grab */
  _Atomic int64_t next_row; /* dynamic schedule: a descheduled thread delays nobody */
} job_t;

typedef struct {
  int64_t i0, i1;
  float w;
} interval_t;

static inline interval_t row_interval(const rl_resample_args *a, int64_t r, int64_t *hint, int64_t *hint_b) {
  const int64_t S = a->source_len, b = r / a->target_len;
  const float *st = a->src_times + b * S;
  const float x = a->tgt_times[r];
  interval_t iv = {0, 0, 0.0f};
  if (b != *hint_b) { *hint = 0; *hint_b = b; }
  if (S == 1 || !(x >= st[0])) return iv;
  if (x >= st[S - 1]) { iv.i0 = iv.i1 = S - 1; return iv; }
  iv.i0 = *hint = cursor_search(st, S, x, *hint);
  iv.i1 = iv.i0 + 1;
  iv.w = (x - st[iv.i0]) / (st[iv.i1] - st[iv.i0]);
  return iv;
}

static inline void prefetch_rows(const unsigned char *p, size_t bytes) {
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 0);
}

/* Rows [begin, end) of the output. */
static void run_range(const job_t *job, int64_t begin, int64_t end) {
  const rl_resample_args *a = job->a;
  const int64_t S = a->source_len, T = a->target_len, D = a->dim;
  const size_t es = rl_dtype_size(a->dtype), row_bytes = (size_t)D * es;
  const unsigned char *src = a->src;
  _Alignas(64) unsigned char tmp[STREAM_CHUNK_BYTES];
  int64_t hint = 0, hint_b = -1;
  /* one row of look-ahead: the next row's source rows are prefetched while this one is computed */
  interval_t next = row_interval(a, begin, &hint, &hint_b);
  for (int64_t r = begin; r < end; r++) {
    const interval_t iv = next;
    const int64_t b = r / T;
    if (r + 1 < end) {
      next = row_interval(a, r + 1, &hint, &hint_b);
      const int64_t nb = (r + 1) / T;
      prefetch_rows(src + (size_t)(nb * S + next.i0) * row_bytes, row_bytes);
      if (next.i1 != next.i0) prefetch_rows(src + (size_t)(nb * S + next.i1) * row_bytes, row_bytes);
    }
    const unsigned char *ra = src + (size_t)(b * S + iv.i0) * row_bytes;
    const unsigned char *rb = src + (size_t)(b * S + iv.i1) * row_bytes;
    unsigned char *ro = (unsigned char *)a->out + (size_t)r * row_bytes;
    if (!job->stream) {
      lerp_any(a->dtype, ro, ra, rb, iv.w, D);
      continue;
    }
    for (size_t off = 0; off < row_bytes; off += STREAM_CHUNK_BYTES) {
      size_t nbytes = row_bytes - off < STREAM_CHUNK_BYTES ? row_bytes - off : STREAM_CHUNK_BYTES;
      lerp_any(a->dtype, tmp, ra + off, rb + off, iv.w, (int64_t)(nbytes / es));
      stream_store(ro + off, tmp, nbytes);
    }
  }
}

static void run_rows(void *p, int index, int count) {
  (void)index;
  (void)count;
  job_t *job = p;
  const int64_t rows = job->a->batch * job->a->target_len;
  for (;;) {
    int64_t begin = atomic_fetch_add_explicit(&job->next_row, job->chunk, memory_order_relaxed);
    if (begin >= rows) break;
    run_range(job, begin, begin + job->chunk < rows ? begin + job->chunk : rows);
  }
#ifdef __SSE2__
  if (job->stream) _mm_sfence();
#endif
}

int rl_resample_cpu(const rl_resample_args *a, int threads) {
  const int64_t rows = a->batch * a->target_len;
  const size_t es = rl_dtype_size(a->dtype);
  const size_t out_bytes = (size_t)rows * (size_t)a->dim * es;
  if (threads <= 0) {
    /* ~256 KiB of traffic per thread is where waking another thread starts to pay. */
    size_t moved = out_bytes + (size_t)(a->batch * a->source_len * a->dim) * es;
    size_t want = moved / (256u << 10);
    threads = rl_cpu_count();
    if (want < (size_t)threads) threads = want < 1 ? 1 : (int)want;
  }
  if ((int64_t)threads > rows) threads = (int)rows;
  job_t job;
  job.a = a;
  job.stream = 0;
  /* ~16 grabs per thread: small enough to even out a late thread, large enough for the prefetcher */
  job.chunk = rows / ((int64_t)threads * 16);
  if (job.chunk < 8) job.chunk = 8;
  atomic_init(&job.next_row, 0);
#ifdef __SSE2__
  job.stream = out_bytes >= STREAM_MIN_OUT_BYTES && ((uintptr_t)a->out % 16 == 0) &&
               (((size_t)a->dim * es) % 16 == 0);
#endif
  rl_pool_run(threads, run_rows, &job);
  return threads;
}
