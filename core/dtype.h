/* Element types and their exact conversions (round-to-nearest-even, as the CUDA intrinsics do). */
#ifndef ROBOLUA_DTYPE_H
#define ROBOLUA_DTYPE_H
#include <stdint.h>
#include <string.h>
#include <stddef.h>

typedef enum { RL_F32 = 0, RL_BF16 = 1, RL_F16 = 2, RL_F64 = 3, RL_DTYPE_COUNT } rl_dtype;

size_t rl_dtype_size(rl_dtype t);
const char *rl_dtype_name(rl_dtype t);
/* Returns -1 for an unknown name. */
int rl_dtype_parse(const char *name);

static inline float rl_bf16_to_f32(uint16_t h) {
  uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static inline uint16_t rl_f32_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* quiet NaN */
  u += 0x7fffu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

float rl_f16_to_f32(uint16_t h);
uint16_t rl_f32_to_f16(float f);

/* Element i of a buffer of type t, widened to double. */
double rl_load_f64(const void *p, rl_dtype t, size_t i);
/* Stores v (rounded once to the element type) at element i. */
void rl_store_f64(void *p, rl_dtype t, size_t i, double v);
#endif
