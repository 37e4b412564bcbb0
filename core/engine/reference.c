/* The float64 reference resampler. Deliberately written apart from resample_cpu.c: an upper-bound
   search (first time strictly greater than x) instead of the cursor, all arithmetic in double, every
   element read through the generic dtype loader. It is what every backend is verified against. */
#include "resample.h"
#include "threadpool.h"

typedef struct {
  const rl_resample_args *a;
  double *out;
} ref_job;

/* First index j in [0, S) with st[j] > x, or S if none. */
static int64_t upper_bound(const float *st, int64_t S, double x) {
  int64_t first = 0, n = S;
  while (n > 0) {
    int64_t half = n / 2;
    if ((double)st[first + half] <= x) {
      first += half + 1;
      n -= half + 1;
    } else {
      n = half;
    }
  }
  return first;
}

void rl_resample_interval(const float *st, int64_t S, double x, int64_t *i0, int64_t *i1, double *w) {
  int64_t j = upper_bound(st, S, x);
  *w = 0.0;
  if (j == 0) { /* before the first time (or x is NaN) */
    *i0 = *i1 = 0;
  } else if (j == S) { /* at or after the last time */
    *i0 = *i1 = S - 1;
  } else {
    *i0 = j - 1;
    *i1 = j;
    *w = (x - (double)st[*i0]) / ((double)st[*i1] - (double)st[*i0]);
  }
}

static void ref_rows(void *p, int index, int count) {
  const ref_job *job = p;
  const rl_resample_args *a = job->a;
  const int64_t S = a->source_len, T = a->target_len, D = a->dim, rows = a->batch * T;
  for (int64_t r = rows * index / count; r < rows * (index + 1) / count; r++) {
    const int64_t b = r / T;
    int64_t i0, i1;
    double w;
    rl_resample_interval(a->src_times + b * S, S, a->tgt_times[r], &i0, &i1, &w);
    for (int64_t d = 0; d < D; d++) {
      double v0 = rl_load_f64(a->src, a->dtype, (size_t)((b * S + i0) * D + d));
      double v1 = rl_load_f64(a->src, a->dtype, (size_t)((b * S + i1) * D + d));
      job->out[r * D + d] = v0 + w * (v1 - v0);
    }
  }
}

void rl_resample_reference(const rl_resample_args *a, double *out, int threads) {
  if (threads <= 0) threads = rl_cpu_count();
  int64_t rows = a->batch * a->target_len;
  if (threads > rows) threads = (int)rows;
  ref_job job = {a, out};
  rl_pool_run(threads, ref_rows, &job);
}
