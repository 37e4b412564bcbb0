/* Element types and their exact conversions (round-to-nearest-even, as the CUDA intrinsics do). */
#ifndef ROBOLUA_DTYPE_H
#define ROBOLUA_DTYPE_H
#include <stdint.h>
#include <string.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one table of element types: enum name, Lua name, size in bytes. The C engine, the CUDA kernels
   (which include this header) and Lua (robolua.dtypes, exported from it) all read this list. */
#define RL_DTYPE_LIST(X)                                                                               \
  X(RL_F32, "f32", 4)                                                                                  \
  X(RL_BF16, "bf16", 2)                                                                                \
  X(RL_F16, "f16", 2)                                                                                  \
  X(RL_F64, "f64", 8)                                                                                  \
  X(RL_I64, "i64", 8)                                                                                  \
  X(RL_I32, "i32", 4)

#define RL_DTYPE_ENUM_(e, name, size) e,
typedef enum { RL_DTYPE_LIST(RL_DTYPE_ENUM_) RL_DTYPE_COUNT } rl_dtype;
#undef RL_DTYPE_ENUM_

/* Integer element types (i64, i32): Lua integers are stored and read back exactly. */
static inline int rl_dtype_is_integer(rl_dtype t) { return t == RL_I64 || t == RL_I32; }

static inline size_t rl_dtype_size(rl_dtype t) {
#define RL_DTYPE_SIZE_(e, name, size) size,
  static const size_t sizes[] = {RL_DTYPE_LIST(RL_DTYPE_SIZE_) 0};
#undef RL_DTYPE_SIZE_
  return (unsigned)t < RL_DTYPE_COUNT ? sizes[t] : 0;
}

static inline const char *rl_dtype_name(rl_dtype t) {
#define RL_DTYPE_NAME_(e, name, size) name,
  static const char *const names[] = {RL_DTYPE_LIST(RL_DTYPE_NAME_) "?"};
#undef RL_DTYPE_NAME_
  return (unsigned)t < RL_DTYPE_COUNT ? names[t] : "?";
}

/* Returns -1 for an unknown name (also accepts float32, bfloat16, float16, float64, int64, int32). */
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

#ifdef __cplusplus
}
#endif
#endif
