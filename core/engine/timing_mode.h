/* How a timed loop runs its samples; one list for C, CUDA and Lua (robolua.timing_modes). */
#ifndef ROBOLUA_TIMING_MODE_H
#define ROBOLUA_TIMING_MODE_H

#define RL_TIMING_MODE_LIST(X)                                                                         \
  X(RL_MODE_HOT, "hot")     /* back-to-back units; consecutive samples share an event */              \
  X(RL_MODE_COLD, "cold")   /* the last-level cache (L2 on the GPU) flushed before every sample */     \
  X(RL_MODE_GRAPH, "graph") /* CUDA only: a graph of `batch` units per sample, reported per unit */

#define RL_TIMING_MODE_ENUM_(e, name) e,
typedef enum { RL_TIMING_MODE_LIST(RL_TIMING_MODE_ENUM_) RL_MODE_COUNT } rl_timing_mode;
#undef RL_TIMING_MODE_ENUM_

static inline const char *rl_timing_mode_name(rl_timing_mode m) {
#define RL_TIMING_MODE_NAME_(e, name) name,
  static const char *const names[] = {RL_TIMING_MODE_LIST(RL_TIMING_MODE_NAME_) "?"};
#undef RL_TIMING_MODE_NAME_
  return (unsigned)m < RL_MODE_COUNT ? names[m] : "?";
}
#endif
