#define _POSIX_C_SOURCE 200809L
#include "lstate.h"
#include "embedded.h"
#include "bind.h"
#include "rl_cuda.h"
#include "interrupt.h"
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int luaopen_lfs(lua_State *L);
int luaopen_cjson(lua_State *L);
int luaopen_cjson_safe(lua_State *L);

static int l_embedded_chunkname(lua_State *L) { /* for tests: is a module embedded, under which name? */
  const char *name = luaL_checkstring(L, 1);
  for (const rl_embedded_module *m = rl_embedded_modules; m->module; m++)
    if (strcmp(m->module, name) == 0) {
      lua_pushstring(L, m->chunkname);
      return 1;
    }
  return 0;
}

/* robolua.core inside the binary: the bindings plus what only the binary knows (its embedded modules). */
static int open_core_embedded(lua_State *L) {
  luaopen_robolua_core(L);
  lua_pushcfunction(L, l_embedded_chunkname);
  lua_setfield(L, -2, "embedded_chunkname");
  return 1;
}

/* package.searchers entry: ROBOLUA_PATH/<mod>.lua or /<mod>/init.lua first (development override),
   then the modules compiled into the binary. */
static int embedded_searcher(lua_State *L) {
  const char *name = luaL_checkstring(L, 1);
  const char *dir = getenv("ROBOLUA_PATH");
  if (dir && *dir) {
    const char *rel = luaL_gsub(L, name, ".", "/"); /* only the module name: dir may hold dots */
    const char *base = lua_pushfstring(L, "%s/%s", dir, rel);
    const char *cands[2];
    cands[0] = lua_pushfstring(L, "%s.lua", base);
    cands[1] = lua_pushfstring(L, "%s/init.lua", base);
    for (int i = 0; i < 2; i++) {
      FILE *f = fopen(cands[i], "r");
      if (!f) continue;
      fclose(f);
      if (luaL_loadfile(L, cands[i]) != LUA_OK)
        return luaL_error(L, "error loading module '%s' from '%s':\n\t%s", name, cands[i], lua_tostring(L, -1));
      lua_pushstring(L, cands[i]);
      return 2;
    }
    lua_settop(L, 1);
  }
  for (const rl_embedded_module *m = rl_embedded_modules; m->module; m++) {
    if (strcmp(m->module, name) != 0) continue;
    if (luaL_loadbufferx(L, m->source, m->size, m->chunkname, "t") != LUA_OK)
      return luaL_error(L, "error loading embedded module '%s':\n\t%s", name, lua_tostring(L, -1));
    lua_pushstring(L, m->chunkname + 1);
    return 2;
  }
  lua_pushfstring(L, "no embedded module '%s'", name);
  return 1;
}

/* Code is loaded as text only, everywhere a script can load it (load, loadfile, dofile, require from
   package.path): a damaged precompiled chunk can crash the VM, and robolua never needs one. */
static int text_only_call(lua_State *L, int mode_arg) {
  if (lua_gettop(L) < mode_arg) lua_settop(L, mode_arg); /* an absent env stays absent */
  lua_pushliteral(L, "t");
  lua_replace(L, mode_arg);
  lua_pushvalue(L, lua_upvalueindex(1)); /* Lua's own function */
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}
static int text_load(lua_State *L) { return text_only_call(L, 3); }
static int text_loadfile(lua_State *L) { return text_only_call(L, 2); }
static int text_dofile(lua_State *L) {
  const char *fname = luaL_optstring(L, 1, NULL);
  lua_settop(L, 1);
  if (luaL_loadfilex(L, fname, "t") != LUA_OK) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}
static int text_searcher(lua_State *L) { /* package.path's Lua files, as Lua's own searcher finds them */
  const char *name = luaL_checkstring(L, 1);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "path");
  const char *path = lua_tostring(L, -1);
  if (!path) return luaL_error(L, "'package.path' must be a string");
  lua_getfield(L, -2, "searchpath");
  lua_pushstring(L, name);
  lua_pushstring(L, path);
  lua_call(L, 2, 2);
  if (lua_isnil(L, -2)) return 1; /* the "no file ..." lines */
  const char *file = lua_tostring(L, -2);
  if (luaL_loadfilex(L, file, "t") != LUA_OK)
    return luaL_error(L, "error loading module '%s' from file '%s':\n\t%s", name, file, lua_tostring(L, -1));
  lua_pushstring(L, file);
  return 2;
}
static void text_only(lua_State *L) {
  static const struct { const char *name; lua_CFunction fn; } wrapped[] = {{"load", text_load}, {"loadfile", text_loadfile}};
  for (size_t i = 0; i < sizeof wrapped / sizeof wrapped[0]; i++) {
    lua_getglobal(L, wrapped[i].name);
    lua_pushcclosure(L, wrapped[i].fn, 1);
    lua_setglobal(L, wrapped[i].name);
  }
  lua_pushcfunction(L, text_dofile);
  lua_setglobal(L, "dofile");
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_pushcfunction(L, text_searcher);
  lua_seti(L, -2, 2); /* Lua's own file searcher (before ours is inserted) */
  lua_pop(L, 2);
}

static int open_all(lua_State *L) {
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, open_core_embedded);
  lua_setfield(L, -2, "robolua.core");
  lua_pushcfunction(L, luaopen_lfs);
  lua_setfield(L, -2, "lfs");
  lua_pushcfunction(L, luaopen_cjson);
  lua_setfield(L, -2, "cjson");
  lua_pushcfunction(L, luaopen_cjson_safe);
  lua_setfield(L, -2, "cjson.safe");
  lua_pop(L, 1);
  text_only(L);
  /* insert after the preload searcher, before the file searchers */
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchers");
  lua_Integer n = luaL_len(L, -1);
  for (lua_Integer i = n; i >= 2; i--) {
    lua_geti(L, -1, i);
    lua_seti(L, -2, i + 1);
  }
  lua_pushcfunction(L, embedded_searcher);
  lua_seti(L, -2, 2);
  lua_pop(L, 2);
  return 0;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  /* a SIGINT/SIGTERM that stopped the code before the CLI's own handler runs (loading the modules): the
     message alone, as everywhere else an interrupt ends the run, not a traceback of where it landed */
  if (rl_interrupt_requested() && msg && strlen(msg) >= 11 && strcmp(msg + strlen(msg) - 11, "interrupted") == 0) {
    lua_pushliteral(L, "interrupted");
    return 1;
  }
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

int rl_engine_pcall(lua_State *L, int nargs, int nresults) {
  int base = lua_gettop(L) - nargs;
  lua_pushcfunction(L, traceback);
  lua_insert(L, base);
  int rc = lua_pcall(L, nargs, nresults, base);
  lua_remove(L, base);
  if (rc != LUA_OK) {
    fprintf(stderr, "robolua: %s\n", lua_tostring(L, -1));
    fflush(stderr);
    lua_pop(L, 1);
  }
  return rc;
}

lua_State *rl_engine_new(void) {
  lua_State *L = luaL_newstate();
  if (!L) return NULL;
  lua_pushcfunction(L, open_all);
  if (rl_engine_pcall(L, 0, 0) != LUA_OK) {
    lua_close(L);
    return NULL;
  }
  return L;
}
