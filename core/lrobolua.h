/* Shared helpers of the Lua bindings (the l_*.c files). */
#ifndef ROBOLUA_LROBOLUA_H
#define ROBOLUA_LROBOLUA_H
#include "tensor.h"
#include <lauxlib.h>
#include <lua.h>

#define RL_TENSOR_MT "robolua.tensor"

/* The tensor at idx; a Lua error naming argument `name` if it is not a live tensor. */
rl_tensor *rl_check_tensor(lua_State *L, int idx, const char *name);
/* Allocates a tensor and pushes it; a Lua error (never a crash) if the shape or allocation fails. */
rl_tensor *rl_push_tensor(lua_State *L, rl_device dev, rl_dtype dtype, int ndim, const int64_t *shape);
/* Reads a shape array at idx into shape[]; returns ndim. Errors name `name`. */
int rl_check_shape(lua_State *L, int idx, const char *name, int64_t *shape);
rl_dtype rl_check_dtype(lua_State *L, int idx, const char *name, rl_dtype def);
rl_device rl_check_device(lua_State *L, int idx, const char *name);

/* Option-table readers: opts at index `t` may be nil. Errors name "opts.<key>". */
lua_Integer rl_opt_integer(lua_State *L, int t, const char *key, lua_Integer def, lua_Integer min,
                           lua_Integer max);
double rl_opt_number(lua_State *L, int t, const char *key, double def);
const char *rl_opt_string(lua_State *L, int t, const char *key, const char *def);
int rl_opt_boolean(lua_State *L, int t, const char *key, int def);
void rl_check_opts(lua_State *L, int t, const char *fname);
/* opts.mode of a timed loop: "hot" (0), "cold" (1) or "graph" (2); sets *name to the string read. */
int rl_opt_timing_mode(lua_State *L, int t, const char **name);

/* Pushes a Lua array of doubles. */
void rl_push_array(lua_State *L, const double *v, int n);

void rl_open_tensor(lua_State *L);   /* adds tensor, empty to the table on top */
void rl_open_resample(lua_State *L); /* trajectories, resample, compare, validate_times */
void rl_open_bench(lua_State *L);    /* clock, bench.* */
void rl_open_cuda(lua_State *L);     /* cuda.*, nvtx.* */
void rl_open_env(lua_State *L);      /* env() */
int luaopen_robolua_core(lua_State *L);


/* A checked resample call: the three inputs at idx, idx+1, idx+2 and an options table at idx+3. */
#include "resample.h"
typedef enum { RL_BACKEND_CPU = 0, RL_BACKEND_REFERENCE = 1, RL_BACKEND_CUDA = 2 } rl_backend;
typedef struct {
  rl_backend backend;
  rl_resample_args args;
  rl_tensor *src, *st, *tt;
  int threads;
  int out_given; /* opts.out was a tensor */
} rl_resample_call;
/* Checks types, shapes, dtypes, devices and (unless opts.validate == false) the times; pushes the
   output tensor (opts.out or a new one) and sets call->args.out. Every failure is a Lua error. */
void rl_check_resample_call(lua_State *L, int idx, const char *fname, rl_resample_call *call);
const char *rl_backend_name(rl_backend b);
/* The same call in the CUDA ABI's terms. */
#include "rl_cuda.h"
static inline rl_cuda_resample_args rl_to_cuda_args(const rl_resample_args *a) {
  rl_cuda_resample_args g = {a->dtype, a->src, a->src_times, a->tgt_times, a->out,
                             a->batch, a->source_len, a->target_len, a->dim};
  return g;
}
#endif
