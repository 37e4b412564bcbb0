/* The Lua state of robolua: standard libraries, the C core, lfs, cjson and the embedded lua/ modules. */
#ifndef ROBOLUA_ENGINE_H
#define ROBOLUA_ENGINE_H
#include <lua.h>

/* A new state with everything registered, or NULL if memory is short. */
lua_State *rl_engine_new(void);
/* Runs the function on top of the stack with nargs arguments under a traceback handler.
   On error prints "robolua: <message + traceback>" to stderr and returns non-zero. */
int rl_engine_pcall(lua_State *L, int nargs, int nresults);
/* The exit code a script asked for through robolua.core.set_exit_code (0 if none). */
int rl_engine_exit_code(void);
#endif
