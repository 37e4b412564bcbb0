/* robolua [options] SCRIPT [args] | robolua -e CODE : the command-line front of the engine.
   Exit codes: 0 success, 1 a gate failed (set by the scenario runner), 2 usage or script error. */
#define _POSIX_C_SOURCE 200809L
#include "engine.h"
#include <lauxlib.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ctrl-C becomes a Lua error ("interrupted") at the next instruction hook, as in lua.c: the runner
   catches it, writes what was measured and exits 2. A second Ctrl-C kills as usual. */
static lua_State *global_L = NULL;
static void interrupted_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted");
}
static void on_sigint(int sig) {
  signal(sig, SIG_DFL);
  if (global_L) lua_sethook(global_L, interrupted_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKCOUNT, 1);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: robolua [options] SCRIPT [script args]\n"
          "       robolua [options] -e 'lua code'\n"
          "Runs a Lua 5.4 benchmark scenario inside the robolua engine.\n\n"
          "options:\n"
          "  -e CODE            run CODE instead of a script file\n"
          "  -o, --out DIR      where result folders go (default: results)\n"
          "  -q, --quiet        no progress lines\n"
          "  --report FMT       also print a report to stdout (csv, json, markdown; repeatable)\n"
          "  --strict           skipped gates count as failed\n"
          "  --profile          run each case a few times with no timing loop (for nsys/ncu)\n"
          "  --no-write         measure and print, but write no result folder\n"
          "  -h, --help         this text\n"
          "  -V, --version      version and build\n\n"
          "exit codes: 0 success, 1 a gate failed, 2 usage or script error\n"
          "environment: ROBOLUA_PATH=DIR loads the lua/ modules from DIR instead of the embedded ones\n");
}

/* Appends a shell-quoted copy of s to buf (for the "regenerate with" line of every report). */
static void quote_into(luaL_Buffer *b, const char *s) {
  if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") == strlen(s)) {
    luaL_addstring(b, s);
    return;
  }
  luaL_addchar(b, '\'');
  for (; *s; s++) {
    if (*s == '\'') luaL_addstring(b, "'\\''");
    else luaL_addchar(b, *s);
  }
  luaL_addchar(b, '\'');
}

int main(int argc, char **argv) {
  const char *code = NULL, *out = "results", *script = NULL;
  int quiet = 0, strict = 0, profile = 0, nowrite = 0, nreports = 0, first_arg = argc;
  const char *reports[16];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); return 0; }
    if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
#ifdef ROBOLUA_HAVE_CUDA
      printf("robolua %s (Lua 5.4, CUDA backend built in)\n", ROBOLUA_VERSION);
#else
      printf("robolua %s (Lua 5.4, CPU-only build)\n", ROBOLUA_VERSION);
#endif
      return 0;
    }
    int has_next = i + 1 < argc;
    if (strcmp(a, "-e") == 0) {
      if (!has_next) { fprintf(stderr, "robolua: -e needs an argument\n"); usage(stderr); return 2; }
      code = argv[++i];
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) {
      if (!has_next) { fprintf(stderr, "robolua: %s needs a directory\n", a); usage(stderr); return 2; }
      out = argv[++i];
    } else if (strcmp(a, "--report") == 0) {
      if (!has_next) { fprintf(stderr, "robolua: --report needs a format\n"); usage(stderr); return 2; }
      if (nreports == 16) { fprintf(stderr, "robolua: too many --report options\n"); return 2; }
      reports[nreports++] = argv[++i];
    } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
      quiet = 1;
    } else if (strcmp(a, "--strict") == 0) {
      strict = 1;
    } else if (strcmp(a, "--profile") == 0) {
      profile = 1;
    } else if (strcmp(a, "--no-write") == 0) {
      nowrite = 1;
    } else if (strcmp(a, "--") == 0) {
      if (has_next) { script = argv[i + 1]; first_arg = i + 1; }
      break;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "robolua: unknown option '%s'\n", a);
      usage(stderr);
      return 2;
    } else {
      script = a;
      first_arg = i;
      break;
    }
  }
  if (!script && !code) { usage(stderr); return 2; }

  lua_State *L = rl_engine_new();
  if (!L) { fprintf(stderr, "robolua: cannot create the Lua state\n"); return 2; }

  /* robolua = require "robolua"; robolua.cli = {...} */
  lua_getglobal(L, "require");
  lua_pushstring(L, "robolua");
  if (rl_engine_pcall(L, 1, 1) != LUA_OK) { lua_close(L); return 2; }
  lua_pushvalue(L, -1);
  lua_setglobal(L, "robolua");
  lua_createtable(L, 0, 8);
  lua_pushstring(L, out); lua_setfield(L, -2, "out");
  lua_pushboolean(L, quiet); lua_setfield(L, -2, "quiet");
  lua_pushboolean(L, strict); lua_setfield(L, -2, "strict");
  lua_pushboolean(L, profile); lua_setfield(L, -2, "profile");
  lua_pushboolean(L, nowrite); lua_setfield(L, -2, "no_write");
  lua_createtable(L, nreports, 0);
  for (int i = 0; i < nreports; i++) { lua_pushstring(L, reports[i]); lua_rawseti(L, -2, i + 1); }
  lua_setfield(L, -2, "report");
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < argc; i++) {
    if (i) luaL_addchar(&b, ' ');
    quote_into(&b, argv[i]);
  }
  luaL_pushresult(&b);
  lua_setfield(L, -2, "command");
  if (script) { lua_pushstring(L, script); lua_setfield(L, -2, "script"); }
  lua_setfield(L, -2, "cli");
  lua_pop(L, 1);

  /* arg: as lua.c builds it, arg[0] the script, arg[1..] its arguments, negatives the engine's */
  lua_createtable(L, argc, 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - (script ? first_arg : argc));
  }
  lua_setglobal(L, "arg");

  global_L = L;
  signal(SIGINT, on_sigint);
  int rc;
  if (code) {
    rc = luaL_loadbuffer(L, code, strlen(code), "=(command line)");
    if (rc == LUA_OK) rc = rl_engine_pcall(L, 0, 0);
    else { fprintf(stderr, "robolua: %s\n", lua_tostring(L, -1)); lua_pop(L, 1); }
    if (rc != LUA_OK || !script) {
      int ec = rc != LUA_OK ? 2 : rl_engine_exit_code();
      lua_close(L);
      return ec;
    }
  }
  rc = luaL_loadfile(L, strcmp(script, "-") == 0 ? NULL : script);
  if (rc != LUA_OK) {
    fprintf(stderr, "robolua: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 2;
  }
  int nargs = argc - first_arg - 1;
  for (int i = first_arg + 1; i < argc; i++) lua_pushstring(L, argv[i]);
  rc = rl_engine_pcall(L, nargs, 0);
  int ec = rc != LUA_OK ? 2 : rl_engine_exit_code();
  lua_close(L);
  return ec;
}
