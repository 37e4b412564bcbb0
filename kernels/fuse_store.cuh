// The fused kernels' stores (fuse_v1.cu, fuse_v2.cu, fuse_v3.cu): one output element rounded once to the
// output dtype (round to nearest even, as the CPU pass), or the fill value's raw bits (its low bytes,
// little-endian).
// Include it after <cuda_bf16.h> and <cuda_fp16.h>, or after the emulation's stand-ins
// (tests/fuse_emulation/shim.h), which compile it for the host.
#ifndef ROBOLUA_FUSE_STORE_CUH
#define ROBOLUA_FUSE_STORE_CUH
#include "dtype.h"

template <int ODT> __device__ __forceinline__ void rl_fuse_store(void *out, long long i, float v) {
  if (ODT == RL_BF16) ((unsigned short *)out)[i] = __bfloat16_as_ushort(__float2bfloat16_rn(v));
  else if (ODT == RL_F16) ((unsigned short *)out)[i] = __half_as_ushort(__float2half_rn(v));
  else ((float *)out)[i] = v;
}

template <int ODT> __device__ __forceinline__ void rl_fuse_store_fill(void *out, long long i, unsigned long long bits) {
  if (ODT == RL_F32) ((unsigned *)out)[i] = (unsigned)bits;
  else ((unsigned short *)out)[i] = (unsigned short)bits;
}
// v3's pairs: two neighbouring elements as one 8-byte (f32) or 4-byte (bf16, f16) store, each element
// rounded as rl_fuse_store rounds it; rl_fuse_bits is that rounding, to the element's raw bits.
template <int ODT> __device__ __forceinline__ unsigned rl_fuse_bits(float v) {
  if (ODT == RL_BF16) return __bfloat16_as_ushort(__float2bfloat16_rn(v));
  if (ODT == RL_F16) return __half_as_ushort(__float2half_rn(v));
  return __float_as_uint(v);
}
// Elements i and i + 1 (i even, the buffer aligned to two elements) from raw bits lo and hi.
template <int ODT> __device__ __forceinline__ void rl_fuse_store2(void *out, long long i, unsigned lo, unsigned hi) {
  if (ODT == RL_F32) {
    uint2 v;
    v.x = lo;
    v.y = hi;
    *(uint2 *)((unsigned *)out + i) = v;
  } else {
    *(unsigned *)((unsigned short *)out + i) = (lo & 0xffffu) | hi << 16;
  }
}
#endif
