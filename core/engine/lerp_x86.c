/* x86 row kernels (see lerp.h): AVX2 (+F16C) and AVX-512 (F, BW, VL), compiled for those targets
   only here and chosen at run time. Each does the portable kernel's operations in the same order
   (sub, mul, add; no FMA), so the results are the same bytes; tails shorter than a vector go to the
   portable kernel. */
#include "lerp.h"
#ifdef RL_LERP_X86
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,f16c")))
#define AVX512 __attribute__((target("avx2,f16c,avx512f,avx512bw,avx512vl")))

/* ---- AVX2 ----------------------------------------------------------------------------------------- */
AVX2 static inline __m256 lerp8(__m256 fa, __m256 fb, __m256 vw) {
  return _mm256_add_ps(fa, _mm256_mul_ps(vw, _mm256_sub_ps(fb, fa)));
}

AVX2 void rl_lerp_f32_avx2(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  float *o = o_;
  const float *a = a_, *b = b_;
  const __m256 vw = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8)
    _mm256_storeu_ps(o + d, lerp8(_mm256_loadu_ps(a + d), _mm256_loadu_ps(b + d), vw));
  rl_lerp_f32_portable(o + d, a + d, b + d, w, n - d);
}

/* Eight fp32 results (bf16 values in the high halves of the inputs) rounded to bf16, each in the low
   half of its 32-bit lane: nearest-even by the integer trick, NaN as the portable code makes it. */
AVX2 static inline __m256i round_bf16x8(__m256 r) {
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(0x40);
  __m256i u = _mm256_castps_si256(r), top = _mm256_srli_epi32(u, 16);
  __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(bias, _mm256_and_si256(top, one))), 16);
  __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(r, r, _CMP_UNORD_Q));
  return _mm256_blendv_epi8(rounded, _mm256_or_si256(top, quiet), nan);
}

/* 16 bf16 per step. Widening interleaves a zero below each value (unpacklo/hi: elements 0-3 and 8-11,
   then 4-7 and 12-15, as AVX2 works per 128-bit half); packus undoes exactly that order. */
AVX2 void rl_lerp_bf16_avx2(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *o = o_;
  const uint16_t *a = a_, *b = b_;
  const __m256 vw = _mm256_set1_ps(w);
  const __m256i zero = _mm256_setzero_si256();
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    __m256i va = _mm256_loadu_si256((const __m256i *)(a + d)), vb = _mm256_loadu_si256((const __m256i *)(b + d));
    __m256 alo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, va));
    __m256 ahi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, va));
    __m256 blo = _mm256_castsi256_ps(_mm256_unpacklo_epi16(zero, vb));
    __m256 bhi = _mm256_castsi256_ps(_mm256_unpackhi_epi16(zero, vb));
    __m256i lo = round_bf16x8(lerp8(alo, blo, vw)), hi = round_bf16x8(lerp8(ahi, bhi, vw));
    _mm256_storeu_si256((__m256i *)(o + d), _mm256_packus_epi32(lo, hi));
  }
  rl_lerp_bf16_portable(o + d, a + d, b + d, w, n - d);
}

/* F16C converts halves <-> floats with the same round-to-nearest-even as the portable code; only a
   NaN differs (F16C keeps the payload), so NaN lanes are set to the portable sign | 0x7e00. */
AVX2 static inline __m128i to_f16x8(__m256 r) {
  __m128i h = _mm256_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(r, r, _CMP_UNORD_Q));
  __m128i nan16 = _mm_packs_epi32(_mm256_castsi256_si128(nan), _mm256_extracti128_si256(nan, 1));
  __m128i canon = _mm_or_si128(_mm_and_si128(h, _mm_set1_epi16((short)0x8000)), _mm_set1_epi16(0x7e00));
  return _mm_blendv_epi8(h, canon, nan16);
}

AVX2 void rl_lerp_f16_avx2(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *o = o_;
  const uint16_t *a = a_, *b = b_;
  const __m256 vw = _mm256_set1_ps(w);
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    __m256 fa = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(a + d)));
    __m256 fb = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(b + d)));
    _mm_storeu_si128((__m128i *)(o + d), to_f16x8(lerp8(fa, fb, vw)));
  }
  rl_lerp_f16_portable(o + d, a + d, b + d, w, n - d);
}

/* ---- AVX-512 -------------------------------------------------------------------------------------- */
AVX512 static inline __m512 lerp16(__m512 fa, __m512 fb, __m512 vw) {
  return _mm512_add_ps(fa, _mm512_mul_ps(vw, _mm512_sub_ps(fb, fa)));
}

AVX512 void rl_lerp_f32_avx512(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  float *o = o_;
  const float *a = a_, *b = b_;
  const __m512 vw = _mm512_set1_ps(w);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16)
    _mm512_storeu_ps(o + d, lerp16(_mm512_loadu_ps(a + d), _mm512_loadu_ps(b + d), vw));
  rl_lerp_f32_portable(o + d, a + d, b + d, w, n - d);
}

/* 16 lanes: widen (shift into the high half), lerp, round as round_bf16x8, narrow with vpmovdw. */
AVX512 void rl_lerp_bf16_avx512(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *o = o_;
  const uint16_t *a = a_, *b = b_;
  const __m512 vw = _mm512_set1_ps(w);
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    __m512 fa = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(a + d))), 16));
    __m512 fb = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(b + d))), 16));
    __m512 r = lerp16(fa, fb, vw);
    __m512i u = _mm512_castps_si512(r), top = _mm512_srli_epi32(u, 16);
    __m512i rounded = _mm512_srli_epi32(_mm512_add_epi32(u, _mm512_add_epi32(bias, _mm512_and_si512(top, one))), 16);
    rounded = _mm512_mask_or_epi32(rounded, _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q), top, quiet);
    _mm256_storeu_si256((__m256i *)(o + d), _mm512_cvtepi32_epi16(rounded));
  }
  rl_lerp_bf16_portable(o + d, a + d, b + d, w, n - d);
}

AVX512 void rl_lerp_f16_avx512(void *o_, const void *a_, const void *b_, float w, int64_t n) {
  uint16_t *o = o_;
  const uint16_t *a = a_, *b = b_;
  const __m512 vw = _mm512_set1_ps(w);
  const __m256i sign = _mm256_set1_epi16((short)0x8000), qnan = _mm256_set1_epi16(0x7e00);
  int64_t d = 0;
  for (; d + 16 <= n; d += 16) {
    __m512 fa = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(a + d)));
    __m512 fb = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(b + d)));
    __m512 r = lerp16(fa, fb, vw);
    __m256i h = _mm512_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    h = _mm256_mask_mov_epi16(h, _mm512_cmp_ps_mask(r, r, _CMP_UNORD_Q), _mm256_or_si256(_mm256_and_si256(h, sign), qnan));
    _mm256_storeu_si256((__m256i *)(o + d), h);
  }
  rl_lerp_f16_portable(o + d, a + d, b + d, w, n - d);
}
#endif
