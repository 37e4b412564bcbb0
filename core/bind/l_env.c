/* rl.env() -> host facts (CPU model, cores, memory, OS, hostname, time, the CPU resampler's
   instruction-set path: cpu_isa in use, cpu_isa_supported at best). */
#define _POSIX_C_SOURCE 200809L
#include "cpu_isa.h"
#include "env.h"
#include "bind.h"
#include <time.h>

static int l_env(lua_State *L) {
  rl_env e;
  rl_env_capture(&e);
  lua_createtable(L, 0, 10);
  lua_pushstring(L, e.cpu_model); lua_setfield(L, -2, "cpu_model");
  lua_pushinteger(L, e.logical_cpus); lua_setfield(L, -2, "logical_cpus");
  lua_pushinteger(L, e.mem_total_bytes); lua_setfield(L, -2, "mem_total_bytes");
  lua_pushinteger(L, e.llc_bytes); lua_setfield(L, -2, "llc_bytes");
  lua_pushstring(L, e.os); lua_setfield(L, -2, "os");
  lua_pushstring(L, e.hostname); lua_setfield(L, -2, "hostname");
  lua_pushstring(L, rl_cpu_isa_name(rl_cpu_isa_current())); lua_setfield(L, -2, "cpu_isa");
  lua_pushstring(L, rl_cpu_isa_name(rl_cpu_isa_supported())); lua_setfield(L, -2, "cpu_isa_supported");
  char stamp[32];
  time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tmv);
  lua_pushstring(L, stamp); lua_setfield(L, -2, "time_utc");
  return 1;
}

void rl_open_env(lua_State *L) {
  lua_pushcfunction(L, l_env);
  lua_setfield(L, -2, "env");
}
