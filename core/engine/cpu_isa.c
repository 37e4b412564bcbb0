#include "cpu_isa.h"
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <cpuid.h>
#endif
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {"generic", "avx2", "avx512"};

const char *rl_cpu_isa_name(rl_cpu_isa level) {
  return (unsigned)level <= RL_ISA_AVX512 ? names[level] : NULL;
}

int rl_cpu_isa_parse(const char *name) {
  for (int i = 0; i <= RL_ISA_AVX512; i++)
    if (name && strcmp(name, names[i]) == 0) return i;
  return -1;
}

rl_cpu_isa rl_cpu_isa_supported(void) {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  __builtin_cpu_init();
  /* AVX2 level: 256-bit integer ops and F16C conversions (every AVX2 CPU so far has F16C) */
  unsigned a, b, c, d; /* F16C from CPUID leaf 1: clang before 15 has no "f16c" for __builtin_cpu_supports */
  int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
  int avx2 = __builtin_cpu_supports("avx2") && f16c;
  int avx512 = avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
  return avx512 ? RL_ISA_AVX512 : avx2 ? RL_ISA_AVX2 : RL_ISA_GENERIC;
#else
  return RL_ISA_GENERIC;
#endif
}

static _Atomic int current = -1;

rl_cpu_isa rl_cpu_isa_cap(rl_cpu_isa level) {
  rl_cpu_isa best = rl_cpu_isa_supported();
  rl_cpu_isa use = level < best ? level : best;
  atomic_store(&current, (int)use);
  return use;
}

rl_cpu_isa rl_cpu_isa_current(void) {
  int c = atomic_load_explicit(&current, memory_order_relaxed);
  if (c >= 0) return (rl_cpu_isa)c;
  const char *env = getenv("ROBOLUA_CPU_ISA");
  int cap = env && *env ? rl_cpu_isa_parse(env) : RL_ISA_AVX512;
  if (cap < 0) {
    /* a typo must not silently measure another path: say so, and use the portable code */
    fprintf(stderr, "robolua: ROBOLUA_CPU_ISA=%s is not one of generic, avx2, avx512; using generic\n", env);
    cap = RL_ISA_GENERIC;
  }
  return rl_cpu_isa_cap((rl_cpu_isa)cap);
}
