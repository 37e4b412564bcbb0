/* One output row of the CPU resampler: o[d] = a[d] + w * (b[d] - a[d]) in fp32 (sub, mul, add, each
   rounded: no FMA), then one rounding to the stored type (bf16 and f16: nearest, ties to even).
   A portable version of each, and instruction-set versions that give the same bytes, NaNs included:
   bf16 and f16 NaN results are made as the portable code makes them (bf16: the top half with the
   quiet bit set; f16: sign | 0x7e00). */
#ifndef ROBOLUA_LERP_H
#define ROBOLUA_LERP_H
#include "cpu_isa.h"
#include "dtype.h"
#include <stdint.h>

typedef void (*rl_lerp_fn)(void *o, const void *a, const void *b, float w, int64_t n);

/* The kernel for dtype t (f32, bf16, f16) at instruction-set level isa (or the best below it that
   exists for t); NULL for another dtype. */
rl_lerp_fn rl_lerp_select(rl_dtype t, rl_cpu_isa isa);
/* The same with non-temporal (streaming) stores: o must be 64-byte aligned. NULL at the generic level
   (portable C has no streaming store) and for another dtype. */
rl_lerp_fn rl_lerp_select_nt(rl_dtype t, rl_cpu_isa isa);

/* Portable C (the definition of the bytes; also the tails of the vector versions). */
void rl_lerp_f32_portable(void *o, const void *a, const void *b, float w, int64_t n);
void rl_lerp_bf16_portable(void *o, const void *a, const void *b, float w, int64_t n);
void rl_lerp_f16_portable(void *o, const void *a, const void *b, float w, int64_t n);

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define RL_LERP_X86 1
#define RL_LERP_DECLARE(name)                                                                          \
  void rl_lerp_##name(void *o, const void *a, const void *b, float w, int64_t n);                      \
  void rl_lerp_##name##_nt(void *o, const void *a, const void *b, float w, int64_t n);
RL_LERP_DECLARE(f32_avx2)
RL_LERP_DECLARE(bf16_avx2)
RL_LERP_DECLARE(f16_avx2) /* F16C */
RL_LERP_DECLARE(f32_avx512)
RL_LERP_DECLARE(bf16_avx512)
RL_LERP_DECLARE(f16_avx512)
#undef RL_LERP_DECLARE
#endif
#endif
