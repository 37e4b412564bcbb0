/* Shared helpers of the Lua bindings (the l_*.c files; argument readers in args.c). */
#ifndef ROBOLUA_BIND_H
#define ROBOLUA_BIND_H
#include "tensor.h"
#include "timing_mode.h"
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
/* How a wrong value reads in an error message: a number by its value, anything else by its type. */
const char *rl_value_text(lua_State *L, int idx);
rl_device rl_check_device(lua_State *L, int idx, const char *name);

/* Option-table readers: opts at index `t` may be nil. Errors name "opts.<key>". */
lua_Integer rl_opt_integer(lua_State *L, int t, const char *key, lua_Integer def, lua_Integer min,
                           lua_Integer max);
double rl_opt_number(lua_State *L, int t, const char *key, double def);
/* A finite number in [min, max] (max = HUGE_VAL: no upper bound); NaN, inf and values outside fail. */
double rl_opt_number_in(lua_State *L, int t, const char *key, double def, double min, double max);
const char *rl_opt_string(lua_State *L, int t, const char *key, const char *def);
int rl_opt_boolean(lua_State *L, int t, const char *key, int def);
/* The same readers for a field of another table (a spec), named in errors as <prefix><key>: rl_opt_* are
   these with "opts." (rl.fuse's options live in its spec, where "opts.fill" would name nothing). */
lua_Integer rl_field_integer(lua_State *L, int t, const char *prefix, const char *key, lua_Integer def, lua_Integer min,
                             lua_Integer max);
double rl_field_number(lua_State *L, int t, const char *prefix, const char *key, double def);
const char *rl_field_string(lua_State *L, int t, const char *prefix, const char *key, const char *def);
int rl_field_boolean(lua_State *L, int t, const char *prefix, const char *key, int def);
/* opts at t is nil or a table, else "<fname>: options must be a table"; with keys (NULL-terminated; NULL:
   unchecked, where another layer checks them), each key is one of them, else "<fname>: opts: unknown
   option K (expected a, b, ...)". */
void rl_check_opts(lua_State *L, int t, const char *fname, const char *const *keys);
/* Every key of the table at t (nil: nothing to check) is one of keys (NULL-terminated), else an error
   "<prefix>unknown <noun> K (expected a, b, ...)": a misspelt option must not be ignored (ragid = true
   would give dense episodes, backnd = "cuda" a CPU run). */
void rl_check_keys(lua_State *L, int t, const char *prefix, const char *noun, const char *const *keys);
/* The table at t (nil: nothing to check) is an array: every key an integer in [1, #t], else an error
   "<name>: expected an array of <what>, got the key K" (a map's entries would be skipped by a loop to #t:
   modes = {quat = {...}} interpolated a quaternion linearly, streams = {a, imu = b} dropped b). */
void rl_check_array(lua_State *L, int t, const char *name, const char *what);
/* The option names of the timed loops (rl_opt_timing), of rl.resample's linear f32 path, and the ones only
   its general path honours (l_fuse.c: rl_resample_general), for key lists. */
#define RL_TIMING_KEYS "warmup", "repeats", "batch", "rotate", "mode", "nvtx"
#define RL_RESAMPLE_KEYS "backend", "threads", "pin", "out", "validate", "strict"
#define RL_GENERAL_KEYS "modes", "src_len", "tgt_len", "fill", "dtype"
/* opts.mode of a timed loop ("hot", "cold" or "graph"; default hot). */
rl_timing_mode rl_opt_timing_mode(lua_State *L, int t);

/* The options every timed loop takes (rl.bench.resample, rl.bench.fuse, rl.bench.launch, a CPU library's
   bench): opts.warmup (10), repeats (50), batch (20: graph mode's units per sample), rotate (1: input
   sets cycled), mode ("hot") and nvtx (a range around the loop; none). Read by rl_opt_timing. */
typedef struct {
  int warmup, repeats, batch, rotate;
  rl_timing_mode mode;
  const char *nvtx; /* NULL: no range */
} rl_timing_opts;
void rl_opt_timing(lua_State *L, int t, rl_timing_opts *o);
/* Pushes the fields every timed loop returns: samples_ms, mode, warmup and, for a CUDA loop (clocks not
   NULL), sm_clock_mhz and (graph mode) batch. The caller adds its own (backend, threads, kernel, ...). */
void rl_push_timing_result(lua_State *L, const rl_timing_opts *o, const double *samples, const int *clocks);

/* Pushes v as a message shows it (shortest exact decimal, NaN, inf, -inf) and returns the string. */
const char *rl_push_number_text(lua_State *L, double v);
/* Pushes a Lua array of doubles. */
void rl_push_array(lua_State *L, const double *v, int n);

void rl_open_tensor(lua_State *L);   /* adds tensor, empty to the table on top */
void rl_open_resample(lua_State *L); /* trajectories, resample, compare, validate_times */
void rl_open_bench(lua_State *L);    /* clock, bench.* */
void rl_open_cuda(lua_State *L);     /* cuda.*, nvtx.* */
void rl_open_env(lua_State *L);      /* env() */
void rl_open_file(lua_State *L);     /* write_file, append_file, mkdir_unique, interrupted */
void rl_open_user(lua_State *L);     /* user.* (kernels, modules, libraries), cuda.compile, cuda.context_status */
void rl_open_fuse(lua_State *L);     /* fuse, mask, bench.fuse, interp_modes (after rl_open_bench) */
void rl_open_robot(lua_State *L);    /* robot_episodes */
int luaopen_robolua_core(lua_State *L);
/* The exit code a script asked for through robolua.core.set_exit_code (0 if none). */
int rl_bind_exit_code(void);


/* A checked resample call: the three inputs at idx, idx+1, idx+2 and an options table at idx+3. */
#include "resample.h"
typedef enum { RL_BACKEND_CPU = 0, RL_BACKEND_REFERENCE = 1, RL_BACKEND_CUDA = 2 } rl_backend;
typedef struct {
  rl_backend backend;
  rl_resample_args args;
  rl_tensor *src, *st, *tt;
  int threads;
  int pin;       /* opts.pin: pool index i runs on CPU i mod ncpu (cpu and reference backends) */
  int out_given; /* opts.out was a tensor */
} rl_resample_call;
/* Checks types, shapes, dtypes, devices and (unless opts.validate == false) the times; pushes the
   output tensor (opts.out or a new one) and sets call->args.out. Every failure is a Lua error. */
void rl_check_resample_call(lua_State *L, int idx, const char *fname, const char *const *keys, rl_resample_call *call);
const char *rl_backend_name(rl_backend b);
/* What a built-in backend's timed loop refuses: the reference (never timed); graph mode and input
   rotation on the cpu backend (both exist only on the GPU). */
void rl_check_timed_backend(lua_State *L, rl_backend b, const rl_timing_opts *o);

/* A checked fused resample call (fuse_call.c). */
#include "fuse_args.h"
typedef struct {
  rl_fuse_args args;
  rl_backend backend;
  rl_device device;
  int threads, per_stream, validate, strict;
  int resample_style; /* errors name rl.resample's arguments (src, src_times, opts.modes, ...) */
  const char *opt_prefix, *spec_prefix; /* how errors name an option and a spec field: "opts." or "" */
  int keep, keep_n;   /* stack index of the table holding the call's temporaries, and its length */
  double *operands;   /* spec.operands (reference only): each element's lerp operand sum, or NULL */
} rl_fuse_call;
/* Reads the data (streams, tgt_times, tgt_len, out, operands, dtype, fill, validate, strict) from the table at spec and
   backend, threads, launch from the table at opts (may be the same); checks everything; pushes the keep
   table and then the output tensor (opts.out or a new one), which is left on top. Errors are Lua errors. */
void rl_check_fuse_call(lua_State *L, int spec, int opts, int resample_style, rl_fuse_call *c);
/* Runs a checked call once (synchronously); returns 0, or -1 with the CUDA error in rl_cuda_last_error(). */
int rl_run_fuse_call(const rl_fuse_call *c);
/* rl.resample(src, src_times, tgt_times, opts) when it needs the general path: f64/i64 times, or one of
   RL_GENERAL_KEYS in opts. rl_resample_is_general says whether it does; rl_resample_general_option names
   the first such option in opts (index 4), or is NULL. */
int rl_resample_is_general(lua_State *L);
const char *rl_resample_general_option(lua_State *L);
int rl_resample_general(lua_State *L);
#endif
