/* luaopen_robolua_core: the table `robolua.core` (and, through lua/robolua/init.lua, `robolua`). It
   gathers every binding module and exports the engine's fact tables (dtypes, timing modes) so that Lua
   never keeps its own copy of them. Also the entry point of the loadable module robolua/core.so. */
#define _POSIX_C_SOURCE 200809L
#include "bind.h"
#include "build_info.h"
#include "timing_mode.h"
#include <unistd.h>

static int exit_code = 0;
int rl_bind_exit_code(void) { return exit_code; }

static int l_set_exit_code(lua_State *L) {
  lua_Integer c = luaL_checkinteger(L, 1);
  if (c < 0 || c > 255) return luaL_argerror(L, 1, "exit code must be in [0, 255]");
  if ((int)c > exit_code) exit_code = (int)c; /* the highest code asked for: a later pass never hides a failure */
  return 0;
}

static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
  return 1;
}

/* dtypes = { f32 = {code = 0, size = 4}, ... , [0] = "f32", ... }: name -> facts, code -> name */
static void push_dtypes(lua_State *L) {
  lua_createtable(L, RL_DTYPE_COUNT, RL_DTYPE_COUNT);
  for (int i = 0; i < RL_DTYPE_COUNT; i++) {
    const char *name = rl_dtype_name((rl_dtype)i);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, i); lua_setfield(L, -2, "code");
    lua_pushinteger(L, (lua_Integer)rl_dtype_size((rl_dtype)i)); lua_setfield(L, -2, "size");
    lua_pushstring(L, name); lua_setfield(L, -2, "name");
    lua_setfield(L, -2, name);
    lua_pushstring(L, name);
    lua_rawseti(L, -2, i);
  }
}

static void push_timing_modes(lua_State *L) {
  lua_createtable(L, RL_MODE_COUNT, 0);
  for (int i = 0; i < RL_MODE_COUNT; i++) {
    lua_pushstring(L, rl_timing_mode_name((rl_timing_mode)i));
    lua_rawseti(L, -2, i + 1);
  }
}

static void push_build(lua_State *L) {
  lua_createtable(L, 0, 6);
  lua_pushstring(L, ROBOLUA_VERSION); lua_setfield(L, -2, "version");
  lua_pushstring(L, rl_build_commit); lua_setfield(L, -2, "commit");
  lua_pushstring(L, rl_build_type); lua_setfield(L, -2, "build_type");
  lua_pushstring(L, rl_build_compiler); lua_setfield(L, -2, "compiler");
#ifdef ROBOLUA_HAVE_CUDA
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "cuda");
#ifdef ROBOLUA_SANITIZE
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "sanitize");
}

int luaopen_robolua_core(lua_State *L) {
  lua_newtable(L);
  rl_open_tensor(L);
  rl_open_resample(L);
  rl_open_bench(L);
  rl_open_cuda(L);
  rl_open_env(L);
  rl_open_file(L);
  rl_open_user(L);
  rl_open_fuse(L);
  rl_open_robot(L);
  push_dtypes(L);
  lua_setfield(L, -2, "dtypes");
  push_timing_modes(L);
  lua_setfield(L, -2, "timing_modes");
  push_build(L);
  lua_setfield(L, -2, "build");
  lua_pushstring(L, ROBOLUA_VERSION);
  lua_setfield(L, -2, "version");
#ifdef ROBOLUA_HAVE_CUDA
  lua_pushboolean(L, 1);
#else
  lua_pushboolean(L, 0);
#endif
  lua_setfield(L, -2, "built_with_cuda");
  lua_pushstring(L, ROBOLUA_SOURCE_DIR);
  lua_setfield(L, -2, "source_dir");
  lua_pushcfunction(L, l_set_exit_code);
  lua_setfield(L, -2, "set_exit_code");
  lua_pushcfunction(L, l_isatty);
  lua_setfield(L, -2, "isatty");
  return 1;
}
