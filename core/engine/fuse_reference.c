/* The float64 reference of the fused resampler, written apart from fuse_cpu.c / fuse_math.h: an
   upper-bound search (first valid time strictly after the target), distances and weights in double
   (i64: the differences in int64, exact, then to double), all values in
   double through the generic dtype loader, the mode of a channel found by scanning the stream's ranges,
   and slerp by the textbook formula with libm's acos and sin. Every backend is verified against it. */
#include "fuse.h"
#include "threadpool.h"
#include <math.h>

typedef struct {
  const rl_fuse_args *a;
  double *out;
  double *operands; /* NULL: not wanted */
} ref_job;

/* Sign of (time i - target), exact in every type. */
static int after_target(const void *row, rl_dtype dt, int64_t i, const void *tgt, int64_t ti) {
  switch (dt) {
  case RL_I64: return ((const int64_t *)row)[i] > ((const int64_t *)tgt)[ti];
  case RL_F64: return ((const double *)row)[i] > ((const double *)tgt)[ti];
  default: return ((const float *)row)[i] > ((const float *)tgt)[ti];
  }
}

static int mode_of(const rl_fuse_stream *s, int64_t d, int64_t *group_start) {
  for (int r = 0; r < s->nranges; r++) {
    const rl_fuse_range *g = &s->ranges[r];
    if (d >= g->from && d < g->to) {
      *group_start = g->from + (d - g->from) / 4 * 4;
      return g->mode;
    }
  }
  return RL_INTERP_LINEAR;
}

static double slerp_component(const double *q0, const double *q1, double w, int64_t c) {
  double a[4], b[4], na = 0, nb = 0, dot = 0, r[4], nr = 0;
  for (int j = 0; j < 4; j++) { na += q0[j] * q0[j]; nb += q1[j] * q1[j]; }
  na = sqrt(na);
  nb = sqrt(nb);
  for (int j = 0; j < 4; j++) { a[j] = q0[j] / na; b[j] = q1[j] / nb; dot += a[j] * b[j]; }
  if (dot < 0) {
    dot = -dot;
    for (int j = 0; j < 4; j++) b[j] = -b[j];
  }
  if (dot > 1) dot = 1;
  const double theta = acos(dot), s = sin(theta);
  for (int j = 0; j < 4; j++)
    r[j] = s < 1e-12 ? a[j] + w * (b[j] - a[j]) : (sin((1 - w) * theta) * a[j] + sin(w * theta) * b[j]) / s;
  for (int j = 0; j < 4; j++) nr += r[j] * r[j];
  return r[c] / sqrt(nr);
}

static void ref_rows(void *p, int index, int count) {
  const ref_job *job = p;
  const rl_fuse_args *a = job->a;
  const int64_t T = a->target_len, rows = a->batch * T;
  const size_t ts = rl_dtype_size(a->time_dtype);
  for (int64_t r = rows * index / count; r < rows * (index + 1) / count; r++) {
    const int64_t b = r / T, t = r % T;
    double *orow = job->out + r * a->out_dim;
    double *oprow = job->operands ? job->operands + r * a->out_dim : NULL;
    const int64_t tlen = a->tgt_len ? (int64_t)rl_load_f64(a->tgt_len, a->tgt_len_dtype, (size_t)b) : T;
    for (int k = 0; k < a->nstreams; k++) {
      const rl_fuse_stream *s = &a->streams[k];
      const int64_t S = s->source_len, D = s->dim;
      const int64_t L = s->len ? (int64_t)rl_load_f64(s->len, s->len_dtype, (size_t)b) : S;
      double *o = orow + s->out_offset, *op = oprow ? oprow + s->out_offset : NULL;
      if (t >= tlen || L == 0) {
        for (int64_t d = 0; d < D; d++) o[d] = a->fill;
        if (op) for (int64_t d = 0; d < D; d++) op[d] = 0.0;
        continue;
      }
      const void *row = (const unsigned char *)s->times + (size_t)(b * S) * ts;
      int64_t lo = 0, n = L; /* first index in [0, L) whose time is after the target */
      while (n > 0) {
        const int64_t half = n / 2;
        if (!after_target(row, a->time_dtype, lo + half, a->tgt_times, r)) { lo += half + 1; n -= half + 1; }
        else n = half;
      }
      int64_t i0, i1, inear;
      double w = 0.0;
      if (lo == 0) {
        i0 = i1 = inear = 0;
      } else if (lo == L) {
        i0 = i1 = inear = L - 1;
      } else {
        i0 = lo - 1;
        i1 = lo;
        if (a->time_dtype == RL_I64) { /* exact integer distances (a row spans < 2^53 ns) */
          const int64_t x = ((const int64_t *)a->tgt_times)[r];
          const int64_t t0 = ((const int64_t *)row)[i0], t1 = ((const int64_t *)row)[i1];
          w = (double)(x - t0) / (double)(t1 - t0);
          inear = t1 - x <= x - t0 ? i1 : i0;
        } else {
          const double x = rl_load_f64(a->tgt_times, a->time_dtype, (size_t)r);
          const double t0 = rl_load_f64(row, a->time_dtype, (size_t)i0), t1 = rl_load_f64(row, a->time_dtype, (size_t)i1);
          w = (x - t0) / (t1 - t0);
          inear = t1 - x <= x - t0 ? i1 : i0;
        }
      }
      const size_t base0 = (size_t)((b * S + i0) * D), base1 = (size_t)((b * S + i1) * D);
      const size_t basen = (size_t)((b * S + inear) * D);
      for (int64_t d = 0; d < D; d++) {
        int64_t g = d;
        const int mode = mode_of(s, d, &g);
        const double v0 = rl_load_f64(s->src, s->dtype, base0 + (size_t)d);
        const double v1 = rl_load_f64(s->src, s->dtype, base1 + (size_t)d);
        if (op) op[d] = mode == RL_INTERP_LINEAR ? fabs(v0) + fabs(v1) : 0.0;
        if (mode == RL_INTERP_LINEAR) o[d] = v0 + w * (v1 - v0);
        else if (mode == RL_INTERP_HOLD) o[d] = v0;
        else if (mode == RL_INTERP_NEAREST) o[d] = rl_load_f64(s->src, s->dtype, basen + (size_t)d);
        else {
          double q0[4], q1[4];
          for (int j = 0; j < 4; j++) {
            q0[j] = rl_load_f64(s->src, s->dtype, base0 + (size_t)(g + j));
            q1[j] = rl_load_f64(s->src, s->dtype, base1 + (size_t)(g + j));
          }
          o[d] = slerp_component(q0, q1, w, d - g);
        }
      }
    }
  }
}

void rl_fuse_reference(const rl_fuse_args *a, double *out, double *operands, int threads) {
  if (threads <= 0) threads = rl_cpu_count();
  const int64_t rows = a->batch * a->target_len;
  if (threads > rows) threads = (int)rows;
  ref_job job = {a, out, operands};
  rl_pool_run(threads, ref_rows, &job);
}
