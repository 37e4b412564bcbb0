/* Shared by the libFuzzer targets of the Lua bindings that size user input (fuzz_tensor.c,
   fuzz_resample_args.c, fuzz_trajectories.c): the fuzz bytes are decoded into Lua values (integers and
   floats at the edges — 0, -1, 2^31, 2^53, mininteger, NaN, inf, subnormals —, dtype and backend names,
   option tables with the real keys, tensors of every dtype, closed ones, arrays) and one binding is called
   with them under pcall. Every call must return or raise a string error: a crash, a sanitizer report or
   an error that is not a string fails. Host allocations are capped (ASan: max_allocation_size_mb, set
   below; without ASan: the address space, in fz_init) so "cannot allocate" is fuzzed too. */
#define _POSIX_C_SOURCE 200809L
#include "lua_harness.h"
#include <lauxlib.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_ASAN 1
#endif

#ifdef FZ_ASAN
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1:max_allocation_size_mb=256"; }
#endif

int luaopen_robolua_core(lua_State *L);

static lua_State *L0 = NULL;
static int pool_ref = LUA_NOREF;

/* The tensors a call may get (in the global `pool`), made once. */
static const char *const init_lua =
    "rl = ...\n"
    "function callm(name, self, ...) local f = type(self) == 'userdata' and self[name]; if f then return f(self, ...) end end\n"
    "local t = rl.trajectories { batch = 2, source_len = 8, target_len = 5, dim = 3, seed = 1 }\n"
    "local h = rl.trajectories { batch = 2, source_len = 8, target_len = 5, dim = 3, seed = 2, dtype = 'bf16' }\n"
    "local closed = rl.tensor({ 1, 2 }, { 2 }); closed:close()\n"
    "pool = { t.src, t.src_times, t.tgt_times, h.src, rl.empty({ 2, 5, 3 }), rl.empty({ 2, 5, 3 }, 'f64'),\n"
    "  rl.empty({ 2, 5, 3 }, 'f16'), rl.tensor({ 1, 2, 3 }, { 3 }), rl.empty({ 2, 8 }, 'i64'), rl.empty({ 2, 8 }, 'f64'),\n"
    "  closed, rl.empty({ 1 }), rl.tensor({ 0, 0 / 0, 1 / 0 }, { 1, 3 }), rl.empty({ 4, 8, 3 }), rl.empty({ 2 }, 'i32') }\n";

static const char *const words[] = {"f32", "bf16", "f16", "f64", "i64", "i32", "i8", "u8", "cpu", "cuda",
                                    "reference", "jitter", "uniform", "hot", "cold", "graph", "linear",
                                    "nearest", "hold", "", "x", "tpu", "f32 ", "F32"};
#define NWORDS (sizeof words / sizeof words[0])

static const lua_Integer ints[] = {0, 1, 2, 3, -1, -2, 7, 64, 4096, 65535, 1 << 20, 1 << 24, 2147483647,
                                   2147483648LL, 4294967296LL, -4294967296LL, 1LL << 53, 1LL << 62,
                                   LUA_MAXINTEGER, LUA_MININTEGER};
#define NINTS (sizeof ints / sizeof ints[0])

static unsigned take(fz_input *in) {
  if (in->n == 0) return 0;
  in->n--;
  return *in->p++;
}

static double take_double(fz_input *in) {
  uint64_t bits = 0;
  for (int i = 0; i < 8; i++) bits = bits << 8 | take(in);
  double d;
  memcpy(&d, &bits, sizeof d);
  return d;
}

static void push_double(lua_State *L, fz_input *in) {
  static const double v[] = {0.5, 1.5, -0.0, 0.25, 0.49, 0.4999999, 1e-6, 1e-300, 5e-324, 100.0, 1e9, 1e300,
                             2147483648.0, 4294967296.0, 9007199254740993.0};
  unsigned k = take(in) % 20;
  if (k < sizeof v / sizeof v[0]) lua_pushnumber(L, v[k]);
  else if (k == 15) lua_pushnumber(L, NAN);
  else if (k == 16) lua_pushnumber(L, HUGE_VAL);
  else if (k == 17) lua_pushnumber(L, -HUGE_VAL);
  else lua_pushnumber(L, take_double(in));
}

void fz_push_value(lua_State *L, fz_input *in, int depth, const char *const *keys, int nkeys) {
  unsigned tag = take(in) % 12;
  if (depth > 2 && (tag == 8 || tag == 10 || tag == 11)) tag = 2;
  switch (tag) {
  case 0: lua_pushnil(L); break;
  case 1: lua_pushboolean(L, take(in) & 1); break;
  case 2: lua_pushinteger(L, (lua_Integer)(take(in) % 70) - 3); break;
  case 3: lua_pushinteger(L, ints[take(in) % NINTS]); break;
  case 4: push_double(L, in); break;
  case 5: lua_pushnumber(L, take_double(in)); break;
  case 6: lua_pushstring(L, words[take(in) % NWORDS]); break;
  case 7: {
    char s[16];
    size_t n = take(in) % sizeof s;
    for (size_t i = 0; i < n; i++) s[i] = (char)take(in);
    lua_pushlstring(L, s, n);
    break;
  }
  case 8: /* an array of any values */
  case 11: { /* a shape-like array of small or edge integers */
    int n = (int)(take(in) % 6);
    lua_createtable(L, n, 0);
    for (int i = 1; i <= n; i++) {
      if (tag == 11) {
        unsigned k = take(in);
        if (k & 0x80) lua_pushinteger(L, ints[k % NINTS]);
        else lua_pushinteger(L, (lua_Integer)(k % 10));
      } else {
        fz_push_value(L, in, depth + 1, keys, nkeys);
      }
      lua_rawseti(L, -2, i);
    }
    break;
  }
  case 9: { /* a tensor of the pool */
    lua_getglobal(L, "pool");
    const lua_Unsigned pooled = lua_rawlen(L, -1); /* every tensor init_lua made (none: nil) */
    lua_rawgeti(L, -1, pooled ? (lua_Integer)(take(in) % pooled) + 1 : 1);
    lua_remove(L, -2);
    break;
  }
  case 10: fz_push_options(L, in, depth + 1, keys, nkeys); break;
  }
}

void fz_push_options(lua_State *L, fz_input *in, int depth, const char *const *keys, int nkeys) {
  int n = (int)(take(in) % 8);
  lua_createtable(L, 0, n);
  for (int i = 0; i < n; i++) {
    unsigned k = take(in);
    if (k == 255) fz_push_value(L, in, depth + 1, keys, nkeys); /* an odd key */
    else lua_pushstring(L, keys[k % (unsigned)nkeys]);
    if (lua_isnil(L, -1) || (lua_type(L, -1) == LUA_TNUMBER && isnan(lua_tonumber(L, -1)))) {
      lua_pop(L, 1);
      continue;
    }
    fz_push_value(L, in, depth + 1, keys, nkeys);
    lua_settable(L, -3);
  }
}

lua_State *fz_init(void) {
  if (L0) { /* a fresh pool for every input (a call may close or fill a tensor): inputs stay independent */
    lua_rawgeti(L0, LUA_REGISTRYINDEX, pool_ref);
    lua_getfield(L0, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L0, -1, "robolua.core");
    lua_remove(L0, -2);
    if (lua_pcall(L0, 1, 0, 0) != LUA_OK) abort();
    return L0;
  }
#ifndef FZ_ASAN
  struct rlimit lim = {(rlim_t)8 << 30, (rlim_t)8 << 30}; /* so that huge sizes fail to allocate, not swap */
  setrlimit(RLIMIT_AS, &lim);
#endif
  L0 = luaL_newstate();
  luaL_openlibs(L0);
  luaL_requiref(L0, "robolua.core", luaopen_robolua_core, 0);
  lua_pop(L0, 1);
  if (luaL_loadstring(L0, init_lua) != LUA_OK) abort();
  pool_ref = luaL_ref(L0, LUA_REGISTRYINDEX);
  return fz_init();
}

/* Calls rl[fname] (or a method of the first argument when fname starts with ':') with the nargs values
   on top of the stack; checks the outcome. */
void fz_call(lua_State *L, const char *fname, int nargs) {
  int base = lua_gettop(L) - nargs;
  if (fname[0] == ':') { /* method(self, ...) through `callm`, so that even the lookup is protected */
    lua_getglobal(L, "callm");
    lua_pushstring(L, fname + 1);
    lua_insert(L, base + 1);
    nargs++;
  } else {
    lua_getglobal(L, "rl");
    lua_getfield(L, -1, fname);
    lua_remove(L, -2);
  }
  lua_insert(L, base + 1);
  int status = lua_pcall(L, nargs, 0, 0);
  if (status != LUA_OK && lua_type(L, -1) != LUA_TSTRING) abort(); /* not a string error */
  if (getenv("FZ_TRACE")) fprintf(stderr, "%s: %s\n", fname, status == LUA_OK ? "returned" : lua_tostring(L, -1));
  lua_settop(L, base);
  lua_gc(L, LUA_GCCOLLECT);
}
