/* Synthetic robot sensor streams.
   Values: per (batch, channel) an AR(1) drift x[s] = 0.98 x[s-1] + 0.2 u, u uniform in [-1, 1), x[0]
   uniform in [-1, 1): smooth, non-trivial, unit scale. Computed in float, stored rounded to the dtype.
   Times, "uniform": st[b,s] = s / rate; targets evenly spaced over [st[b,0], st[b,S-1]].
   Times, "jitter": each batch row starts at its own offset; frames are dropped with probability
   drop_prob (at most 3 in a row); each kept frame is jittered by up to +-jitter periods. Targets are
   evenly spaced over the source span widened by one target spacing on each side (so the first and
   last targets of every row clamp), each shifted by up to
   +-0.4 of the target spacing: sorted, but not uniform.
   Every random number is rl_uniform01(seed, stream, index): no generator state, any thread order. */
#include "trajectories.h"
#include "rng.h"
#include "threadpool.h"

enum { STREAM_VALUE0 = 1, STREAM_NOISE, STREAM_OFFSET, STREAM_DROP, STREAM_JITTER, STREAM_TARGET };

typedef struct {
  const rl_traj_params *p;
  void *src;
  float *st, *tt;
} gen_job;

static void gen_times(const rl_traj_params *p, int64_t b, float *st, float *tt) {
  const int64_t S = p->source_len, T = p->target_len;
  const double period = 1.0 / p->rate_hz;
  if (p->timing == RL_TIMING_UNIFORM) {
    for (int64_t s = 0; s < S; s++) st[s] = (float)(s * period);
  } else {
    const double offset = p->max_offset * rl_uniform01(p->seed, STREAM_OFFSET, (uint64_t)b);
    int64_t slot = 0;
    int dropped_run = 0;
    for (int64_t s = 0; s < S; s++) {
      const uint64_t k = (uint64_t)(b * S + s);
      while (dropped_run < 3 && rl_uniform01(p->seed, STREAM_DROP, k * 4 + (uint64_t)dropped_run) < p->drop_prob) {
        slot++;
        dropped_run++;
      }
      dropped_run = 0;
      double j = (2.0 * rl_uniform01(p->seed, STREAM_JITTER, k) - 1.0) * p->jitter;
      st[s] = (float)(offset + ((double)slot + j) * period);
      slot++;
    }
  }
  const double first = st[0], last = st[S - 1];
  const double widen = p->timing == RL_TIMING_JITTER ? (last - first) / (double)T : 0.0;
  const double lo = first - widen, hi = last + widen;
  for (int64_t t = 0; t < T; t++) {
    double pos;
    if (p->timing == RL_TIMING_UNIFORM) {
      pos = T == 1 ? 0.0 : (double)t / (double)(T - 1);
    } else {
      double shift = 0.8 * rl_uniform01(p->seed, STREAM_TARGET, (uint64_t)(b * T + t)) - 0.4;
      pos = ((double)t + 0.5 + shift) / (double)T;
    }
    tt[t] = (float)(lo + pos * (hi - lo));
  }
}

static void gen_rows(void *ctx, int index, int count) {
  const gen_job *g = ctx;
  const rl_traj_params *p = g->p;
  const int64_t S = p->source_len, T = p->target_len, D = p->dim;
  const size_t es = rl_dtype_size(p->dtype);
  for (int64_t b = p->batch * index / count; b < p->batch * (index + 1) / count; b++) {
    gen_times(p, b, g->st + b * S, g->tt + b * T);
    unsigned char *base = (unsigned char *)g->src + (size_t)(b * S * D) * es;
    for (int64_t d = 0; d < D; d++) {
      float x = 2.0f * rl_uniform01(p->seed, STREAM_VALUE0, (uint64_t)(b * D + d)) - 1.0f;
      for (int64_t s = 0; s < S; s++) {
        if (s > 0) {
          float u = 2.0f * rl_uniform01(p->seed, STREAM_NOISE, (uint64_t)((b * S + s) * D + d)) - 1.0f;
          x = 0.98f * x + 0.2f * u;
        }
        rl_store_f64(base, p->dtype, (size_t)(s * D + d), (double)x);
      }
    }
  }
}

void rl_trajectories(const rl_traj_params *p, void *src, float *src_times, float *tgt_times, int threads) {
  gen_job g = {p, src, src_times, tgt_times};
  if (threads <= 0) threads = rl_cpu_count();
  if (threads > p->batch) threads = (int)p->batch;
  rl_pool_run(threads, gen_rows, &g);
}
