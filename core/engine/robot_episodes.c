/* Synthetic multi-rate robot episodes.

   Episode b lasts d_b = duration_s (dense) or duration_s * (0.5 + 0.5 u) (ragged), starts at a per-episode
   offset O_b in [0, max_offset) and, on the epoch clocks, at a whole second E_b within a day after
   1 730 000 000 s. Every stream and the policy clock run on the episode's relative time tau:
     stream k: sample j at tau = phase + (slot_j + jitter_j) / rate, phase in [0, 1/rate), slots skipped by
       drops (probability `drop`, at most 3 in a row), jitter uniform in +-jitter periods (so times stay
       increasing); the row holds S_k samples, of which the first L_b = max(1, min(S_k, round(d_b rate)))
       are valid (all S_k when dense);
     targets: tau = t / policy_hz, T_b = max(1, floor(d_b policy_hz)) valid of T.
   Padding continues the clock (times stay sorted) and repeats the last valid sample, so a peer that
   ignores lengths still interpolates valid targets correctly; robolua never reads it.
   A time is O_b + tau as f32 seconds (relative), E_b + O_b + tau as f64 seconds (epoch_f64), or
   E_b * 1e9 + round((O_b + tau) * 1e9) as i64 nanoseconds (epoch_i64).
   Values (computed in double at each sample's tau, rounded once to the stream's dtype):
     smooth channels (camera features, joint positions, IMU rates):
       A1 sin(2 pi f1 tau + p1) + A2 sin(2 pi f2 tau + p2) + 0.02 (2u - 1), f1 in [0.1, 1), f2 in [1, 3) Hz;
     quaternion groups (4 channels x, y, z, w): q_init * (axis sin(w tau / 2), cos(w tau / 2)), random unit
       q_init and axis, w in [0.2, 2) rad/s, normalized, sign chosen so that w >= 0 (as many IMUs report:
       successive samples then flip sign, which slerp's shortest arc undoes);
     discrete channels: piecewise-constant states in {0, 1} (even channels) or {0, 1, 2, 3} (odd channels):
       at each sample, with probability 0.05, a fresh state drawn uniformly. */
#include "robot_episodes.h"
#include "fuse_math.h"
#include "rng.h"
#include "threadpool.h"
#include <math.h>

enum { R_DURATION = 101, R_OFFSET, R_EPOCH, R_PHASE, R_DROP, R_JITTER, R_NOISE, R_WAVE, R_QUAT, R_STATE, R_LEVEL };
#define TWO_PI 6.283185307179586

int64_t rl_episode_source_len(const rl_episode_params *p, int k) {
  const double n = floor(p->duration_s * p->streams[k].rate + 0.5);
  return n < 1 ? 1 : (int64_t)n;
}

int64_t rl_episode_target_len(const rl_episode_params *p) {
  const double n = floor(p->duration_s * p->policy_hz + 1e-9);
  return n < 1 ? 1 : (int64_t)n;
}

rl_dtype rl_episode_time_dtype(rl_episode_clock c) {
  return c == RL_CLOCK_EPOCH_F64 ? RL_F64 : c == RL_CLOCK_EPOCH_I64 ? RL_I64 : RL_F32;
}

/* Counter of a per-(row, stream, channel) quantity; j indexes samples (< 2^24, checked by the binding). */
static uint64_t key(int64_t b, int k, int64_t d) { return ((uint64_t)b * RL_FUSE_MAX_STREAMS + (uint64_t)k) << 20 | (uint64_t)d; }
static double u01(const rl_episode_params *p, int purpose, uint64_t counter) {
  return rl_uniform01(p->seed, (uint64_t)purpose, counter);
}

typedef struct {
  int64_t b;
  double offset;  /* O_b */
  int64_t epoch;  /* E_b, whole seconds */
} episode;

static void store_time(const rl_episode_params *p, const episode *e, void *times, int64_t i, double tau) {
  const double rel = e->offset + tau;
  switch (p->clock) {
  case RL_CLOCK_EPOCH_F64: ((double *)times)[i] = (double)e->epoch + rel; break;
  case RL_CLOCK_EPOCH_I64: ((int64_t *)times)[i] = e->epoch * 1000000000ll + (int64_t)floor(rel * 1e9 + 0.5); break;
  default: ((float *)times)[i] = (float)rel; break;
  }
}

/* Channel d of stream k at relative time tau, sample j (smooth channels only). */
static double smooth_value(const rl_episode_params *p, int64_t b, int k, int64_t d, int64_t j, double tau) {
  const uint64_t c = key(b, k, d) * 8;
  const double f1 = 0.1 + 0.9 * u01(p, R_WAVE, c), f2 = 1.0 + 2.0 * u01(p, R_WAVE, c + 1);
  const double a1 = 0.5 + 0.5 * u01(p, R_WAVE, c + 2), a2 = 0.05 + 0.15 * u01(p, R_WAVE, c + 3);
  const double p1 = TWO_PI * u01(p, R_WAVE, c + 4), p2 = TWO_PI * u01(p, R_WAVE, c + 5);
  double s1, s2, unused;
  rl_fm_sincos(TWO_PI * f1 * tau + p1, &s1, &unused);
  rl_fm_sincos(TWO_PI * f2 * tau + p2, &s2, &unused);
  const double noise = 0.02 * (2.0 * u01(p, R_NOISE, key(b, k, d) << 24 | (uint64_t)j) - 1.0);
  return a1 * s1 + a2 * s2 + noise;
}

/* A piecewise-constant state: at each sample, with probability 0.05, a fresh state drawn uniformly from
   {0, 1} (even channels) or {0, 1, 2, 3} (odd channels); a pure function of j (scans back to the last draw). */
static double discrete_value(const rl_episode_params *p, int64_t b, int k, int64_t d, int64_t j) {
  const int levels = d % 2 == 0 ? 2 : 4;
  const uint64_t c = key(b, k, d) << 24;
  while (j > 0 && u01(p, R_STATE, c | (uint64_t)j) >= 0.05) j--;
  return floor(levels * u01(p, R_LEVEL, c | (uint64_t)j));
}

static void unit3(const rl_episode_params *p, uint64_t c, double *v, int n) {
  double norm = 0;
  for (int i = 0; i < n; i++) {
    v[i] = 2.0 * u01(p, R_QUAT, c + (uint64_t)i) - 1.0;
    norm += v[i] * v[i];
  }
  norm = sqrt(norm);
  if (norm < 0.1) { /* rare: a fixed direction keeps the result defined */
    for (int i = 0; i < n; i++) v[i] = i == n - 1;
    return;
  }
  for (int i = 0; i < n; i++) v[i] /= norm;
}

/* The quaternion group starting at channel g of stream k at tau, into q[4] (x, y, z, w). */
static void quat_value(const rl_episode_params *p, int64_t b, int k, int64_t g, double tau, double *q) {
  const uint64_t c = key(b, k, g) * 16;
  double q0[4], axis[3], s, co;
  unit3(p, c, q0, 4);
  unit3(p, c + 4, axis, 3);
  const double omega = 0.2 + 1.8 * u01(p, R_QUAT, c + 8);
  rl_fm_sincos(0.5 * omega * tau, &s, &co);
  const double r[4] = {axis[0] * s, axis[1] * s, axis[2] * s, co};
  q[3] = q0[3] * r[3] - q0[0] * r[0] - q0[1] * r[1] - q0[2] * r[2];
  q[0] = q0[3] * r[0] + q0[0] * r[3] + q0[1] * r[2] - q0[2] * r[1];
  q[1] = q0[3] * r[1] - q0[0] * r[2] + q0[1] * r[3] + q0[2] * r[0];
  q[2] = q0[3] * r[2] + q0[0] * r[1] - q0[1] * r[0] + q0[2] * r[3];
  const double n = sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  const double sign = q[3] < 0 ? -1.0 : 1.0;
  for (int i = 0; i < 4; i++) q[i] = sign * q[i] / n;
}

static void gen_stream(const rl_episode_params *p, const rl_episode_buffers *o, const episode *e, int k, double dur) {
  const rl_episode_stream *st = &p->streams[k];
  const int64_t b = e->b, S = rl_episode_source_len(p, k), D = st->dim;
  int64_t L = (int64_t)floor(dur * st->rate + 0.5);
  if (!p->ragged || L > S) L = S;
  if (L < 1) L = 1;
  o->len[k][b] = L;
  const double period = 1.0 / st->rate, phase = period * u01(p, R_PHASE, key(b, k, 0));
  void *times = (unsigned char *)o->times[k] + (size_t)(b * S) * rl_dtype_size(rl_episode_time_dtype(p->clock));
  void *src = (unsigned char *)o->src[k] + (size_t)(b * S * D) * rl_dtype_size(st->dtype);
  int64_t slot = 0;
  for (int64_t j = 0; j < S; j++) {
    int dropped = 0;
    while (j < L && dropped < 3 && u01(p, R_DROP, key(b, k, 0) << 24 | (uint64_t)(j * 4 + dropped)) < p->drop) {
      slot++;
      dropped++;
    }
    const double jit = (2.0 * u01(p, R_JITTER, key(b, k, 0) << 24 | (uint64_t)j) - 1.0) * p->jitter;
    const double tau = phase + ((double)slot + jit) * period;
    slot++;
    store_time(p, e, times, j, tau);
    const size_t row = (size_t)(j * D);
    if (j >= L) { /* padding repeats the last valid sample */
      for (int64_t d = 0; d < D; d++)
        rl_store_f64(src, st->dtype, row + (size_t)d, rl_load_f64(src, st->dtype, (size_t)((L - 1) * D + d)));
      continue;
    }
    for (int64_t d = 0; d < D; d++) {
      double v;
      if (st->discrete) {
        v = discrete_value(p, b, k, d, j);
      } else if (d >= st->quat_from && d < st->quat_to) {
        double q[4];
        const int64_t g = st->quat_from + (d - st->quat_from) / 4 * 4;
        quat_value(p, b, k, g, tau, q);
        v = q[d - g];
      } else {
        v = smooth_value(p, b, k, d, j, tau);
      }
      rl_store_f64(src, st->dtype, row + (size_t)d, v);
    }
  }
}

typedef struct {
  const rl_episode_params *p;
  const rl_episode_buffers *o;
} gen_job;

static void gen_rows(void *ctx, int index, int count) {
  const gen_job *g = ctx;
  const rl_episode_params *p = g->p;
  const int64_t T = rl_episode_target_len(p);
  for (int64_t b = p->batch * index / count; b < p->batch * (index + 1) / count; b++) {
    const double dur = p->ragged ? p->duration_s * (0.5 + 0.5 * u01(p, R_DURATION, (uint64_t)b)) : p->duration_s;
    const episode e = {b, p->max_offset * u01(p, R_OFFSET, (uint64_t)b),
                       1730000000ll + (int64_t)floor(86400.0 * u01(p, R_EPOCH, (uint64_t)b))};
    int64_t tl = (int64_t)floor(dur * p->policy_hz + 1e-9);
    if (!p->ragged || tl > T) tl = T;
    if (tl < 1) tl = 1;
    g->o->tgt_len[b] = tl;
    void *tt = (unsigned char *)g->o->tgt_times + (size_t)(b * T) * rl_dtype_size(rl_episode_time_dtype(p->clock));
    for (int64_t t = 0; t < T; t++) store_time(p, &e, tt, t, (double)t / p->policy_hz);
    for (int k = 0; k < p->nstreams; k++) gen_stream(p, g->o, &e, k, dur);
  }
}

void rl_robot_episodes(const rl_episode_params *p, const rl_episode_buffers *o, int threads) {
  gen_job g = {p, o};
  if (threads <= 0) threads = rl_cpu_count();
  if (threads > p->batch) threads = (int)p->batch;
  rl_pool_run(threads, gen_rows, &g);
}
