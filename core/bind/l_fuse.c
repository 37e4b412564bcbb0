/* The general resampler in Lua (doc/robot.md):
   rl.fuse{streams = {{src=, src_times=, src_len=, modes=}, ...}, tgt_times=, tgt_len=, out=, dtype="f32",
           fill=NaN, backend="cpu"|"reference"|"cuda", threads=, launch="fused"|"per_stream", validate=, strict=,
           operands= (reference only: a host f64 tensor [B, T, sum D] that gets each element's lerp operand
           sum |a| + |b|, for rl.compare's opts.operand_sums; fuse.h)}
     -> out [B, T, sum D]
   rl.mask(lengths, T, {dtype="f32", device=}) -> [B, T]: 1 where t < lengths[b], else 0
   rl.bench.fuse(spec, {backend=, launch=, warmup=10, repeats=50, mode=, batch=20, rotate=1, threads=, nvtx=})
     -> {samples_ms, mode, backend, launch, warmup, threads (cpu) | sm_clock_mhz (cuda), batch (graph)}
   rl.interp_modes = {"linear", "nearest", "hold", "slerp"}
   and rl.resample(...) when a call needs the general path (rl_resample_general). */
#include "bind.h"
#include "cpu_bench.h"
#include "fuse.h"
#include "rl_cuda.h"
#include <string.h>

int rl_run_fuse_call(const rl_fuse_call *c) {
  switch (c->backend) {
  case RL_BACKEND_CPU: rl_fuse_cpu_call(&c->args, c->per_stream, c->threads); return 0;
  case RL_BACKEND_REFERENCE: rl_fuse_reference(&c->args, c->args.out, c->operands, c->threads); return 0;
  default:
    if (rl_cuda_fuse(&c->args, c->per_stream) != 0) return -1;
    return rl_cuda_synchronize();
  }
}

/* The fields of a fuse spec (rl.robot_episodes' result is one: its clock, time_dtype, duration_s and
   policy_hz describe it and are not read), and the call's options (in the spec for rl.fuse, in opts for
   rl.bench.fuse). Anything else is refused, not ignored. */
#define FUSE_SPEC_KEYS "streams", "tgt_times", "tgt_len", "fill", "dtype", "out", "operands", "validate", "strict", \
                       "clock", "time_dtype", "duration_s", "policy_hz"
#define FUSE_CALL_KEYS "backend", "threads", "launch"

static int l_fuse(lua_State *L) {
  if (lua_gettop(L) > 1) /* (rl.bench.fuse and rl.resample take options apart: here they would be dropped) */
    return luaL_error(L, "fuse: takes one table {streams=, tgt_times=, ...}, got %d arguments (its options, "
                         "backend=, threads=, launch=, go in that table)", lua_gettop(L));
  static const char *const keys[] = {FUSE_SPEC_KEYS, FUSE_CALL_KEYS, NULL};
  rl_check_keys(L, 1, "fuse: ", "field", keys);
  rl_fuse_call c;
  rl_check_fuse_call(L, 1, 1, 0, &c);
  if (rl_run_fuse_call(&c) != 0) return luaL_error(L, "fuse: CUDA failed: %s", rl_cuda_last_error());
  return 1;
}

int rl_resample_is_general(lua_State *L) {
  for (int i = 2; i <= 3; i++) {
    rl_tensor *t = luaL_testudata(L, i, RL_TENSOR_MT);
    if (t && t->data && t->dtype != RL_F32) return 1;
  }
  return rl_resample_general_option(L) != NULL;
}

const char *rl_resample_general_option(lua_State *L) {
  static const char *const keys[] = {RL_GENERAL_KEYS, NULL};
  if (!lua_istable(L, 4)) return NULL;
  for (int k = 0; keys[k]; k++) {
    const int present = lua_getfield(L, 4, keys[k]) != LUA_TNIL;
    lua_pop(L, 1);
    if (present) return keys[k];
  }
  return NULL;
}

/* rl.resample(src, src_times, tgt_times, opts) as a one-stream fused call whose output has src's dtype. */
int rl_resample_general(lua_State *L) {
  lua_settop(L, 4);
  if (!lua_isnil(L, 4) && !lua_istable(L, 4)) return luaL_error(L, "resample: options must be a table, got %s", luaL_typename(L, 4));
  static const char *const allowed[] = {"backend", "threads", "out", "validate", "strict", RL_GENERAL_KEYS, NULL};
  rl_check_keys(L, 4, "resample (modes, lengths, fill, dtype or f64/i64 times): opts: ", "option", allowed);
  lua_createtable(L, 0, 10); /* 5: the spec */
  if (lua_istable(L, 4)) /* the options (backend, out, fill, ...) are the spec's; modes and src_len go to the stream */
    for (lua_pushnil(L); lua_next(L, 4); lua_pop(L, 1)) {
      lua_pushvalue(L, -2);
      lua_pushvalue(L, -2);
      lua_settable(L, 5);
    }
  lua_pushvalue(L, 3);
  lua_setfield(L, 5, "tgt_times");
  lua_createtable(L, 1, 0);
  lua_createtable(L, 0, 4);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "src");
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "src_times");
  if (lua_istable(L, 4)) {
    lua_getfield(L, 4, "modes");
    lua_setfield(L, -2, "modes");
    lua_getfield(L, 4, "src_len");
    lua_setfield(L, -2, "src_len");
  }
  lua_rawseti(L, -2, 1);
  lua_setfield(L, 5, "streams");
  rl_check_tensor(L, 1, "src");
  rl_check_tensor(L, 2, "src_times");
  rl_fuse_call c;
  rl_check_fuse_call(L, 5, 5, 1, &c);
  if (rl_run_fuse_call(&c) != 0) return luaL_error(L, "resample: CUDA failed: %s", rl_cuda_last_error());
  return 1;
}

/* rl.mask(lengths, T, {dtype=, device=}) */
static int l_mask(lua_State *L) {
  const lua_Integer T = luaL_checkinteger(L, 2);
  if (T < 1) return luaL_error(L, "T: must be positive, got %I", T);
  static const char *const keys[] = {"dtype", "device", NULL};
  rl_check_opts(L, 3, "mask", keys);
  lua_settop(L, 3);
  rl_dtype dt = RL_F32;
  rl_device dev = RL_HOST;
  int64_t B;
  if (lua_istable(L, 1)) {
    B = (int64_t)luaL_len(L, 1);
  } else {
    rl_tensor *t = rl_check_tensor(L, 1, "lengths");
    if (t->ndim != 1 || (t->dtype != RL_I32 && t->dtype != RL_I64))
      return luaL_error(L, "lengths: expected an i32 or i64 tensor [B] or an array of integers");
    B = t->shape[0];
    dev = t->device;
  }
  if (B < 1) return luaL_error(L, "lengths: expected at least one length");
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "dtype");
    dt = rl_check_dtype(L, -1, "opts.dtype", RL_F32);
    lua_getfield(L, 3, "device");
    if (!lua_isnil(L, -1)) dev = rl_check_device(L, -1, "opts.device");
    lua_settop(L, 3);
  }
  int64_t *len = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)B, 0); /* 4 */
  if (lua_istable(L, 1)) {
    for (int64_t b = 0; b < B; b++) {
      lua_geti(L, 1, b + 1);
      int isint;
      len[b] = (int64_t)lua_tointegerx(L, -1, &isint);
      if (!isint) return luaL_error(L, "lengths[%I]: expected an integer, got %s", (lua_Integer)b + 1, rl_value_text(L, -1));
      if (len[b] < 0 || len[b] > T) /* (a length past T is a wrong T or a wrong length, as in rl.fuse) */
        return luaL_error(L, "lengths[%I]: %I is outside [0, T] = [0, %I]", (lua_Integer)b + 1, (lua_Integer)len[b], T);
      lua_pop(L, 1);
    }
  } else {
    rl_tensor *t = lua_touserdata(L, 1);
    rl_tensor *h = t->device == RL_HOST ? t : rl_push_tensor(L, RL_HOST, t->dtype, 1, t->shape);
    if (h != t && rl_cuda_memcpy_d2h(h->data, t->data, t->nbytes) != 0) return luaL_error(L, "mask: %s", rl_cuda_last_error());
    for (int64_t b = 0; b < B; b++) {
      len[b] = (int64_t)rl_load_f64(h->data, h->dtype, (size_t)b);
      if (len[b] < 0 || len[b] > T)
        return luaL_error(L, "lengths: row %I is %I, outside [0, T] = [0, %I]", (lua_Integer)b, (lua_Integer)len[b], T);
    }
  }
  const int64_t shape[2] = {B, T};
  rl_tensor *m = rl_push_tensor(L, RL_HOST, dt, 2, shape);
  for (int64_t b = 0; b < B; b++)
    for (int64_t t = 0; t < T; t++) rl_store_f64(m->data, dt, (size_t)(b * T + t), t < len[b] ? 1.0 : 0.0);
  if (dev == RL_HOST) return 1;
  rl_tensor *d = rl_push_tensor(L, RL_CUDA, dt, 2, shape);
  if (rl_cuda_memcpy_h2d(d->data, m->data, m->nbytes) != 0) return luaL_error(L, "mask: %s", rl_cuda_last_error());
  return 1;
}

/* rl.bench.fuse(spec, opts) */
static int l_bench_fuse(lua_State *L) {
  lua_settop(L, 2);
  static const char *const spec_keys[] = {FUSE_SPEC_KEYS, NULL}, *const opt_keys[] = {FUSE_CALL_KEYS, RL_TIMING_KEYS, NULL};
  rl_check_keys(L, 1, "bench.fuse: spec: ", "field", spec_keys);
  rl_check_opts(L, 2, "bench.fuse", opt_keys);
  rl_fuse_call c;
  rl_check_fuse_call(L, 1, 2, 0, &c);
  rl_timing_opts o;
  rl_opt_timing(L, 2, &o);
  rl_check_timed_backend(L, c.backend, &o);
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)o.repeats, 0);
  int *clocks = lua_newuserdatauv(L, sizeof(int) * (size_t)o.repeats, 0);
  int threads = 0;
  if (o.nvtx) rl_nvtx_push(o.nvtx);
  if (c.backend == RL_BACKEND_CPU) {
    threads = rl_cpu_time_fuse(&c.args, c.per_stream, c.threads, o.warmup, o.repeats, o.mode == RL_MODE_COLD, samples);
    if (o.nvtx) rl_nvtx_pop();
    if (threads == RL_BENCH_INTERRUPTED) return luaL_error(L, "interrupted");
    if (threads < 0) return luaL_error(L, "bench.fuse: cannot allocate the cache-flush buffer");
  } else {
    const int rc = rl_cuda_time_fuse(&c.args, c.per_stream, o.mode, o.warmup, o.repeats, o.batch, o.rotate, samples, clocks);
    if (o.nvtx) rl_nvtx_pop();
    if (rc != 0) return luaL_error(L, "bench.fuse: CUDA failed: %s", rl_cuda_last_error());
  }
  rl_push_timing_result(L, &o, samples, c.backend == RL_BACKEND_CPU ? NULL : clocks);
  lua_pushstring(L, rl_backend_name(c.backend));
  lua_setfield(L, -2, "backend");
  lua_pushstring(L, c.per_stream ? "per_stream" : "fused");
  lua_setfield(L, -2, "launch");
  if (c.backend == RL_BACKEND_CPU) {
    lua_pushinteger(L, threads);
    lua_setfield(L, -2, "threads");
  }
  return 1;
}

void rl_open_fuse(lua_State *L) {
  lua_pushcfunction(L, l_fuse);
  lua_setfield(L, -2, "fuse");
  lua_pushcfunction(L, l_mask);
  lua_setfield(L, -2, "mask");
  lua_createtable(L, RL_INTERP_COUNT, 0);
  for (int m = 0; m < RL_INTERP_COUNT; m++) {
    lua_pushstring(L, rl_interp_name(m));
    lua_rawseti(L, -2, m + 1);
  }
  lua_setfield(L, -2, "interp_modes");
  if (lua_getfield(L, -1, "bench") != LUA_TTABLE) luaL_error(L, "rl_open_fuse: bench is not registered yet");
  lua_pushcfunction(L, l_bench_fuse);
  lua_setfield(L, -2, "fuse");
  lua_pop(L, 1);
}
