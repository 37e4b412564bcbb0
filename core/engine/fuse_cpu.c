/* The fused resampler on the CPU: one pass over the output. Work items are (batch row, chunk of targets),
   handed out from an atomic counter over the persistent thread pool. For each target the item locates it
   in every stream (galloping from the previous target's interval, so sorted targets cost O(1) each), then
   writes the whole output row, segment by segment: a segment is a run of one stream's channels with one
   mode. Intervals, weights and values come from fuse_math.h, shared with the CUDA kernel. */
#include "fuse.h"
#include "fuse_math.h"
#include "threadpool.h"
#include <stdatomic.h>
#include <string.h>

#define TARGETS_PER_ITEM 64
#define MAX_SEGMENTS (RL_FUSE_MAX_STREAMS * (2 * RL_FUSE_MAX_RANGES + 1))

typedef struct {
  int stream, mode;
  int64_t d0, d1; /* channels [d0, d1) of the stream */
} segment;

typedef struct {
  const rl_fuse_args *a;
  segment seg[MAX_SEGMENTS];
  int nseg;
  int64_t chunks_per_row, items;
  _Atomic int64_t next;
} job_t;

/* Splits each stream's channels into runs of one mode (adjacent slerp ranges merge: each is 4k wide, so
   the groups of the merged run start where the ranges' groups do). */
static void make_segments(job_t *job) {
  const rl_fuse_args *a = job->a;
  job->nseg = 0;
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_stream *s = &a->streams[k];
    int64_t d = 0;
    while (d < s->dim) {
      const int mode = (int)(rl_fm_channel_code(a, s->out_offset + d) & 3u);
      int64_t e = d + 1;
      while (e < s->dim && (int)(rl_fm_channel_code(a, s->out_offset + e) & 3u) == mode) e++;
      job->seg[job->nseg++] = (segment){k, mode, d, e};
      d = e;
    }
  }
}

/* Stores v[0..n) at element `at` of out, each rounded once to the output type. */
static void store_floats(const rl_fuse_args *a, int64_t at, const float *v, int64_t n) {
  switch (a->out_dtype) {
  case RL_BF16:
    for (int64_t i = 0; i < n; i++) ((uint16_t *)a->out)[at + i] = rl_f32_to_bf16(v[i]);
    break;
  case RL_F16:
    for (int64_t i = 0; i < n; i++) ((uint16_t *)a->out)[at + i] = rl_f32_to_f16(v[i]);
    break;
  default: memcpy((float *)a->out + at, v, (size_t)n * sizeof(float)); break;
  }
}

static void store_fill(const rl_fuse_args *a, int64_t at, int64_t n) {
  const size_t es = rl_dtype_size(a->out_dtype);
  unsigned char *o = (unsigned char *)a->out + (size_t)at * es;
  for (int64_t i = 0; i < n; i++) memcpy(o + (size_t)i * es, &a->fill_bits, es); /* little-endian low bytes */
}

/* Segment values into v[0..d1-d0) for one target whose interval in the segment's stream is iv. */
static void segment_values(const rl_fuse_args *a, const segment *g, int64_t b, const rl_fm_iv *iv, float *v) {
  const rl_fuse_stream *s = &a->streams[g->stream];
  const int64_t D = s->dim, row0 = (b * s->source_len + iv->i0) * D, row1 = (b * s->source_len + iv->i1) * D;
  const int64_t n = g->d1 - g->d0;
  const int dt = s->dtype;
  switch (g->mode) {
  case RL_INTERP_LINEAR:
    if (dt == RL_F32) {
      const float *x0 = (const float *)s->src + row0 + g->d0, *x1 = (const float *)s->src + row1 + g->d0;
      for (int64_t i = 0; i < n; i++) v[i] = rl_fm_lerp(x0[i], x1[i], iv->w);
    } else {
      for (int64_t i = 0; i < n; i++)
        v[i] = rl_fm_lerp(rl_fm_load(s->src, dt, row0 + g->d0 + i), rl_fm_load(s->src, dt, row1 + g->d0 + i), iv->w);
    }
    break;
  case RL_INTERP_HOLD:
    for (int64_t i = 0; i < n; i++) v[i] = rl_fm_load(s->src, dt, row0 + g->d0 + i);
    break;
  case RL_INTERP_NEAREST: {
    const int64_t rown = (b * s->source_len + iv->inear) * D;
    for (int64_t i = 0; i < n; i++) v[i] = rl_fm_load(s->src, dt, rown + g->d0 + i);
    break;
  }
  default: /* slerp, n is a multiple of 4 */
    for (int64_t i = 0; i < n; i += 4) {
      float q0[4], q1[4];
      for (int j = 0; j < 4; j++) {
        q0[j] = rl_fm_load(s->src, dt, row0 + g->d0 + i + j);
        q1[j] = rl_fm_load(s->src, dt, row1 + g->d0 + i + j);
      }
      rl_fm_slerp(q0, q1, iv->w, v + i);
    }
    break;
  }
}

static void run_item(const job_t *job, int64_t item, float *vals) {
  const rl_fuse_args *a = job->a;
  const int64_t T = a->target_len, b = item / job->chunks_per_row;
  const int64_t t0 = (item % job->chunks_per_row) * TARGETS_PER_ITEM;
  const int64_t t1 = t0 + TARGETS_PER_ITEM < T ? t0 + TARGETS_PER_ITEM : T;
  const int64_t tlen = a->tgt_len ? rl_fm_len(a->tgt_len, a->tgt_len_dtype, b) : T;
  const size_t ts = rl_dtype_size(a->time_dtype);
  int64_t hint[RL_FUSE_MAX_STREAMS], L[RL_FUSE_MAX_STREAMS];
  const unsigned char *times[RL_FUSE_MAX_STREAMS];
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_stream *s = &a->streams[k];
    hint[k] = -1;
    L[k] = s->len ? rl_fm_len(s->len, s->len_dtype, b) : s->source_len;
    times[k] = (const unsigned char *)s->times + (size_t)(b * s->source_len) * ts;
  }
  for (int64_t t = t0; t < t1; t++) {
    const int64_t orow = (b * T + t) * a->out_dim;
    if (t >= tlen) { /* padding: every channel this call writes gets the fill value */
      for (int i = 0; i < job->nseg; i++) {
        const segment *g = &job->seg[i];
        store_fill(a, orow + a->streams[g->stream].out_offset + g->d0, g->d1 - g->d0);
      }
      continue;
    }
    rl_fm_iv iv[RL_FUSE_MAX_STREAMS];
    for (int k = 0; k < a->nstreams; k++) {
      iv[k] = rl_fm_locate(a->time_dtype, times[k], L[k], a->tgt_times, b * T + t, hint[k]);
      if (!iv[k].empty) hint[k] = iv[k].i0;
    }
    for (int i = 0; i < job->nseg; i++) {
      const segment *g = &job->seg[i];
      const int64_t at = orow + a->streams[g->stream].out_offset + g->d0;
      if (iv[g->stream].empty) {
        store_fill(a, at, g->d1 - g->d0);
        continue;
      }
      segment_values(a, g, b, &iv[g->stream], vals);
      store_floats(a, at, vals, g->d1 - g->d0);
    }
  }
}

static void run_items(void *ctx, int index, int count) {
  (void)index;
  (void)count;
  job_t *job = ctx;
  float vals[RL_FUSE_MAX_CHANNELS]; /* one segment's values (64 KiB: the pool's threads have MiBs of stack) */
  for (;;) {
    const int64_t item = atomic_fetch_add_explicit(&job->next, 1, memory_order_relaxed);
    if (item >= job->items) break;
    run_item(job, item, vals);
  }
}

int rl_fuse_cpu(const rl_fuse_args *a, int threads) {
  static job_t job; /* large (the segment table); the engine resamples from one Lua thread at a time */
  job.a = a;
  make_segments(&job);
  job.chunks_per_row = (a->target_len + TARGETS_PER_ITEM - 1) / TARGETS_PER_ITEM;
  job.items = a->batch * job.chunks_per_row;
  atomic_init(&job.next, 0);
  if (threads <= 0) {
    /* ~256 KiB of output per thread before another one pays for waking up, as in the fast path */
    const size_t out_bytes = (size_t)(a->batch * a->target_len * a->out_dim) * rl_dtype_size(a->out_dtype);
    const size_t want = out_bytes / (256u << 10);
    threads = rl_cpu_count();
    if (want < (size_t)threads) threads = want < 1 ? 1 : (int)want;
  }
  if ((int64_t)threads > job.items) threads = (int)job.items;
  rl_pool_run(threads, run_items, &job);
  return threads;
}
