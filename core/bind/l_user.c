/* The C half of user CUDA kernels (lua/robolua/user.lua is the Lua half): modules and their kernels as
   userdata, the checked arguments of a resampler-contract call, and the CUDA context's health.
   core.user.load_module(image, label) -> module      module:kernel(name, signature) -> kernel
   core.user.resample_args(src, st, tt, opts, device, label) -> out, B, S, T, D
   core.user.device_numbers() -> cc_major, cc_minor, sm_count
   rl.cuda.context_status() -> true | false, message
   Kernels are launched by l_launch.c (kernel(cfg, args), core.user.launch, core.user.time_launch). */
#include "l_user.h"
#include "rl_cuda.h"
#include "userlib.h"
#include <stdio.h>
#include <string.h>

typedef struct {
  rl_cuda_module *m;
  char label[256];
} module_ud;

int rl_raise_cuda(lua_State *L, const char *prefix) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%s", rl_cuda_last_error());
  if (!strstr(msg, "context is lost") && !strstr(msg, "context was lost") && rl_cuda_context_status() != 0)
    snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " (the CUDA context is lost: every later CUDA call fails)");
  return luaL_error(L, "%s: %s", prefix, msg);
}

/* A Lua error unless CUDA is usable: "who: cuda not available: reason" or "who: not run: the CUDA
   context was lost: ...". */
static void need_cuda(lua_State *L, const char *who) {
  if (!rl_cuda_available()) luaL_error(L, "%s: cuda not available: %s", who, rl_cuda_last_error());
  if (rl_cuda_context_status() != 0) luaL_error(L, "%s: not run: %s", who, rl_cuda_last_error());
}

static int l_load_module(lua_State *L) {
  size_t size;
  const char *image = luaL_checklstring(L, 1, &size);
  const char *label = luaL_optstring(L, 2, "module");
  need_cuda(L, label);
  module_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
  u->m = NULL;
  snprintf(u->label, sizeof u->label, "%s", label);
  luaL_setmetatable(L, RL_MODULE_MT);
  if (rl_cuda_module_load(image, size, label, &u->m) != 0) return rl_raise_cuda(L, label);
  return 1;
}

static int m_gc(lua_State *L) {
  module_ud *u = luaL_checkudata(L, 1, RL_MODULE_MT);
  rl_cuda_module_unload(u->m);
  u->m = NULL;
  return 0;
}

/* module:kernel(name, signature) -> kernel: the extern "C" entry `name`, arguments as declared. */
static int m_kernel(lua_State *L) {
  module_ud *u = luaL_checkudata(L, 1, RL_MODULE_MT);
  const char *name = luaL_checkstring(L, 2);
  if (lua_type(L, 3) != LUA_TSTRING)
    return luaL_error(L, "%s: kernel '%s': the signature must be a string like \"f32*, const f32*, f32, i32\", got %s",
                      u->label, name, luaL_typename(L, 3));
  size_t slen;
  const char *sig = lua_tolstring(L, 3, &slen);
  if (!u->m) return luaL_error(L, "%s: the module was unloaded", u->label);
  if (strlen(name) >= sizeof ((rl_kernel_ud *)0)->name) return luaL_error(L, "%s: kernel name too long", u->label);
  rl_kernel_ud *k = lua_newuserdatauv(L, sizeof *k, 1);
  memset(k, 0, sizeof *k);
  luaL_setmetatable(L, RL_KERNEL_MT);
  snprintf(k->name, sizeof k->name, "%s", name);
  snprintf(k->label, sizeof k->label, "%s", u->label);
  char err[256];
  if (rl_signature_parse(sig, slen, &k->sig, err, sizeof err))
    return luaL_error(L, "%s: kernel '%s': %s", u->label, name, err);
  if (rl_cuda_module_kernel(u->m, name, &k->kernel) != 0) return luaL_error(L, "%s", rl_cuda_last_error());
  /* where the driver reports the kernel's parameter layout, hold the declaration to it */
  size_t sizes[RL_SIG_MAX_ARGS + 1];
  int n = rl_cuda_kernel_params(k->kernel, sizes, RL_SIG_MAX_ARGS + 1);
  if (n >= 0 && n != k->sig.count)
    return luaL_error(L, "%s: kernel '%s' takes %d parameters, the signature declares %d", u->label, name, n,
                      k->sig.count);
  for (int i = 0; n >= 0 && i < n; i++) {
    char d[48];
    if (sizes[i] != rl_arg_size(&k->sig.args[i]))
      return luaL_error(L, "%s: kernel '%s': parameter %d is %d bytes, the signature declares %s (%d bytes)", u->label,
                        name, i + 1, (int)sizes[i], rl_arg_describe(&k->sig.args[i], d, sizeof d),
                        (int)rl_arg_size(&k->sig.args[i]));
  }
  lua_pushvalue(L, 1); /* the kernel keeps its module loaded */
  lua_setiuservalue(L, -2, 1);
  return 1;
}

static int m_index(lua_State *L) {
  module_ud *u = luaL_checkudata(L, 1, RL_MODULE_MT);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "kernel") == 0) lua_pushcfunction(L, m_kernel);
  else if (strcmp(key, "label") == 0) lua_pushstring(L, u->label);
  else lua_pushnil(L);
  return 1;
}

static int m_tostring(lua_State *L) {
  module_ud *u = luaL_checkudata(L, 1, RL_MODULE_MT);
  lua_pushfstring(L, "cuda module %s", u->label);
  return 1;
}

static void push_signature(lua_State *L, const rl_signature *s) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < s->count; i++) {
    char d[48];
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, rl_arg_describe(&s->args[i], d, sizeof d));
  }
  luaL_pushresult(&b);
}

static int k_index(lua_State *L) {
  rl_kernel_ud *k = luaL_checkudata(L, 1, RL_KERNEL_MT);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "name") == 0) lua_pushstring(L, k->name);
  else if (strcmp(key, "label") == 0) lua_pushstring(L, k->label);
  else if (strcmp(key, "signature") == 0) push_signature(L, &k->sig);
  else if (strcmp(key, "nargs") == 0) lua_pushinteger(L, k->sig.count);
  else lua_pushnil(L);
  return 1;
}

static int k_tostring(lua_State *L) {
  rl_kernel_ud *k = luaL_checkudata(L, 1, RL_KERNEL_MT);
  lua_pushfstring(L, "cuda kernel %s(", k->name);
  push_signature(L, &k->sig);
  lua_pushfstring(L, ") from %s", k->label);
  lua_concat(L, 3);
  return 1;
}

/* core.user.resample_args(src, st, tt, opts, device, label) -> out, B, S, T, D: the checks of
   rl.resample (shapes, dtypes, devices, times unless opts.validate == false, opts.out) for a user
   backend on `device`, and the output (opts.out or a new tensor). */
static int l_resample_args(lua_State *L) {
  const char *device = luaL_checkstring(L, 5);
  const char *label = luaL_optstring(L, 6, "resample");
  if (strcmp(device, "cuda") != 0 && strcmp(device, "cpu") != 0) return luaL_argerror(L, 5, "expected \"cuda\" or \"cpu\"");
  rl_check_opts(L, 4, label, NULL); /* (keys: lua/robolua/backends.lua) */
  lua_settop(L, 6);
  lua_createtable(L, 0, 8); /* 7: a copy of opts with backend = device, for the built-in checks */
  if (lua_istable(L, 4)) {
    lua_pushnil(L);
    while (lua_next(L, 4)) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_settable(L, 7);
    }
  }
  lua_pushstring(L, device);
  lua_setfield(L, 7, "backend");
  lua_replace(L, 4);
  lua_settop(L, 4);
  rl_resample_call c;
  rl_check_resample_call(L, 1, label, NULL, &c); /* pushes out */
  const char *why = rl_userlib_check_sizes(&c.args);
  if (why) return luaL_error(L, "%s: %s", label, why);
  lua_pushinteger(L, c.args.batch);
  lua_pushinteger(L, c.args.source_len);
  lua_pushinteger(L, c.args.target_len);
  lua_pushinteger(L, c.args.dim);
  return 5;
}

static int l_device_numbers(lua_State *L) {
  need_cuda(L, "cuda");
  int major, minor, sms;
  if (rl_cuda_device_numbers(&major, &minor, &sms) != 0) return rl_raise_cuda(L, "cuda");
  lua_pushinteger(L, major);
  lua_pushinteger(L, minor);
  lua_pushinteger(L, sms);
  return 3;
}

static int l_context_status(lua_State *L) {
  if (rl_cuda_context_status() == 0) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, rl_cuda_last_error());
  return 2;
}

void rl_open_user(lua_State *L) {
  static const luaL_Reg module_meta[] = {{"__gc", m_gc}, {"__index", m_index}, {"__tostring", m_tostring}, {NULL, NULL}};
  static const luaL_Reg kernel_meta[] = {{"__index", k_index}, {"__tostring", k_tostring}, {NULL, NULL}};
  luaL_newmetatable(L, RL_MODULE_MT);
  luaL_setfuncs(L, module_meta, 0);
  lua_pop(L, 1);
  luaL_newmetatable(L, RL_KERNEL_MT);
  luaL_setfuncs(L, kernel_meta, 0);
  lua_pop(L, 1);

  static const luaL_Reg user[] = {{"load_module", l_load_module}, {"resample_args", l_resample_args},
                                  {"device_numbers", l_device_numbers}, {NULL, NULL}};
  luaL_newlib(L, user);
  rl_open_launch(L);  /* launch, time_launch; also the kernel's __call */
  rl_open_userlib(L); /* load_library, cpu_resample, cpu_bench */
  lua_setfield(L, -2, "user");

  if (lua_getfield(L, -1, "cuda") != LUA_TTABLE) { /* rl_open_cuda runs first (core.c) */
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "cuda");
  }
  rl_open_nvrtc(L);
  lua_pushcfunction(L, l_context_status);
  lua_setfield(L, -2, "context_status");
  lua_pop(L, 1);
}
