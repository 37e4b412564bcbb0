/* The arguments of one fused resample call (rl.fuse, and rl.resample when it uses a general feature),
   shared by the CPU pass, the float64 reference and the CUDA kernel (kernels/ includes this header):
   one definition of the layout on both sides of the C/CUDA line. doc/robot.md states the semantics. */
#ifndef ROBOLUA_FUSE_ARGS_H
#define ROBOLUA_FUSE_ARGS_H
#include "dtype.h"
#include <stdint.h>

/* Interpolation modes, one list for C, CUDA and Lua (robolua.interp_modes). */
#define RL_INTERP_LIST(X)                                                                              \
  X(RL_INTERP_LINEAR, "linear")   /* src[i] + w (src[i+1] - src[i]) */                                  \
  X(RL_INTERP_NEAREST, "nearest") /* the nearer sample in time; a tie takes the later one */           \
  X(RL_INTERP_HOLD, "hold")       /* zero-order hold: the last sample at or before the target */       \
  X(RL_INTERP_SLERP, "slerp")     /* quaternion groups of 4 (x, y, z, w): shortest arc, unit output */

#define RL_INTERP_ENUM_(e, name) e,
typedef enum { RL_INTERP_LIST(RL_INTERP_ENUM_) RL_INTERP_COUNT } rl_interp;
#undef RL_INTERP_ENUM_

static inline const char *rl_interp_name(int m) {
#define RL_INTERP_NAME_(e, name) name,
  static const char *const names[] = {RL_INTERP_LIST(RL_INTERP_NAME_) "?"};
#undef RL_INTERP_NAME_
  return (unsigned)m < RL_INTERP_COUNT ? names[m] : "?";
}

#define RL_FUSE_MAX_STREAMS 8      /* streams per call (the argument block is passed by value) */
#define RL_FUSE_MAX_RANGES 16      /* mode ranges per stream */
#define RL_FUSE_MAX_CHANNELS 16384 /* output channels per call (the kernel keeps a table of them) */

/* Channels [from, to) of a stream (0-based) use `mode`; channels in no range are linear. */
typedef struct {
  int32_t from, to, mode;
} rl_fuse_range;

typedef struct {
  rl_dtype dtype;      /* of src: f32, bf16, f16 (the reference also f64) */
  rl_dtype len_dtype;  /* of len: i32 or i64 */
  const void *src;     /* [B, S, D] */
  const void *times;   /* [B, S], in the call's time type */
  const void *len;     /* [B] valid lengths in [0, S], or NULL: every row has S */
  int64_t source_len;  /* S, the padded length */
  int64_t dim;         /* D */
  int64_t out_offset;  /* the stream's first output channel */
  int32_t nranges;
  rl_fuse_range ranges[RL_FUSE_MAX_RANGES]; /* checked: inside [0, D), disjoint, slerp ones 4k wide */
} rl_fuse_stream;

typedef struct {
  int32_t nstreams;
  rl_fuse_stream streams[RL_FUSE_MAX_STREAMS];
  rl_dtype time_dtype;    /* f32, f64 or i64 (nanoseconds): every stream's times and tgt_times */
  rl_dtype out_dtype;     /* f32, bf16, f16 (the reference writes f64) */
  rl_dtype tgt_len_dtype; /* i32 or i64 */
  const void *tgt_times;  /* [B, T] */
  const void *tgt_len;    /* [B] valid lengths in [0, T], or NULL */
  void *out;              /* [B, T, out_dim]; a stream writes channels [out_offset, out_offset + dim) */
  int64_t batch, target_len, out_dim;
  uint64_t fill_bits;     /* the fill value in out_dtype, in the low bytes (written raw) */
  double fill;            /* the same value as a double (the reference writes it) */
} rl_fuse_args;

/* The call that resamples only stream k of a (its channels of the same output): the per-stream baseline
   the fused launch is measured against, and what fusion must equal. */
static inline rl_fuse_args rl_fuse_one_stream(const rl_fuse_args *a, int k) {
  rl_fuse_args one = *a;
  one.nstreams = 1;
  one.streams[0] = a->streams[k];
  return one;
}
#endif
