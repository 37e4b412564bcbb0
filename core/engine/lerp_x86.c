/* x86 row kernels (see lerp.h): AVX2 (+F16C) and AVX-512 (F, BW, VL), compiled for those targets
   only here and chosen at run time. Each does the portable kernel's operations in the same order
   (sub, mul, add; no FMA), so the results are the same bytes; tails shorter than a vector go to the
   portable kernel. Every kernel comes twice: with ordinary stores, and with non-temporal ones (the
   _nt variants: the output line is written without being read first and does not evict the source
   rows from the caches; o must be 64-byte aligned). */
#include "lerp.h"
#ifdef RL_LERP_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,f16c")))
#define AVX512 __attribute__((target("avx2,f16c,avx512f,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

/* ---- AVX2 ----------------------------------------------------------------------------------------- */
AVX2 INLINE __m256 lerp8(__m256 fa, __m256 fb, __m256 vw) {
  return _mm256_add_ps(fa, _mm256_mul_ps(vw, _mm256_sub_ps(fb, fa)));
}
AVX2 INLINE void store256(void *p, __m256i v, int nt) {
  if (nt) _mm256_stream_si256((__m256i *)p, v);
  else _mm256_storeu_si256((__m256i *)p, v);
}
AVX2 INLINE void store128(void *p, __m128i v, int nt) {
  if (nt) _mm_stream_si128((__m128i *)p, v);
  else _mm_storeu_si128((__m128i *)p, v);
}

AVX2 INLINE void f32_avx2(float *o, const float *a, const float *b, float w, int64_t n, int nt) {
  const __m256 vw = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8)
    store256(o + d, _mm256_castps_si256(lerp8(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), vw)), nt);
  rl_lerp_f32_portable(o + d, a + d, b + d, w, n - d);
}

/* bf16 with 32-bit integer lanes only (no shuffles): a vector of 16 bf16 is 8 dwords, each holding an
   even element in its low half and an odd one in its high half. Even elements widen by a shift left,
   odd ones by masking the low half off; both are rounded to nearest even with the integer trick
   (u + 0x7fff + lsb) and land back in their own half (even: shift right; odd: already there), so one
   word blend rebuilds the dword and no pack or permute is needed (an unpack/pack version took 25%
   longer in L1).
   A NaN result keeps its top half, which already has the quiet bit (x86 arithmetic returns quiet NaNs,
   and widened bf16 values have zero low halves, so the rounding carries nothing into it): the portable
   code's NaN bytes. Only a NaN weight could bring nonzero low bits; such a row goes to the portable
   kernel. */
#define BF16_HI 0xffff0000
AVX2 INLINE __m256i lerp_bf16x16(__m256i va, __m256i vb, __m256 vw) {
  const __m256i hi = _mm256_set1_epi32((int)BF16_HI), bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1);
  __m256i even = _mm256_castps_si256(lerp8(_mm256_castsi256_ps(_mm256_slli_epi32(va, 16)),
                                           _mm256_castsi256_ps(_mm256_slli_epi32(vb, 16)), vw));
  __m256i odd = _mm256_castps_si256(lerp8(_mm256_castsi256_ps(_mm256_and_si256(va, hi)),
                                          _mm256_castsi256_ps(_mm256_and_si256(vb, hi)), vw));
  even = _mm256_add_epi32(even, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(even, 16), one)));
  odd = _mm256_add_epi32(odd, _mm256_add_epi32(bias, _mm256_and_si256(_mm256_srli_epi32(odd, 16), one)));
  return _mm256_blend_epi16(odd, _mm256_srli_epi32(even, 16), 0x55); /* even words from even, odd from odd */
}

AVX2 INLINE void bf16_avx2(uint16_t *o, const uint16_t *a, const uint16_t *b, float w, int64_t n, int nt) {
  int64_t d = 0;
  if (w == w) {
    const __m256 vw = _mm256_set1_ps(w);
    for (; d + 16 <= n; d += 16)
      store256(o + d, lerp_bf16x16(_mm256_loadu_si256((const __m256i *)(a + d)),
                                   _mm256_loadu_si256((const __m256i *)(b + d)), vw), nt);
  }
  rl_lerp_bf16_portable(o + d, a + d, b + d, w, n - d);
}

/* F16C converts halves <-> floats with the same round-to-nearest-even as the portable code; only a
   NaN differs (F16C keeps the payload), so NaN lanes, when a vector has any, are set to the portable
   sign | 0x7e00. */
AVX2 INLINE __m128i to_f16x8(__m256 r) {
  __m128i h = _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 nan = _mm256_cmp_ps(r, r, _CMP_UNORD_Q);
  if (_mm256_movemask_ps(nan)) {
    __m256i n32 = _mm256_castps_si256(nan);
    __m128i nan16 = _mm_packs_epi32(_mm256_castsi256_si128(n32), _mm256_extracti128_si256(n32, 1));
    __m128i canon = _mm_or_si128(_mm_and_si128(h, _mm_set1_epi16((short)0x8000)), _mm_set1_epi16(0x7e00));
    h = _mm_blendv_epi8(h, canon, nan16);
  }
  return h;
}

AVX2 INLINE void f16_avx2(uint16_t *o, const uint16_t *a, const uint16_t *b, float w, int64_t n, int nt) {
  const __m256 vw = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    __m256 fa = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + d)));
    __m256 fb = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + d)));
    store128(o + d, to_f16x8(lerp8(fa, fb, vw)), nt);
  }
  rl_lerp_f16_portable(o + d, a + d, b + d, w, n - d);
}

/* ---- AVX-512 -------------------------------------------------------------------------------------- */
AVX512 INLINE __m512 lerp16(__m512 fa, __m512 fb, __m512 vw) {
  return _mm512_add_ps(fa, _mm512_mul_ps(vw, _mm512_sub_ps(fb, fa)));
}
AVX512 INLINE void store512(void *p, __m512i v, int nt) {
  if (nt) _mm512_stream_si512(p, v);
  else _mm512_storeu_si512(p, v);
}

AVX512 INLINE void f32_avx512(float *o, const float *a, const float *b, float w, int64_t n, int nt) {
  const __m512 vw = _mm512_set1_ps(w);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16)
    store512(o + d, _mm512_castps_si512(lerp16(_mm512_loadu_ps(a + d), _mm512_loadu_ps(b + d), vw)), nt);
  rl_lerp_f32_portable(o + d, a + d, b + d, w, n - d);
}

/* 32 bf16 per step, as lerp_bf16x16 (even and odd halves of 32-bit lanes, no shuffles). */
AVX512 INLINE void bf16_avx512(uint16_t *o, const uint16_t *a, const uint16_t *b, float w, int64_t n, int nt) {
  int64_t d = 0;
  if (w == w) {
    const __m512 vw = _mm512_set1_ps(w);
    const __m512i hi = _mm512_set1_epi32((int)BF16_HI), bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1);
    for (; d + 32 <= n; d += 32) {
      __m512i va = _mm512_loadu_si512(a + d), vb = _mm512_loadu_si512(b + d);
      __m512i even = _mm512_castps_si512(lerp16(_mm512_castsi512_ps(_mm512_slli_epi32(va, 16)),
                                                _mm512_castsi512_ps(_mm512_slli_epi32(vb, 16)), vw));
      __m512i odd = _mm512_castps_si512(lerp16(_mm512_castsi512_ps(_mm512_and_si512(va, hi)),
                                               _mm512_castsi512_ps(_mm512_and_si512(vb, hi)), vw));
      even = _mm512_add_epi32(even, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(even, 16), one)));
      odd = _mm512_add_epi32(odd, _mm512_add_epi32(bias, _mm512_and_si512(_mm512_srli_epi32(odd, 16), one)));
      store512(o + d, _mm512_mask_blend_epi16(0x55555555u, odd, _mm512_srli_epi32(even, 16)), nt);
    }
  }
  rl_lerp_bf16_portable(o + d, a + d, b + d, w, n - d);
}

AVX512 INLINE void f16_avx512(uint16_t *o, const uint16_t *a, const uint16_t *b, float w, int64_t n, int nt) {
  const __m512 vw = _mm512_set1_ps(w);
  const __m256i sign = _mm256_set1_epi16((short)0x8000), qnan = _mm256_set1_epi16(0x7e00);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    __m512 fa = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + d)));
    __m512 fb = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + d)));
    __m512 r = lerp16(fa, fb, vw);
    __m256i h = _mm512_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    h = _mm256_mask_mov_epi16(h, _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q), _mm256_or_si256(_mm256_and_si256(h, sign), qnan));
    store256(o + d, h, nt);
  }
  rl_lerp_f16_portable(o + d, a + d, b + d, w, n - d);
}

/* The exported kernels: each body with ordinary and with streaming stores. */
#define RL_KERNEL_PAIR(name, attr, body, T)                                                            \
  attr void rl_lerp_##name(void *o, const void *a, const void *b, float w, int64_t n) {               \
    body((T *)o, (const T *)a, (const T *)b, w, n, 0);                                                 \
  }                                                                                                    \
  attr void rl_lerp_##name##_nt(void *o, const void *a, const void *b, float w, int64_t n) {          \
    body((T *)o, (const T *)a, (const T *)b, w, n, 1);                                                 \
  }
RL_KERNEL_PAIR(f32_avx2, AVX2, f32_avx2, float)
RL_KERNEL_PAIR(bf16_avx2, AVX2, bf16_avx2, uint16_t)
RL_KERNEL_PAIR(f16_avx2, AVX2, f16_avx2, uint16_t)
RL_KERNEL_PAIR(f32_avx512, AVX512, f32_avx512, float)
RL_KERNEL_PAIR(bf16_avx512, AVX512, bf16_avx512, uint16_t)
RL_KERNEL_PAIR(f16_avx512, AVX512, f16_avx512, uint16_t)
#endif
