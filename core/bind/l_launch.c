/* Launching and timing user kernels from Lua: arguments checked against the kernel's declared signature
   and marshalled into the parameter array cudaLaunchKernel takes; the launch configuration read and
   checked against the device; the timed loop of the built-in backends (kernels/timing.cu).
   kernel(cfg, args), core.user.launch(kernel, cfg, args)    one launch, synchronous, errors raised
   core.user.time_launch(kernel, cfg, args, {warmup=10, repeats=50, mode="hot"|"cold"|"graph",
                         batch=20, rotate=1, nvtx=}) -> {samples_ms, sm_clock_mhz, mode, warmup, rotate, batch}
   cfg = {grid = n | {x, y, z}, block = n | {x, y, z}, shared = bytes}. rotate = N cycles the launches
   through N copies of every buffer argument (made before timing, freed after), as rl.bench.resample
   does for the built-in kernel. */
#include "l_user.h"
#include "dtype.h"
#include "rl_cuda.h"
#include <stdio.h>
#include <string.h>

typedef struct {
  unsigned char value[RL_SIG_MAX_ARGS][8]; /* each argument's bytes (scalar or device pointer) */
  void *params[RL_SIG_MAX_ARGS];           /* params[i] = value[i]: what cudaLaunchKernel reads */
} param_set;

static rl_kernel_ud *check_kernel(lua_State *L, int idx, const char *fname) {
  rl_kernel_ud *k = luaL_testudata(L, idx, RL_KERNEL_MT);
  if (!k) luaL_error(L, "%s: expected a kernel from module:kernel(name, signature), got %s", fname, luaL_typename(L, idx));
  return k;
}

static void read_dims(lua_State *L, int cfg, const char *field, const char *who, unsigned out[3]) {
  out[0] = out[1] = out[2] = 1;
  int t = lua_getfield(L, cfg, field);
  if (t == LUA_TNIL) {
    luaL_error(L, "%s: launch.%s is required (a positive integer or {x, y, z})", who, field);
    return;
  }
  int n = 1, from_table = t == LUA_TTABLE;
  if (from_table) {
    n = (int)luaL_len(L, -1);
    if (n < 1 || n > 3) luaL_error(L, "%s: launch.%s: expected 1 to 3 sizes, got %d", who, field, n);
  }
  for (int i = 0; i < n; i++) {
    if (from_table) lua_geti(L, -1, i + 1);
    else lua_pushvalue(L, -1);
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || lua_type(L, -1) != LUA_TNUMBER || v < 1 || v > 0xffffffffll) {
      if (from_table) luaL_error(L, "%s: launch.%s[%d]: expected a positive integer, got %s", who, field, i + 1, luaL_tolstring(L, -1, NULL));
      else luaL_error(L, "%s: launch.%s: expected a positive integer or {x, y, z}, got %s", who, field, luaL_tolstring(L, -1, NULL));
    }
    out[i] = (unsigned)v;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

static void read_cfg(lua_State *L, int idx, const char *who, rl_launch_cfg *c) {
  if (!lua_istable(L, idx))
    luaL_error(L, "%s: launch: expected a table {grid = , block = , shared = }, got %s", who, luaL_typename(L, idx));
  static const char *const keys[] = {"grid", "block", "shared", NULL};
  char prefix[96];
  snprintf(prefix, sizeof prefix, "%s: launch: ", who);
  rl_check_keys(L, idx, prefix, "field", keys); /* (sharde = 4096 would launch with no shared memory) */
  read_dims(L, idx, "grid", who, c->grid);
  read_dims(L, idx, "block", who, c->block);
  lua_getfield(L, idx, "shared");
  c->shared = 0;
  if (!lua_isnil(L, -1)) {
    int isint;
    lua_Integer v = lua_tointegerx(L, -1, &isint);
    if (!isint || v < 0 || v > 0x7fffffff)
      luaL_error(L, "%s: launch.shared: expected a byte count >= 0, got %s", who, luaL_tolstring(L, -1, NULL));
    c->shared = (size_t)v;
  }
  lua_pop(L, 1);
}

/* "argument 2 'x' (const f32*)" */
static const char *arg_label(const rl_arg *a, int i, char *buf, size_t len) {
  char d[48];
  if (a->name[0]) snprintf(buf, len, "argument %d '%s' (%s)", i + 1, a->name, rl_arg_describe(a, d, sizeof d));
  else snprintf(buf, len, "argument %d (%s)", i + 1, rl_arg_describe(a, d, sizeof d));
  return buf;
}

static void store_pointer(lua_State *L, const rl_kernel_ud *k, int i, unsigned char *dst, rl_tensor **seen) {
  const rl_arg *a = &k->sig.args[i];
  char lab[96], want[96], got[96];
  rl_tensor *t = luaL_testudata(L, -1, RL_TENSOR_MT);
  const int dtype = rl_argtype_dtype(a->type);
  const size_t esize = rl_argtype_size(a->type);
  int ok = t && t->data && t->device == RL_CUDA;
  if (a->type == RL_ARG_VOID || a->type == RL_ARG_U8 || a->type == RL_ARG_I8) {
    snprintf(want, sizeof want, "a cuda tensor"); /* raw bytes: any element type */
  } else if (dtype >= 0) {
    snprintf(want, sizeof want, "a cuda tensor of %s", rl_argtype_name(a->type));
    ok = ok && (int)t->dtype == dtype;
  } else { /* robolua has no tensors of this type: any of the same element size */
    snprintf(want, sizeof want, "a cuda tensor of %zu-byte elements (for %s)", esize, rl_argtype_name(a->type));
    ok = ok && rl_dtype_size(t->dtype) == esize;
  }
  if (!ok) {
    if (!t) snprintf(got, sizeof got, "%s", luaL_typename(L, -1));
    else if (!t->data) snprintf(got, sizeof got, "a closed tensor");
    else snprintf(got, sizeof got, "a %s tensor of %s", t->device == RL_CUDA ? "cuda" : "cpu", rl_dtype_name(t->dtype));
    luaL_error(L, "%s: %s: expected %s, got %s", k->name, arg_label(a, i, lab, sizeof lab), want, got);
  }
  memcpy(dst, &t->data, sizeof(void *));
  seen[i] = t;
}

static void store_scalar(lua_State *L, const rl_kernel_ud *k, int i, unsigned char *dst) {
  const rl_arg *a = &k->sig.args[i];
  char lab[96];
  if (lua_type(L, -1) != LUA_TNUMBER)
    luaL_error(L, "%s: %s: expected a number, got %s", k->name, arg_label(a, i, lab, sizeof lab), luaL_typename(L, -1));
  double d = lua_tonumber(L, -1);
  switch (a->type) {
  case RL_ARG_F32: { float f = (float)d; memcpy(dst, &f, 4); return; }
  case RL_ARG_F64: memcpy(dst, &d, 8); return;
  case RL_ARG_F16: { uint16_t h = rl_f32_to_f16((float)d); memcpy(dst, &h, 2); return; }
  case RL_ARG_BF16: { uint16_t h = rl_f32_to_bf16((float)d); memcpy(dst, &h, 2); return; }
  default: break;
  }
  int isint;
  lua_Integer v = lua_tointegerx(L, -1, &isint);
  if (!isint) luaL_error(L, "%s: %s: expected an integer, got %s", k->name, arg_label(a, i, lab, sizeof lab), luaL_tolstring(L, -1, NULL));
  lua_Integer lo = 0, hi = LUA_MAXINTEGER;
  switch (a->type) {
  case RL_ARG_I8: lo = INT8_MIN, hi = INT8_MAX; break;
  case RL_ARG_U8: hi = UINT8_MAX; break;
  case RL_ARG_I16: lo = INT16_MIN, hi = INT16_MAX; break;
  case RL_ARG_U16: hi = UINT16_MAX; break;
  case RL_ARG_I32: lo = INT32_MIN, hi = INT32_MAX; break;
  case RL_ARG_U32: hi = UINT32_MAX; break;
  case RL_ARG_I64: lo = LUA_MININTEGER; break;
  default: break; /* u64: [0, 2^63 - 1], what a Lua integer holds */
  }
  if (v < lo || v > hi)
    luaL_error(L, "%s: %s: %I is out of range [%I, %I]", k->name, arg_label(a, i, lab, sizeof lab), v, lo, hi);
  /* little-endian: the low bytes of the 64-bit value are the narrower integer's bytes */
  uint64_t u = (uint64_t)v;
  for (size_t b = 0; b < rl_argtype_size(a->type); b++) dst[b] = (unsigned char)(u >> (8 * b));
}

/* Checks args (the array at idx) against k's signature and fills p; tensors[i] is argument i's tensor
   (NULL for a scalar). */
static void marshal(lua_State *L, int idx, const rl_kernel_ud *k, param_set *p, rl_tensor **tensors) {
  if (!lua_istable(L, idx)) luaL_error(L, "%s: arguments must be an array, got %s", k->name, luaL_typename(L, idx));
  lua_Integer n = luaL_len(L, idx);
  if (n != k->sig.count)
    luaL_error(L, "%s: %d argument%s declared, %d given", k->name, k->sig.count, k->sig.count == 1 ? "" : "s", (int)n);
  memset(p, 0, sizeof *p);
  for (int i = 0; i < k->sig.count; i++) {
    lua_geti(L, idx, i + 1);
    tensors[i] = NULL;
    if (k->sig.args[i].pointer) store_pointer(L, k, i, p->value[i], tensors);
    else store_scalar(L, k, i, p->value[i]);
    p->params[i] = p->value[i];
    lua_pop(L, 1);
  }
}

static void need_live_context(lua_State *L, const char *who) {
  if (rl_cuda_context_status() != 0) luaL_error(L, "%s: not run: %s", who, rl_cuda_last_error());
}

/* kernel(cfg, args) and core.user.launch(kernel, cfg, args) */
static int l_launch(lua_State *L) {
  rl_kernel_ud *k = check_kernel(L, 1, "cuda.launch");
  rl_launch_cfg cfg;
  read_cfg(L, 2, k->name, &cfg);
  param_set *p = lua_newuserdatauv(L, sizeof *p, 0);
  rl_tensor *tensors[RL_SIG_MAX_ARGS];
  marshal(L, 3, k, p, tensors);
  need_live_context(L, k->name);
  if (rl_cuda_launch(k->kernel, &cfg, p->params) != 0) return rl_raise_cuda(L, k->name);
  return 0;
}

/* Copies of every buffer argument for sets 1..n-1 (one copy per distinct buffer: an argument passed
   twice stays aliased); the copies go into the table at `keep` so the GC owns them on an error. */
static void make_rotation(lua_State *L, const rl_kernel_ud *k, param_set *sets, int n, rl_tensor **tensors, int keep) {
  int kept = 0;
  for (int s = 1; s < n; s++) {
    sets[s] = sets[0];
    for (int i = 0; i < k->sig.count; i++) {
      sets[s].params[i] = sets[s].value[i];
      if (!tensors[i]) continue;
      int alias = -1;
      for (int j = 0; j < i && alias < 0; j++)
        if (tensors[j] && tensors[j]->data == tensors[i]->data) alias = j;
      if (alias >= 0) {
        memcpy(sets[s].value[i], sets[s].value[alias], sizeof(void *));
        continue;
      }
      const rl_tensor *t = tensors[i];
      rl_tensor *c = rl_push_tensor(L, RL_CUDA, t->dtype, t->ndim, t->shape);
      lua_rawseti(L, keep, ++kept);
      if (rl_cuda_memcpy_d2d(c->data, t->data, t->nbytes) != 0) rl_raise_cuda(L, k->name);
      memcpy(sets[s].value[i], &c->data, sizeof(void *));
    }
  }
}

static void release_all(lua_State *L, int keep) {
  lua_Integer n = luaL_len(L, keep);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, keep, i);
    rl_tensor_release(lua_touserdata(L, -1));
    lua_pop(L, 1);
  }
}

static int l_time_launch(lua_State *L) {
  lua_settop(L, 4);
  rl_kernel_ud *k = check_kernel(L, 1, "bench.launch");
  rl_launch_cfg cfg;
  read_cfg(L, 2, k->name, &cfg);
  static const char *const keys[] = {RL_TIMING_KEYS, NULL};
  rl_check_opts(L, 4, "bench.launch", keys);
  rl_timing_opts o;
  rl_opt_timing(L, 4, &o);
  param_set *sets = lua_newuserdatauv(L, sizeof *sets * (size_t)o.rotate, 0); /* 5 */
  rl_tensor *tensors[RL_SIG_MAX_ARGS];
  marshal(L, 3, k, &sets[0], tensors);
  need_live_context(L, k->name);
  lua_newtable(L); /* 6: the rotation copies */
  make_rotation(L, k, sets, o.rotate, tensors, 6);
  void **param_sets[64];
  for (int s = 0; s < o.rotate; s++) param_sets[s] = sets[s].params;
  double *samples = lua_newuserdatauv(L, sizeof(double) * (size_t)o.repeats, 0);
  int *clocks = lua_newuserdatauv(L, sizeof(int) * (size_t)o.repeats, 0);
  if (o.nvtx) rl_nvtx_push(o.nvtx);
  int rc = rl_cuda_time_launch(k->kernel, &cfg, param_sets, o.rotate, o.mode, o.warmup, o.repeats, o.batch, samples, clocks);
  if (o.nvtx) rl_nvtx_pop();
  release_all(L, 6);
  if (rc != 0) return rl_raise_cuda(L, k->name);
  rl_push_timing_result(L, &o, samples, clocks);
  lua_pushinteger(L, o.rotate);
  lua_setfield(L, -2, "rotate");
  lua_pushstring(L, k->name);
  lua_setfield(L, -2, "kernel");
  return 1;
}

/* Adds launch and time_launch to the table on top; makes kernels callable. */
void rl_open_launch(lua_State *L) {
  lua_pushcfunction(L, l_launch);
  lua_setfield(L, -2, "launch");
  lua_pushcfunction(L, l_time_launch);
  lua_setfield(L, -2, "time_launch");
  luaL_getmetatable(L, RL_KERNEL_MT);
  lua_pushcfunction(L, l_launch);
  lua_setfield(L, -2, "__call");
  lua_pop(L, 1);
}
