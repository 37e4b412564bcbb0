/* The CPU resampler: the serious baseline. Rows (b, t) are shared out over a persistent thread pool;
   each row finds its interval with a galloping cursor that starts from the previous row's interval
   (targets are usually sorted, so this is O(1) per row, and still O(log S) when they are not); the
   D-wide lerp is a row kernel (lerp.h) for the best instruction set, picked once per call.
   The source rows of the row 4 ahead are prefetched into L2; data larger than the cache is written
   with non-temporal stores, so the write does not first read the line (NOTES.md has the numbers).
   Rows are handed out in chunks from an atomic counter, so a thread the OS delays holds up nobody. */
#include "resample.h"
#include "cpu_bench.h"
#include "lerp.h"
#include "threadpool.h"
#include <stdatomic.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
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

/* Streaming (non-temporal) stores once the data no longer fits the last-level cache: the output line
   is then written without first being read, and does not push the source rows out. Below that, a hot
   loop finds its inputs and output in the cache, and streaming would send the output to memory
   (NOTES.md: 16x1000x512 bf16, 25 MB, is about even; 8x1000x512 loses 45% with streaming stores). */
#define STREAM_MIN_FRACTION_OF_LLC 2 /* stream when src + out >= LLC / 2 */
/* The portable kernels have no streaming store: they write 4 KiB chunks to a buffer that is copied
   out with SSE2 streaming stores. */
#define STREAM_CHUNK_BYTES 4096
/* Source rows of the output row this far ahead are prefetched into L2. The hardware prefetcher loses
   its stream wherever a target skips a source row (every few rows with jittered times), and each loss
   cost ~1.7 us; prefetching the exact rows 4 ahead keeps ~8 KiB (bf16, D = 512) in flight. Into L2
   (prefetcht2), not L1: prefetchnta/t0 that far ahead measured no better than none (NOTES.md). */
#define PREFETCH_ROWS_AHEAD 4

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
  rl_lerp_fn lerp;
  int stream;               /* 0: ordinary stores; 1: lerp streams itself; 2: through a buffer */
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

/* Every line of bytes at p, into L2. Always inlined: GCC deems a function that only prefetches free
   of side effects and deletes calls to it (measured: the prefetches vanished from the object code). */
#define ALWAYS_INLINE static inline __attribute__((always_inline))
ALWAYS_INLINE void prefetch_l2(const unsigned char *p, size_t bytes) {
  const unsigned char *end = p + bytes;
  for (p = (const unsigned char *)((uintptr_t)p & ~(uintptr_t)63); p < end; p += 64) __builtin_prefetch(p, 0, 1);
}

/* Prefetches the source rows of interval f of batch row b. */
ALWAYS_INLINE void prefetch_sources(const rl_resample_args *a, interval_t f, int64_t b, size_t row_bytes) {
  const unsigned char *base = (const unsigned char *)a->src + (size_t)(b * a->source_len) * row_bytes;
  if (f.i1 == f.i0 + 1) {
    prefetch_l2(base + (size_t)f.i0 * row_bytes, 2 * row_bytes); /* adjacent rows: one span */
  } else {
    prefetch_l2(base + (size_t)f.i0 * row_bytes, row_bytes);
    if (f.i1 != f.i0) prefetch_l2(base + (size_t)f.i1 * row_bytes, row_bytes);
  }
}

/* Rows [begin, end) of the output. Each row's interval is found PREFETCH_ROWS_AHEAD rows early, when
   its source rows are prefetched, and kept in a ring until the row is computed: the lerp's addresses
   are then known before its iteration starts. */
static void run_range(const job_t *job, int64_t begin, int64_t end) {
  const rl_resample_args *a = job->a;
  const int64_t S = a->source_len, T = a->target_len, D = a->dim;
  const size_t es = rl_dtype_size(a->dtype), row_bytes = (size_t)D * es;
  const unsigned char *src = a->src;
  _Alignas(64) unsigned char tmp[STREAM_CHUNK_BYTES];
  interval_t ring[PREFETCH_ROWS_AHEAD];
  int64_t hint = 0, hint_b = -1;
  for (int64_t r = begin; r < begin + PREFETCH_ROWS_AHEAD && r < end; r++) {
    ring[r % PREFETCH_ROWS_AHEAD] = row_interval(a, r, &hint, &hint_b);
    prefetch_sources(a, ring[r % PREFETCH_ROWS_AHEAD], r / T, row_bytes);
  }
  for (int64_t r = begin; r < end; r++) {
    const interval_t iv = ring[r % PREFETCH_ROWS_AHEAD];
    const int64_t ahead = r + PREFETCH_ROWS_AHEAD;
    if (ahead < end) {
      ring[ahead % PREFETCH_ROWS_AHEAD] = row_interval(a, ahead, &hint, &hint_b);
      prefetch_sources(a, ring[ahead % PREFETCH_ROWS_AHEAD], ahead / T, row_bytes);
    }
    const int64_t b = r / T;
    const unsigned char *ra = src + (size_t)(b * S + iv.i0) * row_bytes;
    const unsigned char *rb = src + (size_t)(b * S + iv.i1) * row_bytes;
    unsigned char *ro = (unsigned char *)a->out + (size_t)r * row_bytes;
    if (job->stream != 2) {
      job->lerp(ro, ra, rb, iv.w, D);
      continue;
    }
    for (size_t off = 0; off < row_bytes; off += STREAM_CHUNK_BYTES) {
      size_t nbytes = row_bytes - off < STREAM_CHUNK_BYTES ? row_bytes - off : STREAM_CHUNK_BYTES;
      job->lerp(tmp, ra + off, rb + off, iv.w, (int64_t)(nbytes / es));
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
  job.lerp = rl_lerp_select(a->dtype, rl_cpu_isa_current());
  if (!job.lerp) return 0; /* f64 and i64 are the reference's */
  job.stream = 0;
  const size_t row_bytes = (size_t)a->dim * es, src_bytes = (size_t)(a->batch * a->source_len) * row_bytes;
  if (src_bytes + out_bytes >= rl_cpu_llc_bytes() / STREAM_MIN_FRACTION_OF_LLC) {
    rl_lerp_fn nt = rl_lerp_select_nt(a->dtype, rl_cpu_isa_current());
    if (nt && (uintptr_t)a->out % 64 == 0 && row_bytes % 64 == 0) {
      job.lerp = nt;
      job.stream = 1;
    }
#ifdef __SSE2__
    else if (!nt && (uintptr_t)a->out % 16 == 0 && row_bytes % 16 == 0) {
      job.stream = 2;
    }
#endif
  }
  /* ~16 grabs per thread: small enough to even out a late thread, large enough for the prefetcher */
  job.chunk = rows / ((int64_t)threads * 16);
  if (job.chunk < 8) job.chunk = 8;
  atomic_init(&job.next_row, 0);
  rl_pool_run(threads, run_rows, &job);
  return threads;
}
