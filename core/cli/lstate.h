/* The Lua state of robolua: standard libraries, the C core, lfs, cjson and the embedded lua/ modules. */
#ifndef ROBOLUA_LSTATE_H
#define ROBOLUA_LSTATE_H
#include <lua.h>

/* A new state with everything registered, or NULL if memory is short. */
lua_State *rl_engine_new(void);
/* Runs the function on top of the stack with nargs arguments under a traceback handler.
   On error prints "robolua: <message + traceback>" to stderr and returns non-zero. */
int rl_engine_pcall(lua_State *L, int nargs, int nresults);
#endif
