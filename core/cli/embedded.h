/* The Lua modules compiled into the binary (generated table, see cmake/embed_lua.cmake). */
#ifndef ROBOLUA_EMBEDDED_H
#define ROBOLUA_EMBEDDED_H
#include <stddef.h>

typedef struct {
  const char *module;    /* "robolua.stats" */
  const char *chunkname; /* "@lua/robolua/stats.lua": relative to the source tree */
  const char *source;
  size_t size;
} rl_embedded_module;

extern const rl_embedded_module rl_embedded_modules[];
#endif
