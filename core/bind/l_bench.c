/* Timing primitives for Lua. The loops run in C; Lua only sees the samples afterwards.
   rl.clock() -> seconds (monotonic, ns resolution)
   rl.bench.resample(src, st, tt, {backend=, warmup=, repeats=, mode=, batch=, rotate=, threads=, pin=, out=, nvtx=})
     -> {samples_ms = {...}, mode=, backend=, threads=, pinned= (cpu), batch=, sm_clock_mhz = {...} (cuda)}
   rl.bench.copy_bandwidth_cpu{bytes=, threads=, repeats=} -> {bytes_per_s=, median_ms=, bytes=, threads=}
   rl.bench.lua(fn, {warmup=, repeats=}) -> {samples_ms = {...}}  (times a Lua function: for custom cases) */
#include "clock.h"
#include "cpu_bench.h"
#include "bind.h"
#include "rl_cuda.h"
#include "threadpool.h"
#include <stdlib.h>
#include <string.h>

static int l_clock(lua_State *L) {
  lua_pushnumber(L, rl_clock_s());
  return 1;
}

static int l_bench_resample(lua_State *L) {
  lua_settop(L, 4);
  rl_resample_call c;
  /* It times the linear f32 path only: what would make rl.resample take the general one is refused, not
     ignored (a timing of linear interpolation reported as a slerp's would be a wrong number). */
  const char *general = rl_resample_general_option(L);
  if (general)
    return luaL_error(L, "bench.resample: opts.%s: it times the linear resampler of f32 times only; time modes, "
                      "lengths, fill and output dtypes with rl.bench.fuse", general);
  static const char *const keys[] = {RL_RESAMPLE_KEYS, RL_TIMING_KEYS, NULL};
  rl_check_resample_call(L, 1, "bench.resample", keys, &c); /* pushes the output tensor at 5 */
  rl_timing_opts o;
  rl_opt_timing(L, 4, &o);
  rl_check_timed_backend(L, c.backend, &o);
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)o.repeats, 0); /* freed by the GC */
  int *clocks = lua_newuserdatauv(L, sizeof(int) * (size_t)o.repeats, 0);
  int threads = 0;
  if (o.nvtx) rl_nvtx_push(o.nvtx);
  if (c.backend == RL_BACKEND_CPU) {
    rl_pool_set_pinning(c.pin);
    threads = rl_cpu_time_resample(&c.args, c.threads, o.warmup, o.repeats, o.mode == RL_MODE_COLD, samples);
    rl_pool_set_pinning(0);
    if (o.nvtx) rl_nvtx_pop();
    if (threads == RL_BENCH_INTERRUPTED) return luaL_error(L, "interrupted");
    if (threads < 0) return luaL_error(L, "bench.resample: cannot allocate the cache-flush buffer");
  } else {
    int rc = rl_cuda_time_resample(&c.args, o.mode, o.warmup, o.repeats, o.batch, o.rotate, samples, clocks);
    if (o.nvtx) rl_nvtx_pop();
    if (rc != 0) return luaL_error(L, "bench.resample: CUDA failed: %s", rl_cuda_last_error());
  }
  rl_push_timing_result(L, &o, samples, c.backend == RL_BACKEND_CPU ? NULL : clocks);
  lua_pushstring(L, rl_backend_name(c.backend));
  lua_setfield(L, -2, "backend");
  if (c.backend == RL_BACKEND_CPU) {
    lua_pushinteger(L, threads);
    lua_setfield(L, -2, "threads");
    lua_pushboolean(L, c.pin);
    lua_setfield(L, -2, "pinned");
  }
  return 1;
}

static int l_copy_bandwidth_cpu(lua_State *L) {
  static const char *const keys[] = {"bytes", "threads", "repeats", NULL};
  rl_check_opts(L, 1, "bench.copy_bandwidth_cpu", keys);
  lua_Integer bytes = rl_opt_integer(L, 1, "bytes", (lua_Integer)1 << 28, 1 << 12, (lua_Integer)1 << 40);
  int threads = (int)rl_opt_integer(L, 1, "threads", 0, 0, 4096);
  int repeats = (int)rl_opt_integer(L, 1, "repeats", 10, 1, 100000);
  if (threads == 0) threads = rl_cpu_count();
  double bps, ms;
  int rc = rl_cpu_copy_bandwidth((size_t)bytes, threads, repeats, &bps, &ms);
  if (rc == RL_BENCH_INTERRUPTED) return luaL_error(L, "interrupted");
  if (rc != 0)
    return luaL_error(L, "bench.copy_bandwidth_cpu: cannot allocate 2 x %I bytes", bytes);
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, bps); lua_setfield(L, -2, "bytes_per_s");
  lua_pushnumber(L, ms); lua_setfield(L, -2, "median_ms");
  lua_pushinteger(L, bytes); lua_setfield(L, -2, "bytes");
  lua_pushinteger(L, threads); lua_setfield(L, -2, "threads");
  return 1;
}

static int l_bench_lua(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  static const char *const keys[] = {"warmup", "repeats", NULL};
  rl_check_opts(L, 2, "bench.lua", keys);
  int warmup = (int)rl_opt_integer(L, 2, "warmup", 10, 0, 1000000); /* no mode, batch or rotate for Lua */
  int repeats = (int)rl_opt_integer(L, 2, "repeats", 50, 1, 10000000);
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)repeats, 0);
  for (int i = 0; i < warmup + repeats; i++) {
    lua_pushvalue(L, 1);
    uint64_t t0 = rl_clock_ns();
    lua_call(L, 0, 0); /* errors propagate to the caller's pcall */
    uint64_t t1 = rl_clock_ns();
    if (i >= warmup) samples[i - warmup] = (double)(t1 - t0) * 1e-6;
  }
  lua_createtable(L, 0, 1);
  rl_push_array(L, samples, repeats);
  lua_setfield(L, -2, "samples_ms");
  return 1;
}

void rl_open_bench(lua_State *L) {
  lua_pushcfunction(L, l_clock);
  lua_setfield(L, -2, "clock");
  static const luaL_Reg fns[] = {{"resample", l_bench_resample},
                                 {"copy_bandwidth_cpu", l_copy_bandwidth_cpu},
                                 {"lua", l_bench_lua},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "bench");
}
