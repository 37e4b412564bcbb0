/* The portable row kernels: the definition of the bytes every other path must reproduce. Plain loops
   (the compiler vectorises them for the baseline instruction set); -ffp-contract=off keeps the
   sub, mul, add separately rounded. */
#include "lerp.h"

void rl_lerp_f32_portable(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  float *restrict o = o_;
  const float *restrict a = a_, *restrict b = b_;
  for (int64_t d = 0; d < n; d++) o[d] = a[d] + w * (b[d] - a[d]);
}

void rl_lerp_bf16_portable(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *restrict o = o_;
  const uint16_t *restrict a = a_, *restrict b = b_;
  for (int64_t d = 0; d < n; d++) {
    union { float f; uint32_t u; } va, vb, r;
    va.u = (uint32_t)a[d] << 16;
    vb.u = (uint32_t)b[d] << 16;
    r.f = va.f + w * (vb.f - va.f);
    /* round to nearest even; a NaN keeps its payload's top bits and is made quiet (a float compare,
       which vectorises, rather than a bit test) */
    uint32_t rounded = (r.u + 0x7fffu + ((r.u >> 16) & 1u)) >> 16;
    o[d] = (uint16_t)(r.f != r.f ? (r.u >> 16) | 0x40u : rounded);
  }
}

void rl_lerp_f16_portable(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *restrict o = o_;
  const uint16_t *restrict a = a_, *restrict b = b_;
  for (int64_t d = 0; d < n; d++) {
    float fa = rl_f16_to_f32(a[d]), fb = rl_f16_to_f32(b[d]);
    o[d] = rl_f32_to_f16(fa + w * (fb - fa));
  }
}

/* The x86 kernel of dtype t at level isa (nt: the streaming-store variant); NULL below AVX2. */
static rl_lerp_fn select_x86(rl_dtype t, rl_cpu_isa isa, int nt) {
#ifdef RL_LERP_X86
#define PICK(name) (nt ? rl_lerp_##name##_nt : rl_lerp_##name)
  if (isa >= RL_ISA_AVX512) {
    switch (t) {
    case RL_F32: return PICK(f32_avx512);
    case RL_BF16: return PICK(bf16_avx512);
    case RL_F16: return PICK(f16_avx512);
    default: return NULL;
    }
  }
  if (isa >= RL_ISA_AVX2) {
    switch (t) {
    case RL_F32: return PICK(f32_avx2);
    case RL_BF16: return PICK(bf16_avx2);
    case RL_F16: return PICK(f16_avx2);
    default: return NULL;
    }
  }
#undef PICK
#else
  (void)t;
  (void)isa;
  (void)nt;
#endif
  return NULL;
}

rl_lerp_fn rl_lerp_select_nt(rl_dtype t, rl_cpu_isa isa) { return select_x86(t, isa, 1); }

rl_lerp_fn rl_lerp_select(rl_dtype t, rl_cpu_isa isa) {
  rl_lerp_fn f = select_x86(t, isa, 0);
  if (f) return f;
  switch (t) {
  case RL_F32: return rl_lerp_f32_portable;
  case RL_BF16: return rl_lerp_bf16_portable;
  case RL_F16: return rl_lerp_f16_portable;
  default: return NULL;
  }
}
