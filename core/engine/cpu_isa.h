/* Which hand-written instruction-set paths the CPU resampler may use. The best the CPU has, unless
   ROBOLUA_CPU_ISA caps it ("generic": portable C only; "avx2": AVX2 + F16C at most; "avx512"), for
   comparing the paths byte for byte and for reproducing a result on a smaller machine. */
#ifndef ROBOLUA_CPU_ISA_H
#define ROBOLUA_CPU_ISA_H

typedef enum { RL_ISA_GENERIC = 0, RL_ISA_AVX2 = 1, RL_ISA_AVX512 = 2 } rl_cpu_isa;

/* The level in use: the CPU's best, capped by ROBOLUA_CPU_ISA (read on first use) or rl_cpu_isa_cap. */
rl_cpu_isa rl_cpu_isa_current(void);
/* The best level this CPU (and this build) supports. */
rl_cpu_isa rl_cpu_isa_supported(void);
/* Caps the level from now on (tests). Returns the level in use after the call. */
rl_cpu_isa rl_cpu_isa_cap(rl_cpu_isa level);
/* "generic", "avx2", "avx512"; NULL for anything else. rl_cpu_isa_parse returns -1 for an unknown name. */
const char *rl_cpu_isa_name(rl_cpu_isa level);
int rl_cpu_isa_parse(const char *name);
#endif
