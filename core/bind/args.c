/* The argument readers every binding uses: shapes, dtypes, devices, option tables (the timed loops'
   options among them). Each error names the argument ("opts.repeats: ...") so a user sees which of
   their values is wrong. */
#include "bind.h"
#include "rl_cuda.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rl_push_number_text(lua_State *L, double v) {
  char buf[32];
  if (isnan(v)) return lua_pushstring(L, "NaN");
  if (isinf(v)) return lua_pushstring(L, v > 0 ? "inf" : "-inf");
  snprintf(buf, sizeof buf, "%.15g", v);
  if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
  return lua_pushstring(L, buf);
}

/* How a wrong value reads in a message: a number by its value (1.5, 1e+300, NaN, -inf; integers
   exactly), anything else by its type. Pushes a string for numbers: call it on the way to an error. */
const char *rl_value_text(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  if (lua_isinteger(L, idx)) return lua_pushfstring(L, "%I", lua_tointeger(L, idx));
  if (lua_type(L, idx) == LUA_TNUMBER) return rl_push_number_text(L, lua_tonumber(L, idx));
  return luaL_typename(L, idx);
}

/* Sizes are integers; floats with an integer value (3.0, 2^20) are taken as those integers, as Lua
   itself does for table indices (and numeric strings, as lua_tointegerx does). Values print as
   given: %I, never a cast to int. */
int rl_check_shape(lua_State *L, int idx, const char *name, int64_t *shape) {
  if (!lua_istable(L, idx)) return luaL_error(L, "%s: expected an array of sizes, got %s", name, luaL_typename(L, idx));
  lua_Integer n = luaL_len(L, idx);
  if (n < 1 || n > RL_MAX_DIMS) return luaL_error(L, "%s: a shape has 1 to %d dimensions, got %I", name, RL_MAX_DIMS, n);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint) return luaL_error(L, "%s[%I]: expected an integer size, got %s", name, i, rl_value_text(L, -1));
    if (v < 1) return luaL_error(L, "%s[%I]: sizes must be positive, got %I", name, i, v);
    shape[i - 1] = v;
    lua_pop(L, 1);
  }
  return (int)n;
}

rl_dtype rl_check_dtype(lua_State *L, int idx, const char *name, rl_dtype def) {
  if (lua_isnoneornil(L, idx)) return def;
  const char *s = lua_tostring(L, idx);
  if (!s || lua_type(L, idx) != LUA_TSTRING) {
    luaL_error(L, "%s: expected a dtype name (f32, bf16, f16, f64, i64, i32), got %s", name, luaL_typename(L, idx));
    return def;
  }
  size_t len = 0;
  lua_tolstring(L, idx, &len);
  /* a name with an embedded NUL ("f32\0junk") would parse as its first part */
  if (strlen(s) != len) luaL_error(L, "%s: unknown dtype: the name holds a NUL byte (expected f32, bf16, f16, f64, i64 or i32)", name);
  int d = rl_dtype_parse(s);
  if (d < 0) luaL_error(L, "%s: unknown dtype '%s' (expected f32, bf16, f16, f64, i64 or i32)", name, s);
  return (rl_dtype)d;
}

rl_device rl_check_device(lua_State *L, int idx, const char *name) {
  if (lua_isnoneornil(L, idx)) return RL_HOST;
  const char *s = lua_tostring(L, idx);
  if (!s || lua_type(L, idx) != LUA_TSTRING) {
    luaL_error(L, "%s: expected \"cpu\" or \"cuda\", got %s", name, luaL_typename(L, idx));
    return RL_HOST;
  }
  if (strcmp(s, "cpu") == 0 || strcmp(s, "host") == 0) return RL_HOST;
  if (strcmp(s, "cuda") == 0) {
    if (!rl_cuda_available()) luaL_error(L, "%s: CUDA is not available (%s)", name, rl_cuda_last_error());
    return RL_CUDA;
  }
  luaL_error(L, "%s: unknown device '%s' (expected \"cpu\" or \"cuda\")", name, s);
  return RL_HOST;
}

static void push_field(lua_State *L, int t, const char *key) {
  if (lua_isnoneornil(L, t)) lua_pushnil(L);
  else lua_getfield(L, t, key);
}

void rl_check_opts(lua_State *L, int t, const char *fname, const char *const *keys) {
  if (!lua_isnoneornil(L, t) && !lua_istable(L, t))
    luaL_error(L, "%s: options must be a table, got %s", fname, luaL_typename(L, t));
  if (!keys) return;
  char prefix[96];
  snprintf(prefix, sizeof prefix, "%s: opts: ", fname);
  rl_check_keys(L, t, prefix, "option", keys);
}

/* The key below the top of the stack as the user wrote it: a name, or [k] for any other key. */
static const char *key_text(lua_State *L, int idx, char *buf, size_t size) {
  if (lua_type(L, idx) == LUA_TSTRING) return lua_tostring(L, idx);
  if (lua_isinteger(L, idx)) snprintf(buf, size, "[%lld]", (long long)lua_tointeger(L, idx));
  else snprintf(buf, size, "[%s]", luaL_typename(L, idx));
  return buf;
}

void rl_check_array(lua_State *L, int t, const char *name, const char *what) {
  if (!lua_istable(L, t)) return;
  t = lua_absindex(L, t);
  const lua_Integer n = luaL_len(L, t);
  for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
    if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 && lua_tointeger(L, -2) <= n) continue;
    char buf[48];
    luaL_error(L, "%s: expected an array of %s, got the key %s%s", name, what, key_text(L, -2, buf, sizeof buf),
               n == 0 && lua_type(L, -2) == LUA_TSTRING ? " (a single one? wrap it in a list: {x})" : "");
  }
}

void rl_check_keys(lua_State *L, int t, const char *prefix, const char *noun, const char *const *keys) {
  if (!lua_istable(L, t)) return;
  t = lua_absindex(L, t);
  for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
    int known = 0;
    for (int q = 0; keys[q]; q++) known |= lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), keys[q]) == 0;
    if (known) continue;
    char buf[48];
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int q = 0; keys[q]; q++) {
      if (q) luaL_addstring(&b, ", ");
      luaL_addstring(&b, keys[q]);
    }
    luaL_pushresult(&b);
    luaL_error(L, "%sunknown %s %s (expected %s)", prefix, noun, key_text(L, -3, buf, sizeof buf), lua_tostring(L, -1));
  }
}

lua_Integer rl_field_integer(lua_State *L, int t, const char *prefix, const char *key, lua_Integer def, lua_Integer min,
                             lua_Integer max) {
  push_field(L, t, key);
  lua_Integer v = def;
  if (!lua_isnil(L, -1)) {
    int isint;
    v = lua_tointegerx(L, -1, &isint);
    if (!isint) luaL_error(L, "%s%s: expected an integer, got %s", prefix, key, rl_value_text(L, -1));
    if (v < min || v > max)
      luaL_error(L, "%s%s: %I is out of range [%I, %I]", prefix, key, v, min, max);
  }
  lua_pop(L, 1);
  return v;
}
lua_Integer rl_opt_integer(lua_State *L, int t, const char *key, lua_Integer def, lua_Integer min,
                           lua_Integer max) {
  return rl_field_integer(L, t, "opts.", key, def, min, max);
}

double rl_field_number(lua_State *L, int t, const char *prefix, const char *key, double def) {
  push_field(L, t, key);
  double v = def;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "%s%s: expected a number, got %s", prefix, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}
double rl_opt_number(lua_State *L, int t, const char *key, double def) { return rl_field_number(L, t, "opts.", key, def); }

double rl_opt_number_in(lua_State *L, int t, const char *key, double def, double min, double max) {
  double v = rl_opt_number(L, t, key, def);
  if (!(v >= min && v <= max && isfinite(v))) { /* (NaN fails every comparison) */
    const char *lo = rl_push_number_text(L, min), *hi = rl_push_number_text(L, max), *got = rl_push_number_text(L, v);
    if (max == HUGE_VAL) luaL_error(L, "opts.%s: must be a finite number >= %s, got %s", key, lo, got);
    luaL_error(L, "opts.%s: must be a number in [%s, %s], got %s", key, lo, hi, got);
  }
  return v;
}

const char *rl_field_string(lua_State *L, int t, const char *prefix, const char *key, const char *def) {
  push_field(L, t, key);
  const char *v = def;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s%s: expected a string, got %s", prefix, key, luaL_typename(L, -1));
    v = lua_tostring(L, -1); /* stays alive: the options table holds it */
  }
  lua_pop(L, 1);
  return v;
}
const char *rl_opt_string(lua_State *L, int t, const char *key, const char *def) {
  return rl_field_string(L, t, "opts.", key, def);
}

rl_timing_mode rl_opt_timing_mode(lua_State *L, int t) {
  const char *m = rl_opt_string(L, t, "mode", "hot");
  for (int i = 0; i < RL_MODE_COUNT; i++)
    if (strcmp(m, rl_timing_mode_name((rl_timing_mode)i)) == 0) return (rl_timing_mode)i;
  luaL_error(L, "opts.mode: unknown mode '%s' (expected hot, cold or graph)", m);
  return RL_MODE_HOT;
}

void rl_opt_timing(lua_State *L, int t, rl_timing_opts *o) {
  o->warmup = (int)rl_opt_integer(L, t, "warmup", 10, 0, 1000000);
  o->repeats = (int)rl_opt_integer(L, t, "repeats", 50, 1, 10000000);
  o->batch = (int)rl_opt_integer(L, t, "batch", 20, 1, 100000);
  o->rotate = (int)rl_opt_integer(L, t, "rotate", 1, 1, 64); /* the timing loops hold at most 64 input sets */
  o->mode = rl_opt_timing_mode(L, t);
  o->nvtx = rl_opt_string(L, t, "nvtx", NULL);
}

void rl_check_timed_backend(lua_State *L, rl_backend b, const rl_timing_opts *o) {
  if (b == RL_BACKEND_REFERENCE) luaL_error(L, "opts.backend: the reference is not timed");
  if (b == RL_BACKEND_CPU && o->mode == RL_MODE_GRAPH)
    luaL_error(L, "opts.mode: graph mode exists only for the cuda backend");
  if (b == RL_BACKEND_CPU && o->rotate != 1)
    luaL_error(L, "opts.rotate: input rotation exists only for the cuda backend");
}

int rl_field_boolean(lua_State *L, int t, const char *prefix, const char *key, int def) {
  push_field(L, t, key);
  int v = def;
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "%s%s: expected a boolean, got %s", prefix, key, luaL_typename(L, -1));
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}
int rl_opt_boolean(lua_State *L, int t, const char *key, int def) { return rl_field_boolean(L, t, "opts.", key, def); }

void rl_push_array(lua_State *L, const double *v, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushnumber(L, v[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

