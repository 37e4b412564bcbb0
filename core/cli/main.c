/* robolua [options] SCRIPT [args] | robolua -e CODE | robolua compare|merge|recover ...
   The C front only makes the Lua state, installs the signal handlers and runs lua/robolua/cli.lua's
   main(argv) inside one protected call (as lua.c's pmain): option parsing, subcommands and the script
   all run under a traceback handler, so nothing the user passes can escape as an unprotected error.
   Exit codes: 0 success, 1 a gate failed, 2 usage, script or write error (set by cli.lua). */
#define _POSIX_C_SOURCE 200809L
#include "bind.h"
#include "interrupt.h"
#include "lstate.h"
#include <errno.h>
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

/* First SIGINT/SIGTERM: an interrupt request. The runner polls it and stops after the current sample,
   then writes its reports; outside the runner the Lua code is also stopped at the next instruction
   (as lua.c does). A second signal ends the process at once: the sample journal is already on disk. */
static lua_State *global_L = NULL;
static void interrupted_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted");
}
static void on_signal(int sig) {
  if (rl_interrupt_requested()) {
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  rl_interrupt_request(sig);
  if (global_L && !rl_interrupt_polling())
    lua_sethook(global_L, interrupted_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

/* Coroutines: a hook belongs to one Lua thread, so the one set on the main thread at a signal never
   fires while a coroutine runs. Every coroutine the scripts create carries a cheap count hook that
   stops it at an interrupt (unless the runner is polling, which stops it between samples itself). */
static void coroutine_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  if (rl_interrupt_requested() && !rl_interrupt_polling()) {
    lua_sethook(L, NULL, 0, 0);
    luaL_error(L, "interrupted");
  }
}
static int watched_create(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_sethook(co, coroutine_hook, LUA_MASKCOUNT, 1000);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  return 1;
}
/* coroutine.wrap over the watched create: resumes, and raises the coroutine's error as wrap does
   (after closing it) */
static int watched_wrap_call(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int n = lua_gettop(L), nres = 0;
  if (!lua_checkstack(co, n)) return luaL_error(L, "too many arguments to resume");
  lua_xmove(L, co, n);
  int status = lua_resume(co, L, n, &nres);
  if (status == LUA_OK || status == LUA_YIELD) {
    if (!lua_checkstack(L, nres + 1)) return luaL_error(L, "too many results to resume");
    lua_xmove(co, L, nres);
    return nres;
  }
  lua_xmove(co, L, 1); /* the error object */
#if LUA_VERSION_RELEASE_NUM >= 50406
  lua_closethread(co, L);
#else
  lua_resetthread(co);
#endif
  return lua_error(L);
}
static int watched_wrap(lua_State *L) {
  watched_create(L);
  lua_pushcclosure(L, watched_wrap_call, 1);
  return 1;
}
static void watch_coroutines(lua_State *L) {
  lua_getglobal(L, "coroutine");
  if (lua_istable(L, -1)) {
    lua_pushcfunction(L, watched_create);
    lua_setfield(L, -2, "create");
    lua_pushcfunction(L, watched_wrap);
    lua_setfield(L, -2, "wrap");
  }
  lua_pop(L, 1);
}

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  luaL_checkversion(L);
  watch_coroutines(L);
  lua_getglobal(L, "require");
  lua_pushstring(L, "robolua.cli");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "main");
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i);
  }
  lua_call(L, 1, 1);
  return 1;
}

int main(int argc, char **argv) {
  lua_State *L = rl_engine_new();
  if (!L) {
    fprintf(stderr, "robolua: cannot create the Lua state\n");
    return 2;
  }
  global_L = L;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int code = 2;
  if (rl_engine_pcall(L, 2, 1) == LUA_OK) {
    code = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 2;
    if (code < 0 || code > 255) code = 2;
    int asked = rl_bind_exit_code(); /* a script may also set it through robolua.core.set_exit_code */
    if (asked > code) code = asked;
    lua_pop(L, 1);
  }
  /* an interrupt that a script swallowed (its own pcall, a coroutine) still ends the run as interrupted */
  if (rl_interrupt_requested() && code < 2) {
    fprintf(stderr, "robolua: interrupted\n");
    code = 2;
  }
  global_L = NULL;
  lua_close(L);
  /* output that never reached stdout (a full disk, /dev/full, a closed pipe) is not a success */
  int flushed = fflush(stdout) == 0;
  int e = errno;
  if (code == 0 && (!flushed || ferror(stdout))) {
    fprintf(stderr, "robolua: cannot write to stdout%s%s\n", flushed ? "" : ": ", flushed ? "" : strerror(e));
    code = 2;
  }
  return code;
}
