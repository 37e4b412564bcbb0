/* Deterministic synthetic sensor streams (see trajectories.c for the exact model). */
#ifndef ROBOLUA_TRAJECTORIES_H
#define ROBOLUA_TRAJECTORIES_H
#include "dtype.h"
#include <stdint.h>

typedef enum { RL_TIMING_UNIFORM = 0, RL_TIMING_JITTER = 1 } rl_timing;

typedef struct {
  int64_t batch, source_len, target_len, dim;
  rl_dtype dtype;
  uint64_t seed;
  rl_timing timing;
  double rate_hz;     /* nominal sample rate (default 100) */
  double jitter;      /* per-sample jitter, fraction of the period, < 0.5 (default 0.25) */
  double drop_prob;   /* probability that a frame is dropped (default 0.05) */
  double max_offset;  /* per-batch start offset in seconds, uniform in [0, max_offset) (default 2) */
} rl_traj_params;

/* Fills src[B,S,D] (dtype), src_times[B,S], tgt_times[B,T]. Rows are generated in parallel; the bytes
   depend only on the parameters. */
void rl_trajectories(const rl_traj_params *p, void *src, float *src_times, float *tgt_times, int threads);
#endif
