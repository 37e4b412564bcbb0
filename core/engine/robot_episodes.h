/* Synthetic multi-rate robot episodes for the fused resampler (the model is described in
   robot_episodes.c). Deterministic: every random number is rl_uniform01(seed, purpose, counter) and all
   trigonometry is fuse_math.h's, so the bytes are the same on every machine and thread count. */
#ifndef ROBOLUA_ROBOT_EPISODES_H
#define ROBOLUA_ROBOT_EPISODES_H
#include "fuse_args.h"
#include <stdint.h>

typedef enum {
  RL_CLOCK_RELATIVE = 0, /* f32 seconds from a small per-episode offset */
  RL_CLOCK_EPOCH_F64,    /* f64 seconds since 1970 (~1.73e9), as ROS headers and loggers give */
  RL_CLOCK_EPOCH_I64     /* i64 nanoseconds since 1970 (~1.73e18) */
} rl_episode_clock;

typedef struct {
  double rate;                /* Hz */
  int64_t dim;
  int64_t quat_from, quat_to; /* channels holding unit quaternions (x, y, z, w); from == to: none */
  int discrete;               /* every channel a small-integer state (0/1, or 0..3 on odd channels) */
  rl_dtype dtype;             /* of the values: f32, bf16, f16 */
} rl_episode_stream;

typedef struct {
  int64_t batch;
  double duration_s;   /* the padded episode length */
  double policy_hz;    /* the target clock */
  double jitter;       /* per-sample timing jitter, fraction of the period, < 0.5 */
  double drop;         /* probability that a sample is dropped (at most 3 in a row) */
  double max_offset;   /* per-episode start offset in seconds, uniform in [0, max_offset) */
  uint64_t seed;
  rl_episode_clock clock;
  int ragged;          /* episodes last between half and all of duration_s; rows padded */
  int nstreams;
  rl_episode_stream streams[RL_FUSE_MAX_STREAMS];
} rl_episode_params;

/* Padded sizes: S_k = max(1, round(duration_s * rate_k)), T = max(1, floor(duration_s * policy_hz)). */
int64_t rl_episode_source_len(const rl_episode_params *p, int k);
int64_t rl_episode_target_len(const rl_episode_params *p);
/* The time dtype of a clock: f32, f64 or i64. */
rl_dtype rl_episode_time_dtype(rl_episode_clock c);

typedef struct {
  void *src[RL_FUSE_MAX_STREAMS];     /* [B, S_k, D_k] */
  void *times[RL_FUSE_MAX_STREAMS];   /* [B, S_k] */
  int64_t *len[RL_FUSE_MAX_STREAMS];  /* [B] */
  void *tgt_times;                    /* [B, T] */
  int64_t *tgt_len;                   /* [B] */
} rl_episode_buffers;

/* Fills every buffer; rows in parallel (threads = 0: all cores). */
void rl_robot_episodes(const rl_episode_params *p, const rl_episode_buffers *o, int threads);
#endif
