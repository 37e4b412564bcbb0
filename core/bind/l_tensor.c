/* robolua tensors in Lua: rl.tensor(values, shape, dtype, opts), rl.empty(shape, dtype, opts) and the
   methods of the userdata (fields shape/dtype/device/nbytes, #t, totable, to, fill, close). */
#include "bind.h"
#include "rl_cuda.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

rl_tensor *rl_check_tensor(lua_State *L, int idx, const char *name) {
  rl_tensor *t = luaL_testudata(L, idx, RL_TENSOR_MT);
  if (!t) {
    luaL_error(L, "%s: expected a robolua tensor, got %s", name, luaL_typename(L, idx));
    return NULL;
  }
  if (!t->data) luaL_error(L, "%s: tensor was closed", name);
  return t;
}

rl_tensor *rl_push_tensor(lua_State *L, rl_device dev, rl_dtype dtype, int ndim, const int64_t *shape) {
  rl_tensor *t = lua_newuserdatauv(L, sizeof(rl_tensor), 0);
  t->data = NULL; /* __gc is safe even if the allocation below fails */
  luaL_setmetatable(L, RL_TENSOR_MT);
  char err[256];
  const char *msg = rl_tensor_alloc(t, dev, dtype, ndim, shape, err, sizeof err);
  if (msg) luaL_error(L, "tensor: %s", msg);
  return t;
}

/* The number on top of the stack into element i of an integer tensor, exactly: a Lua integer (or a float
   with an integral value) that fits the type; anything else is an error naming values[i + 1]. Going
   through double would round i64 values beyond 2^53 (nanosecond clocks). */
static void store_integer(lua_State *L, rl_tensor *t, size_t i, const char *name) {
  int isint;
  lua_Integer v = lua_tointegerx(L, -1, &isint);
  if (!isint)
    luaL_error(L, "%s[%I]: %s is not an integer (an %s tensor holds integers exactly)", name, (lua_Integer)i + 1,
               lua_tostring(L, -1), rl_dtype_name(t->dtype));
  if (t->dtype == RL_I64) {
    ((int64_t *)t->data)[i] = (int64_t)v;
  } else {
    if (v < INT32_MIN || v > INT32_MAX)
      luaL_error(L, "%s[%I]: %I does not fit an i32 tensor", name, (lua_Integer)i + 1, v);
    ((int32_t *)t->data)[i] = (int32_t)v;
  }
}

/* rl.tensor(values, shape, dtype, opts) */
static int l_tensor(lua_State *L) {
  int64_t shape[RL_MAX_DIMS];
  int ndim = rl_check_shape(L, 2, "shape", shape);
  rl_dtype dtype = rl_check_dtype(L, 3, "dtype", RL_F32);
  static const char *const keys[] = {"device", NULL};
  rl_check_opts(L, 4, "tensor", keys);
  lua_settop(L, 4);
  rl_device dev = RL_HOST;
  if (lua_istable(L, 4)) {
    lua_getfield(L, 4, "device");
    dev = rl_check_device(L, -1, "opts.device");
    lua_pop(L, 1);
  }
  int64_t numel;
  size_t nbytes;
  const char *msg = rl_tensor_check_shape(ndim, shape, dtype, &numel, &nbytes);
  if (msg) return luaL_error(L, "shape: %s", msg);
  if (!lua_isnil(L, 1) && !lua_istable(L, 1))
    return luaL_error(L, "values: expected a flat array of numbers (or nil for zeros), got %s", luaL_typename(L, 1));
  if (lua_istable(L, 1)) {
    lua_Integer n = luaL_len(L, 1);
    if (n != numel)
      return luaL_error(L, "values: has %I elements but shape needs %I", n, (lua_Integer)numel);
  }
  /* Build on the host, then move: one code path for checking the values. */
  rl_tensor *h = rl_push_tensor(L, RL_HOST, dtype, ndim, shape); /* index 5 */
  if (lua_istable(L, 1)) {
    for (int64_t i = 0; i < numel; i++) {
      if (lua_geti(L, 1, (lua_Integer)i + 1) != LUA_TNUMBER)
        return luaL_error(L, "values[%I]: expected a number, got %s", (lua_Integer)i + 1, luaL_typename(L, -1));
      if (rl_dtype_is_integer(dtype)) store_integer(L, h, (size_t)i, "values");
      else rl_store_f64(h->data, dtype, (size_t)i, lua_tonumber(L, -1));
      lua_pop(L, 1);
    }
  } else {
    memset(h->data, 0, h->nbytes);
  }
  if (dev == RL_HOST) return 1;
  rl_tensor *d = rl_push_tensor(L, RL_CUDA, dtype, ndim, shape);
  if (rl_cuda_memcpy_h2d(d->data, h->data, h->nbytes) != 0)
    return luaL_error(L, "tensor: copy to device failed: %s", rl_cuda_last_error());
  rl_tensor_release(h);
  return 1;
}

/* rl.empty(shape, dtype, opts): zero-filled. */
static int l_empty(lua_State *L) {
  int64_t shape[RL_MAX_DIMS];
  int ndim = rl_check_shape(L, 1, "shape", shape);
  rl_dtype dtype = rl_check_dtype(L, 2, "dtype", RL_F32);
  static const char *const keys[] = {"device", NULL};
  rl_check_opts(L, 3, "empty", keys);
  rl_device dev = RL_HOST;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "device");
    dev = rl_check_device(L, -1, "opts.device");
    lua_pop(L, 1);
  }
  rl_tensor *t = rl_push_tensor(L, dev, dtype, ndim, shape);
  if (dev == RL_HOST) memset(t->data, 0, t->nbytes);
  else if (rl_cuda_fill_u16(t->data, 0, t->nbytes / 2) != 0)
    return luaL_error(L, "empty: %s", rl_cuda_last_error());
  return 1;
}

static int t_gc(lua_State *L) {
  rl_tensor *t = luaL_checkudata(L, 1, RL_TENSOR_MT);
  rl_tensor_release(t);
  return 0;
}

static int t_len(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "self");
  lua_pushinteger(L, t->numel);
  return 1;
}

static void push_shape(lua_State *L, const rl_tensor *t) {
  lua_createtable(L, t->ndim, 0);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushinteger(L, t->shape[i]);
    lua_rawseti(L, -2, i + 1);
  }
}

static int t_tostring(lua_State *L) {
  rl_tensor *t = luaL_checkudata(L, 1, RL_TENSOR_MT);
  if (!t->data) {
    lua_pushstring(L, "tensor(closed)");
    return 1;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_pushfstring(L, "tensor(%s, [", rl_dtype_name(t->dtype));
  luaL_addvalue(&b);
  for (int i = 0; i < t->ndim; i++) {
    lua_pushfstring(L, i ? ",%I" : "%I", (lua_Integer)t->shape[i]);
    luaL_addvalue(&b);
  }
  lua_pushfstring(L, "], %s)", t->device == RL_HOST ? "cpu" : "cuda");
  luaL_addvalue(&b);
  luaL_pushresult(&b);
  return 1;
}

static int t_totable(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "self");
  if (t->device != RL_HOST) return luaL_error(L, "totable: tensor is on the device; call t:to(\"cpu\") first");
  if (t->numel > (int64_t)1 << 31) return luaL_error(L, "totable: %I elements is too many for a Lua table", (lua_Integer)t->numel);
  lua_createtable(L, (int)t->numel, 0);
  for (int64_t i = 0; i < t->numel; i++) {
    if (t->dtype == RL_I64) lua_pushinteger(L, (lua_Integer)((const int64_t *)t->data)[i]);
    else if (t->dtype == RL_I32) lua_pushinteger(L, ((const int32_t *)t->data)[i]);
    else lua_pushnumber(L, rl_load_f64(t->data, t->dtype, (size_t)i));
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  return 1;
}

/* t:bytes() -> the raw bytes as a Lua string (host tensors): for hashing and byte-equality checks. */
static int t_bytes(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "self");
  if (t->device != RL_HOST) return luaL_error(L, "bytes: tensor is on the device; call t:to(\"cpu\") first");
  lua_pushlstring(L, t->data, t->nbytes);
  return 1;
}

/* Copies src's bytes into dst (same byte count) across any pair of devices; 0 or -1 (CUDA error). */
static int copy_between(rl_tensor *dst, const rl_tensor *src) {
  if (dst->device == RL_HOST && src->device == RL_HOST) {
    memmove(dst->data, src->data, dst->nbytes);
    return 0;
  }
  if (src->device == RL_HOST) return rl_cuda_memcpy_h2d(dst->data, src->data, dst->nbytes);
  if (dst->device == RL_HOST) return rl_cuda_memcpy_d2h(dst->data, src->data, dst->nbytes);
  return rl_cuda_memcpy_d2d(dst->data, src->data, dst->nbytes);
}

/* dst:copy_from(src): same shape and dtype, any pair of devices; returns dst. */
static int t_copy_from(lua_State *L) {
  rl_tensor *d = rl_check_tensor(L, 1, "self");
  rl_tensor *s = rl_check_tensor(L, 2, "src");
  if (d->dtype != s->dtype || d->numel != s->numel || d->ndim != s->ndim)
    return luaL_error(L, "copy_from: src is %s with %I elements, self is %s with %I", rl_dtype_name(s->dtype),
                      (lua_Integer)s->numel, rl_dtype_name(d->dtype), (lua_Integer)d->numel);
  for (int i = 0; i < d->ndim; i++)
    if (d->shape[i] != s->shape[i]) return luaL_error(L, "copy_from: shapes differ in dimension %d", i + 1);
  if (copy_between(d, s) != 0) return luaL_error(L, "copy_from: copy failed: %s", rl_cuda_last_error());
  lua_settop(L, 1);
  return 1;
}

static int t_to(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "self");
  rl_device dev = rl_check_device(L, 2, "device");
  rl_tensor *n = rl_push_tensor(L, dev, t->dtype, t->ndim, t->shape);
  if (copy_between(n, t) != 0) return luaL_error(L, "to: copy failed: %s", rl_cuda_last_error());
  return 1;
}

/* t:fill(v): every element set to v (NaN poisons an output so that an unwritten element fails checks). */
static int t_fill(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "self");
  double v = luaL_checknumber(L, 2);
  unsigned char pattern[8];
  if (rl_dtype_is_integer(t->dtype)) {
    rl_tensor one = {.dtype = t->dtype, .data = pattern};
    lua_pushvalue(L, 2);
    store_integer(L, &one, 0, "fill");
    lua_pop(L, 1);
  } else {
    rl_store_f64(pattern, t->dtype, 0, v);
  }
  size_t es = rl_dtype_size(t->dtype);
  if (t->device == RL_HOST) {
    for (int64_t i = 0; i < t->numel; i++) memcpy((unsigned char *)t->data + (size_t)i * es, pattern, es);
  } else {
    int rc;
    if (es == 2) {
      uint16_t p; memcpy(&p, pattern, 2);
      rc = rl_cuda_fill_u16(t->data, p, (size_t)t->numel);
    } else if (es == 4) {
      uint32_t p; memcpy(&p, pattern, 4);
      rc = rl_cuda_fill_u32(t->data, p, (size_t)t->numel);
    } else {
      return luaL_error(L, "fill: f64 device tensors can't be filled; fill on the host and move");
    }
    if (rc != 0) return luaL_error(L, "fill: %s", rl_cuda_last_error());
  }
  lua_settop(L, 1);
  return 1;
}

static int t_close(lua_State *L) {
  rl_tensor *t = luaL_checkudata(L, 1, RL_TENSOR_MT);
  rl_tensor_release(t);
  return 0;
}

static int t_index(lua_State *L) {
  rl_tensor *t = luaL_checkudata(L, 1, RL_TENSOR_MT);
  const char *k = luaL_checkstring(L, 2);
  if (luaL_getmetafield(L, 1, "methods") == LUA_TTABLE) {
    if (lua_getfield(L, -1, k) != LUA_TNIL) return 1;
    lua_pop(L, 2);
  }
  if (strcmp(k, "closed") == 0) { lua_pushboolean(L, t->data == NULL); return 1; }
  if (!t->data) return luaL_error(L, "tensor was closed (reading '%s')", k);
  if (strcmp(k, "shape") == 0) push_shape(L, t);
  else if (strcmp(k, "dtype") == 0) lua_pushstring(L, rl_dtype_name(t->dtype));
  else if (strcmp(k, "device") == 0) lua_pushstring(L, t->device == RL_HOST ? "cpu" : "cuda");
  else if (strcmp(k, "nbytes") == 0) lua_pushinteger(L, (lua_Integer)t->nbytes);
  else if (strcmp(k, "ndim") == 0) lua_pushinteger(L, t->ndim);
  else if (strcmp(k, "numel") == 0) lua_pushinteger(L, t->numel);
  else lua_pushnil(L);
  return 1;
}

static const luaL_Reg tensor_methods[] = {
    {"totable", t_totable}, {"bytes", t_bytes}, {"to", t_to}, {"copy_from", t_copy_from}, {"fill", t_fill}, {"close", t_close}, {NULL, NULL}};
static const luaL_Reg tensor_meta[] = {{"__gc", t_gc},       {"__close", t_close}, {"__len", t_len},
                                       {"__index", t_index}, {"__tostring", t_tostring}, {NULL, NULL}};

void rl_open_tensor(lua_State *L) {
  luaL_newmetatable(L, RL_TENSOR_MT);
  luaL_setfuncs(L, tensor_meta, 0);
  luaL_newlib(L, tensor_methods);
  lua_setfield(L, -2, "methods");
  lua_pop(L, 1);
  lua_pushcfunction(L, l_tensor);
  lua_setfield(L, -2, "tensor");
  lua_pushcfunction(L, l_empty);
  lua_setfield(L, -2, "empty");
}
