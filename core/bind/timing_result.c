/* The table a timed loop returns, built in one place so rl.bench.resample, rl.bench.fuse,
   rl.bench.launch and a CPU library's bench report the same fields under the same names (the
   run/measure and report code reads them without knowing which loop produced them). */
#include "bind.h"

void rl_push_timing_result(lua_State *L, const rl_timing_opts *o, const double *samples, const int *clocks) {
  lua_createtable(L, 0, 8);
  rl_push_array(L, samples, o->repeats);
  lua_setfield(L, -2, "samples_ms");
  lua_pushstring(L, rl_timing_mode_name(o->mode));
  lua_setfield(L, -2, "mode");
  lua_pushinteger(L, o->warmup);
  lua_setfield(L, -2, "warmup");
  if (!clocks) return; /* a CPU loop: no SM clock, no graph */
  lua_createtable(L, o->repeats, 0);
  for (int i = 0; i < o->repeats; i++) {
    lua_pushinteger(L, clocks[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "sm_clock_mhz");
  if (o->mode == RL_MODE_GRAPH) {
    lua_pushinteger(L, o->batch);
    lua_setfield(L, -2, "batch");
  }
}
