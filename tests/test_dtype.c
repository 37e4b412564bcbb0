/* C unit tests of the dtype conversions, against independent references:
   f16: the compiler's own _Float16 conversion (libgcc, correctly rounded);
   bf16: the nearest of the two bf16 neighbours, chosen in double arithmetic. */
#include "dtype.h"
#include "rng.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

static float bits_f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

/* Reference bf16 rounding: truncate, then compare distances to both neighbours in double. */
static uint16_t ref_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  uint16_t lo = (uint16_t)(u >> 16), hi = (uint16_t)(lo + 1);
  double dl = fabs((double)f - (double)rl_bf16_to_f32(lo));
  /* above the largest finite bf16 the upper neighbour is infinity, which IEEE rounding places at 2^128 */
  double hv = (hi & 0x7fff) == 0x7f80 ? copysign(ldexp(1.0, 128), (double)f) : (double)rl_bf16_to_f32(hi);
  double dh = fabs((double)f - hv);
  if (dl < dh) return lo;
  if (dh < dl) return hi;
  return (lo & 1) ? hi : lo;
}

int main(void) {
#if defined(__FLT16_MAX__)
  /* every 4099th float bit pattern plus edges: f16 vs _Float16 */
  for (uint64_t i = 0; i < (1ull << 32); i += 4099) {
    float f = bits_f((uint32_t)i);
    if (isnan(f)) continue;
    _Float16 h = (_Float16)f;
    uint16_t want;
    memcpy(&want, &h, 2);
    uint16_t got = rl_f32_to_f16(f);
    CHECK(got == want, "f32->f16 of %a (bits %08llx): got %04x want %04x", (double)f, (unsigned long long)i, got, want);
  }
  for (uint32_t h = 0; h < 65536; h++) {
    _Float16 v;
    uint16_t hb = (uint16_t)h;
    memcpy(&v, &hb, 2);
    float want = (float)v, got = rl_f16_to_f32(hb);
    CHECK((isnan(want) && isnan(got)) || memcmp(&want, &got, 4) == 0, "f16->f32 of %04x", h);
  }
#else
  printf("note: no _Float16 in this compiler; f16 checked against fixed values only\n");
#endif
  /* fixed f16 values: 1, 65504 (max), 65520 -> inf, 2^-24 (smallest subnormal), 2^-25 -> 0 (tie to even) */
  CHECK(rl_f32_to_f16(1.0f) == 0x3c00, "f16(1)");
  CHECK(rl_f32_to_f16(65504.0f) == 0x7bff, "f16(65504)");
  CHECK(rl_f32_to_f16(65520.0f) == 0x7c00, "f16(65520) rounds to inf");
  CHECK(rl_f32_to_f16(ldexpf(1.0f, -24)) == 0x0001, "f16(2^-24)");
  CHECK(rl_f32_to_f16(ldexpf(1.0f, -25)) == 0x0000, "f16(2^-25) ties to even zero");
  CHECK(rl_f32_to_f16(ldexpf(3.0f, -26)) == 0x0001, "f16(1.5*2^-25) rounds up");
  CHECK(rl_f32_to_f16(-2.0f) == 0xc000, "f16(-2)");

  /* bf16 vs the neighbour reference */
  for (uint64_t i = 0; i < (1ull << 32); i += 997) {
    float f = bits_f((uint32_t)i);
    if (isnan(f) || isinf(f)) continue;
    uint16_t got = rl_f32_to_bf16(f), want = ref_bf16(f);
    CHECK(got == want, "f32->bf16 of %a: got %04x want %04x", (double)f, got, want);
  }
  CHECK(rl_f32_to_bf16(1.0f) == 0x3f80, "bf16(1)");
  CHECK(rl_f32_to_bf16(bits_f(0x3f808000u)) == 0x3f80, "bf16 tie to even (down)");
  CHECK(rl_f32_to_bf16(bits_f(0x3f818000u)) == 0x3f82, "bf16 tie to even (up)");
  CHECK(isnan(rl_bf16_to_f32(rl_f32_to_bf16(NAN))), "bf16 keeps NaN");

  /* double -> 16 bit must round once: a double just above a bf16 tie rounds up even though its float
     rounding lands exactly on the tie. 1 + 2^-8 is the tie between bf16 1 and 1 + 2^-7. */
  {
    uint16_t out;
    double v = 1.0 + ldexp(1.0, -8) + ldexp(1.0, -40);
    rl_store_f64(&out, RL_BF16, 0, v);
    CHECK(out == 0x3f81, "double just above a bf16 tie rounds up (got %04x)", out);
    v = 1.0 + ldexp(1.0, -8) - ldexp(1.0, -40);
    rl_store_f64(&out, RL_BF16, 0, v);
    CHECK(out == 0x3f80, "double just below a bf16 tie rounds down (got %04x)", out);
    v = 1.0 + ldexp(1.0, -11) + ldexp(1.0, -40); /* f16 tie between 1 and 1 + 2^-10 */
    rl_store_f64(&out, RL_F16, 0, v);
    CHECK(out == 0x3c01, "double just above an f16 tie rounds up (got %04x)", out);
  }

  /* dtype names */
  CHECK(rl_dtype_parse("bf16") == RL_BF16 && rl_dtype_parse("f64") == RL_F64, "dtype names");
  CHECK(rl_dtype_parse("int8") == -1, "unknown dtype");
  CHECK(rl_dtype_size(RL_BF16) == 2 && rl_dtype_size(RL_F64) == 8, "dtype sizes");

  /* counter RNG: these values define every generated data set; pinned so they never change */
  CHECK(rl_rand64(0, 0, 0) == 13012802259801632091ull, "rng value (0,0,0) pinned");
  CHECK(rl_rand64(1, 2, 3) == 14031573155281930946ull, "rng value (1,2,3) pinned");
  CHECK(rl_rand64(0x123456789abcdefull, 7, 1ull << 40) == 16902882018191666629ull, "rng value (large seed, counter) pinned");
  CHECK(rl_uniform01(0, 1, 0) == 0x1.df74e6p-1f, "uniform01 (0,1,0) pinned");
  CHECK(rl_uniform01(42, 5, 99) == (float)0.197878957, "uniform01 (42,5,99) pinned");
  CHECK(rl_rand64(0, 0, 0) != rl_rand64(0, 0, 1), "rng counter");
  CHECK(rl_rand64(1, 0, 0) != rl_rand64(2, 0, 0), "rng seed");
  CHECK(rl_dtype_size(RL_I64) == 8 && strcmp(rl_dtype_name(RL_I64), "i64") == 0, "i64 in the dtype table");
  CHECK(rl_uniform01(7, 3, 11) >= 0.0f && rl_uniform01(7, 3, 11) < 1.0f, "uniform range");

  return check_summary();
}
