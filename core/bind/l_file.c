/* robolua.core file and interrupt primitives for the Lua runner:
   write_file(path, data)          atomic replace; error "cannot write PATH: <OS reason>"
   append_file(path, data, sync)   checked append (the sample journal)
   mkdir_unique(base) -> path      exclusive run folder: base, base-2, base-3, ...
   interrupted() -> signal | nil   SIGINT/SIGTERM seen (the runner stops after the current sample) */
#include "bind.h"
#include "fileio.h"
#include "interrupt.h"
#define RL_PATH_MAX 4096

/* A file error names the file and the OS reason; the position of robolua's own Lua caller would only
   distract from that, so none is added. */
static int file_error(lua_State *L, const char *msg) {
  lua_pushstring(L, msg);
  return lua_error(L);
}

static int l_write_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  char err[512];
  if (!*path) return luaL_error(L, "write_file: path is empty");
  const char *msg = rl_write_atomic(path, data, len, err, sizeof err);
  if (msg) return file_error(L, msg);
  return 0;
}

static int l_append_file(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  size_t len;
  const char *data = luaL_checklstring(L, 2, &len);
  int sync = lua_toboolean(L, 3);
  char err[512];
  const char *msg = rl_append(path, data, len, sync, err, sizeof err);
  if (msg) return file_error(L, msg);
  return 0;
}

static int l_mkdir_unique(lua_State *L) {
  const char *base = luaL_checkstring(L, 1);
  char out[RL_PATH_MAX], err[512];
  if (!*base) return luaL_error(L, "mkdir_unique: path is empty");
  const char *msg = rl_mkdir_unique(base, out, sizeof out, err, sizeof err);
  if (msg) return file_error(L, msg);
  lua_pushstring(L, out);
  return 1;
}

static int l_interrupted(lua_State *L) {
  int s = rl_interrupt_requested();
  if (!s) return 0;
  lua_pushinteger(L, s);
  return 1;
}

static int l_set_interrupt_polling(lua_State *L) {
  rl_interrupt_set_polling(lua_toboolean(L, 1));
  return 0;
}

void rl_open_file(lua_State *L) {
  static const luaL_Reg fns[] = {{"write_file", l_write_file}, {"append_file", l_append_file},
                                 {"mkdir_unique", l_mkdir_unique}, {"interrupted", l_interrupted},
                                 {"set_interrupt_polling", l_set_interrupt_polling},
                                 {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
