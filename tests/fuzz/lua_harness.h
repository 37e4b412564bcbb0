/* The fuzz bytes as Lua values, and a checked call of a robolua.core binding (lua_harness.c). */
#ifndef ROBOLUA_FUZZ_LUA_HARNESS_H
#define ROBOLUA_FUZZ_LUA_HARNESS_H
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
  const uint8_t *p;
  size_t n;
} fz_input;

lua_State *fz_init(void);
/* One value decoded from in: nil, booleans, integers and floats at the edges, names, strings, arrays,
   option tables with the given keys, tensors of the pool (any dtype, a closed one). */
void fz_push_value(lua_State *L, fz_input *in, int depth, const char *const *keys, int nkeys);
/* An option table: up to 7 of keys (or an odd key), each with a decoded value. */
void fz_push_options(lua_State *L, fz_input *in, int depth, const char *const *keys, int nkeys);
/* rl[fname](...) or, for ":name", arg1:name(...), with the nargs values on the stack, under pcall: returns
   or raises a string error, else abort(). Pops the arguments. */
void fz_call(lua_State *L, const char *fname, int nargs);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#endif
