// The fused kernels' stores (fuse_v1.cu, fuse_v2.cu): one output element rounded once to the output dtype
// (round to nearest even, as the CPU pass), or the fill value's raw bits (its low bytes, little-endian).
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
#endif
