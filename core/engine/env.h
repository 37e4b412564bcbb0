/* What machine is this: the facts every report carries. */
#ifndef ROBOLUA_ENV_H
#define ROBOLUA_ENV_H
#include <stddef.h>
typedef struct {
  char cpu_model[256];
  int logical_cpus;
  long long mem_total_bytes;
  long long llc_bytes;
  char os[256];       /* uname: sysname release machine */
  char hostname[256];
} rl_env;
void rl_env_capture(rl_env *e);
#endif
