#include "compare.h"
#include "resample.h"
#include "threadpool.h"
#include <math.h>

double rl_ulp(rl_dtype dtype, double v) {
  int mant_bits, min_exp; /* explicit mantissa bits; exponent of the smallest normal */
  switch (dtype) {
  case RL_F32: mant_bits = 23; min_exp = -126; break;
  case RL_BF16: mant_bits = 7; min_exp = -126; break;
  case RL_F16: mant_bits = 10; min_exp = -14; break;
  default: mant_bits = 52; min_exp = -1022; break;
  }
  int e;
  double a = fabs(v);
  if (a == 0.0 || !isfinite(a)) e = min_exp;
  else {
    frexp(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    e -= 1;
    if (e < min_exp) e = min_exp;
  }
  return ldexp(1.0, e - mant_bits);
}

typedef struct {
  const void *got;
  rl_dtype dtype;
  const double *want;
  int64_t n;
  double rtol, atol, ulps;
  const rl_compare_operands *ops; /* NULL: output-relative only */
  rl_compare_result part[256];
} cmp_job;

static void compare_range(void *ctx, int index, int count) {
  cmp_job *j = ctx;
  rl_compare_result *r = &j->part[index];
  const int64_t begin = j->n * index / count, end = j->n * (index + 1) / count;
  r->count = end - begin;
  r->bad = r->nonfinite = 0;
  r->first_bad = -1;
  r->max_abs_err = r->max_rel_err = r->max_ulp_err = 0.0;
  r->first_bad_got = r->first_bad_want = 0.0;
  const rl_resample_args *a = j->ops ? j->ops->args : NULL;
  int64_t row = -1, i0 = 0, i1 = 0; /* output row (b, t) whose operand rows i0, i1 are known */
  for (int64_t i = begin; i < end; i++) {
    double g = rl_load_f64(j->got, j->dtype, (size_t)i), w = j->want[i];
    double operands = 0.0;
    if (a) {
      const int64_t D = a->dim, S = a->source_len;
      if (i / D != row) {
        double weight;
        row = i / D;
        rl_resample_interval(a->src_times + row / a->target_len * S, S, a->tgt_times[row], &i0, &i1, &weight);
      }
      const int64_t base = row / a->target_len * S * D + i % D;
      operands = fabs(rl_load_f64(a->src, a->dtype, (size_t)(base + i0 * D))) +
                 fabs(rl_load_f64(a->src, a->dtype, (size_t)(base + i1 * D)));
    } else if (j->ops) {
      operands = j->ops->sums[i];
    }
    double err = fabs(g - w);
    int ok;
    if (!isfinite(g) || !isfinite(w)) {
      ok = (isnan(g) && isnan(w)) || g == w;
      if (!isfinite(g)) r->nonfinite++;
    } else {
      double ulp = rl_ulp(j->dtype, w);
      ok = err <= j->atol + j->rtol * fabs(w) + j->ulps * ulp + (j->ops ? j->ops->orel * operands : 0.0);
      if (err > r->max_abs_err) r->max_abs_err = err;
      if (w != 0.0 && err / fabs(w) > r->max_rel_err) r->max_rel_err = err / fabs(w);
      if (err / ulp > r->max_ulp_err) r->max_ulp_err = err / ulp;
    }
    if (!ok) {
      if (r->first_bad < 0) {
        r->first_bad = i;
        r->first_bad_got = g;
        r->first_bad_want = w;
      }
      r->bad++;
    }
  }
}

void rl_compare(const void *got, rl_dtype dtype, const double *want, int64_t n, double rtol, double atol,
                double ulps, rl_compare_result *r) {
  rl_compare_lerp(got, dtype, want, n, rtol, atol, ulps, NULL, r);
}

void rl_compare_lerp(const void *got, rl_dtype dtype, const double *want, int64_t n, double rtol, double atol,
                     double ulps, const rl_compare_operands *ops, rl_compare_result *r) {
  static cmp_job job; /* large; the engine compares from one thread at a time */
  job.got = got;
  job.dtype = dtype;
  job.want = want;
  job.n = n;
  job.rtol = rtol;
  job.atol = atol;
  job.ulps = ulps;
  job.ops = ops;
  int threads = rl_cpu_count();
  if (threads > 256) threads = 256;
  if ((int64_t)threads > n / 65536 + 1) threads = (int)(n / 65536 + 1);
  rl_pool_run(threads, compare_range, &job);
  *r = job.part[0];
  r->count = n;
  for (int t = 1; t < threads; t++) {
    const rl_compare_result *p = &job.part[t];
    r->bad += p->bad;
    r->nonfinite += p->nonfinite;
    if (r->first_bad < 0 && p->first_bad >= 0) {
      r->first_bad = p->first_bad;
      r->first_bad_got = p->first_bad_got;
      r->first_bad_want = p->first_bad_want;
    }
    if (p->max_abs_err > r->max_abs_err) r->max_abs_err = p->max_abs_err;
    if (p->max_rel_err > r->max_rel_err) r->max_rel_err = p->max_rel_err;
    if (p->max_ulp_err > r->max_ulp_err) r->max_ulp_err = p->max_ulp_err;
  }
}
