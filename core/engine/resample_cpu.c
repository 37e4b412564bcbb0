/* The CPU resampler: the serious baseline. Rows (b, t) are shared out over a persistent thread pool;
   each row finds its interval with a galloping cursor that starts from the previous row's interval
   (targets are usually sorted, so this is O(1) per row, and still O(log S) when they are not); the
   D-wide lerp is a row kernel (lerp.h) for the best instruction set, picked once per call.
   Large outputs are written with non-temporal stores so the write does not first read the line.
   Rows are handed out in chunks from an atomic counter, so a thread the OS delays holds up nobody. */
#include "resample.h"
#include "lerp.h"
#include "threadpool.h"
#include <stdatomic.h>
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
  rl_lerp_fn lerp;
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
