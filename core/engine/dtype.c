#include "dtype.h"

int rl_dtype_parse(const char *name) {
  for (int i = 0; i < RL_DTYPE_COUNT; i++)
    if (strcmp(name, rl_dtype_name((rl_dtype)i)) == 0) return i;
  if (strcmp(name, "float32") == 0) return RL_F32;
  if (strcmp(name, "bfloat16") == 0) return RL_BF16;
  if (strcmp(name, "float16") == 0) return RL_F16;
  if (strcmp(name, "float64") == 0) return RL_F64;
  if (strcmp(name, "int64") == 0) return RL_I64;
  if (strcmp(name, "int32") == 0) return RL_I32;
  return -1;
}

float rl_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, u;
  if (exp == 0x1f) {
    u = sign | 0x7f800000u | (man << 13);
  } else if (exp != 0) {
    u = sign | ((exp + 112u) << 23) | (man << 13);
  } else if (man == 0) {
    u = sign;
  } else { /* subnormal half: normalise */
    int e = -1;
    do { man <<= 1; e++; } while (!(man & 0x400u));
    u = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/* Round-to-nearest-even of the integer m / 2^shift (shift >= 1). */
static uint32_t shift_rne(uint32_t m, int shift) {
  uint32_t r = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
  if (rem > half || (rem == half && (r & 1u))) r++;
  return r;
}

uint16_t rl_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x > 0x7f800000u) return sign | 0x7e00u;            /* NaN */
  if (x >= 0x47800000u) return sign | 0x7c00u;           /* >= 2^16: infinity */
  int e = (int)(x >> 23);
  if (e < 113) {                                          /* half subnormal or zero */
    if (e < 102) return sign;                             /* below half of the smallest subnormal */
    return sign | (uint16_t)shift_rne((x & 0x7fffffu) | 0x800000u, 126 - e);
  }
  /* normal: a carry out of the mantissa bumps the exponent, up to infinity, as it should */
  uint32_t r = ((uint32_t)(e - 112) << 10) | ((x & 0x7fffffu) >> 13);
  uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (r & 1u))) r++;
  return sign | (uint16_t)r;
}

double rl_load_f64(const void *p, rl_dtype t, size_t i) {
  switch (t) {
  case RL_F32: return ((const float *)p)[i];
  case RL_BF16: return rl_bf16_to_f32(((const uint16_t *)p)[i]);
  case RL_F16: return rl_f16_to_f32(((const uint16_t *)p)[i]);
  case RL_F64: return ((const double *)p)[i];
  case RL_I64: return (double)((const int64_t *)p)[i];
  case RL_I32: return (double)((const int32_t *)p)[i];
  default: return 0.0;
  }
}

/* Rounds a double straight to a 16-bit type (nearest, ties to even) without the double rounding that
   double -> float -> 16 bit would do: round through float, then fix the result up against its neighbour
   on the side of v. */
static uint16_t round_f64_to_16(double v, uint16_t (*from_f32)(float), float (*to_f32)(uint16_t)) {
  uint16_t r = from_f32((float)v);
  double rv = to_f32(r);
  if (rv == v || v != v || rv != rv || rv - rv != 0.0) return r; /* exact, NaN or infinite */
  uint16_t mag = r & 0x7fffu, sign = r & 0x8000u;
  int away = (v < 0 ? -v : v) > (rv < 0 ? -rv : rv);
  if (!away && mag == 0) return r;
  uint16_t nb = sign | (uint16_t)(away ? mag + 1 : mag - 1);
  double nv = to_f32(nb);
  if (nv - nv != 0.0) return r; /* neighbour is infinity: float rounding already decided */
  double dr = v - rv, dn = v - nv;
  if (dr < 0) dr = -dr;
  if (dn < 0) dn = -dn;
  if (dn < dr || (dn == dr && !(nb & 1u))) return nb;
  return r;
}

void rl_store_f64(void *p, rl_dtype t, size_t i, double v) {
  switch (t) {
  case RL_F32: ((float *)p)[i] = (float)v; break;
  case RL_BF16: ((uint16_t *)p)[i] = round_f64_to_16(v, rl_f32_to_bf16, rl_bf16_to_f32); break;
  case RL_F16: ((uint16_t *)p)[i] = round_f64_to_16(v, rl_f32_to_f16, rl_f16_to_f32); break;
  case RL_F64: ((double *)p)[i] = v; break;
  case RL_I64: ((int64_t *)p)[i] = v != v ? 0 : v >= 0x1p63 ? INT64_MAX : v < -0x1p63 ? INT64_MIN : (int64_t)v; break;
  case RL_I32: ((int32_t *)p)[i] = v != v ? 0 : v >= 0x1p31 ? INT32_MAX : v < -0x1p31 ? INT32_MIN : (int32_t)v; break;
  default: break;
  }
}
