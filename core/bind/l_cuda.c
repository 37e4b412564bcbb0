/* rl.cuda.* and rl.nvtx.*: the Lua face of kernels/rl_cuda.h. In a build without CUDA every entry
   still exists: available() is false and the others raise a clear error. */
#include "bind.h"
#include "median.h"
#include "rl_cuda.h"
#include <stdlib.h>

static int l_available(lua_State *L) {
  int ok = rl_cuda_available();
  lua_pushboolean(L, ok);
  if (ok) return 1;
  lua_pushstring(L, rl_cuda_last_error());
  return 2;
}

static void need_cuda(lua_State *L, const char *fname) {
  if (!rl_cuda_available()) luaL_error(L, "cuda.%s: CUDA is not available (%s)", fname, rl_cuda_last_error());
}

#define SETINT(k, v) (lua_pushinteger(L, (v)), lua_setfield(L, -2, (k)))
static int l_info(lua_State *L) {
  need_cuda(L, "info");
  rl_cuda_info i;
  if (rl_cuda_get_info(&i) != 0) return luaL_error(L, "cuda.info: %s", rl_cuda_last_error());
  lua_createtable(L, 0, 20);
  lua_pushstring(L, i.name); lua_setfield(L, -2, "name");
  lua_pushfstring(L, "%d.%d", i.cc_major, i.cc_minor); lua_setfield(L, -2, "compute_capability");
  SETINT("device", i.device);
  SETINT("sm_count", i.sm_count);
  SETINT("max_threads_per_sm", i.max_threads_per_sm);
  SETINT("l2_bytes", i.l2_bytes);
  SETINT("global_mem_bytes", i.global_mem_bytes);
  SETINT("shared_mem_per_sm", i.shared_mem_per_sm);
  SETINT("mem_bus_width_bits", i.mem_bus_width_bits);
  SETINT("sm_clock_mhz_now", i.sm_clock_mhz_now);
  SETINT("mem_clock_mhz_now", i.mem_clock_mhz_now);
  SETINT("sm_clock_mhz_max", i.sm_clock_mhz_max);
  SETINT("mem_clock_mhz_max", i.mem_clock_mhz_max);
  SETINT("driver_version", i.driver_version);
  SETINT("runtime_version", i.runtime_version);
  lua_pushstring(L, i.driver_string); lua_setfield(L, -2, "driver");
  lua_pushstring(L, i.pci_bus_id); lua_setfield(L, -2, "pci_bus_id");
  lua_pushstring(L, i.uuid); lua_setfield(L, -2, "uuid");
  return 1;
}

/* rl.cuda.copy_bandwidth{bytes=, repeats=, warmup=, mode=, batch=, rotate=}
     -> {bytes_per_s=, median_ms=, bytes=, mode=, samples_ms={...}}
   cudaMemcpy device-to-device of `bytes`, timed by the resampler's loop (same modes, same per-launch
   costs, `rotate` buffer pairs cycled as the resampler's inputs can be); bytes_per_s counts bytes
   read + written (2 * bytes) over the median. */
static int l_copy_bandwidth(lua_State *L) {
  static const char *const keys[] = {"bytes", "repeats", "warmup", "batch", "rotate", "mode", NULL};
  rl_check_opts(L, 1, "cuda.copy_bandwidth", keys);
  lua_Integer bytes = rl_opt_integer(L, 1, "bytes", (lua_Integer)1 << 29, 1 << 12, (lua_Integer)1 << 40);
  int repeats = (int)rl_opt_integer(L, 1, "repeats", 20, 1, 1000000);
  int warmup = (int)rl_opt_integer(L, 1, "warmup", 2, 0, 1000000);
  int batch = (int)rl_opt_integer(L, 1, "batch", 20, 1, 100000);
  int rotate = (int)rl_opt_integer(L, 1, "rotate", 1, 1, 64);
  rl_timing_mode mode = rl_opt_timing_mode(L, 1);
  need_cuda(L, "copy_bandwidth");
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)repeats, 0); /* freed by the GC */
  if (rl_cuda_time_copy((size_t)bytes, mode, warmup, repeats, batch, rotate, samples) != 0)
    return luaL_error(L, "cuda.copy_bandwidth: %s", rl_cuda_last_error());
  lua_createtable(L, 0, 5);
  rl_push_array(L, samples, repeats);
  lua_setfield(L, -2, "samples_ms");
  double med = rl_median_inplace(samples, (size_t)repeats);
  lua_pushnumber(L, 2.0 * (double)bytes / (med * 1e-3)); lua_setfield(L, -2, "bytes_per_s");
  lua_pushnumber(L, med); lua_setfield(L, -2, "median_ms");
  lua_pushinteger(L, bytes); lua_setfield(L, -2, "bytes");
  lua_pushstring(L, rl_timing_mode_name(mode)); lua_setfield(L, -2, "mode");
  return 1;
}

/* rl.cuda.device_count() -> n (0 in a build or on a machine without CUDA) | nil, reason */
static int l_device_count(lua_State *L) {
  int n = rl_cuda_device_count();
  if (n < 0) {
    lua_pushinteger(L, 0);
    lua_pushstring(L, rl_cuda_last_error());
    return 2;
  }
  lua_pushinteger(L, n);
  return 1;
}

/* rl.cuda.copy_kernel(bytes): one kernel copy of `bytes` (for profiles: a same-size copy ncu can see) */
static int l_copy_kernel(lua_State *L) {
  lua_Integer bytes = luaL_checkinteger(L, 1);
  if (bytes < 1 || bytes > ((lua_Integer)1 << 40)) return luaL_error(L, "cuda.copy_kernel: bytes must be in [1, 2^40], got %I", bytes);
  need_cuda(L, "copy_kernel");
  if (rl_cuda_copy_kernel((size_t)bytes) != 0) return luaL_error(L, "cuda.copy_kernel: %s", rl_cuda_last_error());
  return 0;
}

/* rl.cuda.rows_plan(src, st, tt, {out=}) -> {grid, block, shared, S, T, vecs, q, rem, batches_per_stage}:
   how the built-in row-block kernel would be launched for this call (device tensors), so the same device
   code compiled as a user module (kernels/resample_rows.cuh) can be launched identically. */
static int l_rows_plan(lua_State *L) {
  lua_settop(L, 4);
  rl_resample_call c;
  static const char *const keys[] = {RL_RESAMPLE_KEYS, NULL};
  rl_check_resample_call(L, 1, "cuda.rows_plan", keys, &c);
  if (c.backend != RL_BACKEND_CPU && c.backend != RL_BACKEND_CUDA) return luaL_error(L, "cuda.rows_plan: the cuda backend only");
  rl_cuda_rows_plan p;
  if (rl_cuda_resample_rows_plan(&c.args, &p) != 0) return luaL_error(L, "cuda.rows_plan: %s", rl_cuda_last_error());
  lua_createtable(L, 0, 9);
  SETINT("grid", p.grid);
  SETINT("block", p.block);
  SETINT("shared", (lua_Integer)p.shared);
  SETINT("S", p.S);
  SETINT("T", p.T);
  SETINT("vecs", p.vecs);
  SETINT("q", p.q);
  SETINT("rem", p.rem);
  SETINT("batches_per_stage", p.batches_per_stage);
  return 1;
}

/* rl.cuda.fuse_kernel([name [, targets]]) -> name, targets: the kernel the fused resampler launches on
   CUDA (kernels/NOTES.md, "fusion kernel"): "v3" (the default), "v2" or "v1" (the earlier ones, for A/B
   runs); targets = v2's or v3's targets per block, 0 = automatic. With a name: selects it (for every later call, graph
   captures included) and returns the previous choice. ROBOLUA_FUSE_KERNEL / ROBOLUA_FUSE_TARGETS set the
   starting choice. */
static int l_fuse_kernel(lua_State *L) {
  int targets = 0;
  const char *prev = rl_cuda_fuse_get_kernel(&targets);
  if (lua_isnoneornil(L, 1)) {
    if (!prev) return luaL_error(L, "cuda.fuse_kernel: %s", rl_cuda_last_error());
    lua_pushstring(L, prev);
    lua_pushinteger(L, targets);
    return 2;
  }
  const char *name = luaL_checkstring(L, 1);
  const lua_Integer want = luaL_optinteger(L, 2, 0);
  if (want < 0 || want > 1000000) return luaL_error(L, "cuda.fuse_kernel: targets must be 0 (automatic) or positive, got %I", want);
  if (rl_cuda_fuse_set_kernel(name, (int)want) != 0)
    return luaL_error(L, "cuda.fuse_kernel('%s', %I): %s", name, want, rl_cuda_last_error());
  if (prev) lua_pushstring(L, prev); else lua_pushnil(L);
  lua_pushinteger(L, targets);
  return 2;
}

static int l_synchronize(lua_State *L) {
  need_cuda(L, "synchronize");
  if (rl_cuda_synchronize() != 0) return luaL_error(L, "cuda.synchronize: %s", rl_cuda_last_error());
  return 0;
}

static int l_sm_clock(lua_State *L) {
  lua_pushinteger(L, rl_cuda_available() ? rl_cuda_sm_clock_now() : -1);
  return 1;
}

static int l_nvtx_push(lua_State *L) {
  rl_nvtx_push(luaL_checkstring(L, 1));
  return 0;
}

static int l_nvtx_pop(lua_State *L) {
  (void)L;
  rl_nvtx_pop();
  return 0;
}

/* rl.nvtx.range(name, fn, ...) runs fn inside a range and pops it even if fn fails. */
static int l_nvtx_range(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int nargs = lua_gettop(L) - 2;
  rl_nvtx_push(name);
  lua_pushvalue(L, 2);
  lua_rotate(L, 3, 1); /* fn, args... */
  int rc = lua_pcall(L, nargs, LUA_MULTRET, 0);
  rl_nvtx_pop();
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L) - 2;
}

static int l_nvtx_available(lua_State *L) {
  lua_pushboolean(L, rl_nvtx_available());
  return 1;
}

void rl_open_cuda(lua_State *L) {
  static const luaL_Reg cuda[] = {{"available", l_available}, {"info", l_info},
                                  {"copy_bandwidth", l_copy_bandwidth}, {"synchronize", l_synchronize},
                                  {"sm_clock", l_sm_clock}, {"device_count", l_device_count},
                                  {"copy_kernel", l_copy_kernel}, {"rows_plan", l_rows_plan},
                                  {"fuse_kernel", l_fuse_kernel}, {NULL, NULL}};
  static const luaL_Reg nvtx[] = {{"push", l_nvtx_push}, {"pop", l_nvtx_pop}, {"range", l_nvtx_range},
                                  {"available", l_nvtx_available}, {NULL, NULL}};
  luaL_newlib(L, cuda);
  lua_setfield(L, -2, "cuda");
  luaL_newlib(L, nvtx);
  lua_setfield(L, -2, "nvtx");
}
