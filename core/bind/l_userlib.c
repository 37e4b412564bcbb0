/* User CPU functions from shared libraries (core/engine/userlib.c) in Lua:
   core.user.load_library(path) -> library          library:symbol(name) -> function
   core.user.cpu_resample(fn, label, src, st, tt, opts) -> out     (opts as rl.resample: out, threads, validate)
   core.user.cpu_bench(fn, label, src, st, tt, {warmup, repeats, mode = "hot"|"cold", threads, out, nvtx})
     -> {samples_ms, threads, mode, warmup}
   label names the backend in errors: "mine (f32) returned error code 3". */
#include "l_user.h"
#include "cpu_bench.h"
#include "rl_cuda.h"
#include "threadpool.h"
#include "userlib.h"
#include <stdio.h>
#include <string.h>

#define RL_LIBRARY_MT "robolua.cpu_library"
#define RL_CPUFN_MT "robolua.cpu_function"

typedef struct {
  void *handle;
  char path[1024];
} library_ud;

typedef struct {
  rl_cpu_resample_fn fn;
  char name[128];
} cpufn_ud;

static int l_load_library(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  library_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->handle = NULL;
  snprintf(u->path, sizeof u->path, "%s", path);
  luaL_setmetatable(L, RL_LIBRARY_MT);
  char err[1024];
  if (rl_userlib_open(path, &u->handle, err, sizeof err)) return luaL_error(L, "cpu.library: %s", err);
  return 1;
}

/* library:symbol(name) -> function (a missing one: "libmine.so: no symbol 'mine_resample_f32'") */
static int lib_symbol(lua_State *L) {
  library_ud *u = luaL_checkudata(L, 1, RL_LIBRARY_MT);
  const char *name = luaL_checkstring(L, 2);
  if (strlen(name) >= sizeof ((cpufn_ud *)0)->name) return luaL_error(L, "%s: symbol name too long", u->path);
  void *sym;
  char err[1200];
  if (rl_userlib_symbol(u->handle, u->path, name, &sym, err, sizeof err)) return luaL_error(L, "%s", err);
  cpufn_ud *f = lua_newuserdatauv(L, sizeof *f, 0);
  /* POSIX guarantees a dlsym result converts to the function type it names */
  *(void **)&f->fn = sym;
  snprintf(f->name, sizeof f->name, "%s", name);
  luaL_setmetatable(L, RL_CPUFN_MT);
  return 1;
}

static int lib_index(lua_State *L) {
  library_ud *u = luaL_checkudata(L, 1, RL_LIBRARY_MT);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "symbol") == 0) lua_pushcfunction(L, lib_symbol);
  else if (strcmp(key, "path") == 0) lua_pushstring(L, u->path);
  else lua_pushnil(L);
  return 1;
}

/* The checked call: fn at 1, label at 2, src/st/tt at 3..5, opts at 6; pushes out (7). */
static void check_call(lua_State *L, cpufn_ud **fn, rl_resample_call *c) {
  *fn = luaL_checkudata(L, 1, RL_CPUFN_MT);
  luaL_checkstring(L, 2); /* the label */
  lua_pushvalue(L, lua_upvalueindex(1)); /* core.user.resample_args */
  for (int i = 3; i <= 6; i++) lua_pushvalue(L, i);
  lua_pushstring(L, "cpu");
  lua_pushvalue(L, 2);
  lua_call(L, 6, 5); /* out, B, S, T, D */
  lua_pop(L, 4);     /* out stays at 7 */
  rl_tensor *out = lua_touserdata(L, 7);
  rl_tensor *src = rl_check_tensor(L, 3, "src");
  memset(c, 0, sizeof *c);
  c->args = (rl_resample_args){.dtype = src->dtype, .src = src->data,
                               .src_times = rl_check_tensor(L, 4, "src_times")->data,
                               .tgt_times = rl_check_tensor(L, 5, "tgt_times")->data, .out = out->data,
                               .batch = src->shape[0], .source_len = src->shape[1],
                               .target_len = rl_check_tensor(L, 5, "tgt_times")->shape[1], .dim = src->shape[2]};
  c->threads = (int)rl_opt_integer(L, 6, "threads", 0, 0, 4096);
  if (c->threads == 0) c->threads = rl_cpu_count();
}

static int l_cpu_resample(lua_State *L) {
  lua_settop(L, 6);
  cpufn_ud *fn;
  rl_resample_call c;
  check_call(L, &fn, &c);
  int code = rl_userlib_resample(fn->fn, &c.args, c.threads);
  if (code != 0)
    return luaL_error(L, "%s (%s) returned error code %d", lua_tostring(L, 2), rl_dtype_name(c.args.dtype), code);
  return 1;
}

static int l_cpu_bench(lua_State *L) {
  lua_settop(L, 6);
  rl_check_opts(L, 6, "bench", NULL); /* (keys: lua/robolua/backends.lua) */
  cpufn_ud *fn;
  rl_resample_call c;
  check_call(L, &fn, &c); /* out at 7 */
  const char *label = lua_tostring(L, 2);
  rl_timing_opts o;
  rl_opt_timing(L, 6, &o);
  if (o.mode == RL_MODE_GRAPH) return luaL_error(L, "opts.mode: graph mode exists only for cuda backends (%s is a cpu backend)", label);
  if (o.rotate != 1) return luaL_error(L, "opts.rotate: input rotation exists only for cuda backends (%s is a cpu backend)", label);
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)o.repeats, 0);
  int code = 0;
  if (o.nvtx) rl_nvtx_push(o.nvtx);
  int rc = rl_userlib_time_resample(fn->fn, &c.args, c.threads, o.warmup, o.repeats, o.mode == RL_MODE_COLD, samples, &code);
  if (o.nvtx) rl_nvtx_pop();
  if (rc == RL_BENCH_INTERRUPTED) return luaL_error(L, "interrupted");
  if (rc == RL_BENCH_CALL_FAILED)
    return luaL_error(L, "%s (%s) returned error code %d", label, rl_dtype_name(c.args.dtype), code);
  if (rc != 0) return luaL_error(L, "%s: cannot allocate the cache-flush buffer", label);
  rl_push_timing_result(L, &o, samples, NULL);
  lua_pushinteger(L, c.threads);
  lua_setfield(L, -2, "threads");
  return 1;
}

/* Adds load_library, cpu_resample and cpu_bench to the user table on top (which already has
   resample_args: the checks are shared with the CUDA path). */
void rl_open_userlib(lua_State *L) {
  static const luaL_Reg lib_meta[] = {{"__index", lib_index}, {NULL, NULL}};
  luaL_newmetatable(L, RL_LIBRARY_MT);
  luaL_setfuncs(L, lib_meta, 0);
  lua_pop(L, 1);
  luaL_newmetatable(L, RL_CPUFN_MT);
  lua_pop(L, 1);
  lua_pushcfunction(L, l_load_library);
  lua_setfield(L, -2, "load_library");
  lua_getfield(L, -1, "resample_args");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, l_cpu_resample, 1);
  lua_setfield(L, -3, "cpu_resample");
  lua_pushcclosure(L, l_cpu_bench, 1);
  lua_setfield(L, -2, "cpu_bench");
}
