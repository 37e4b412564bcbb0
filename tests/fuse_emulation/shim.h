// Host stand-ins for what the emulated part of kernels/fuse.cu uses from CUDA: qualifiers vanish, shared
// variables are statics (blocks run one after another), the thread and block indices are globals that the
// scheduler in driver.cpp sets before it switches to a thread, conversions are the engine's (the same
// round-to-nearest-even as the intrinsics). fuse_math.h takes its host paths, the CPU pass's arithmetic.
#include <ucontext.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
extern "C" {
#include "fuse_math.h"
}
#define __global__
#define __device__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __grid_constant__
#define __shared__ static
struct emu_dim { unsigned x; };
static emu_dim threadIdx, blockIdx, blockDim;
static unsigned char emu_smem[1 << 20]; // the block's dynamic shared memory
void __syncthreads();
using std::max;
using std::min;
static inline uint16_t __float2bfloat16_rn(float f) { return rl_f32_to_bf16(f); }
static inline uint16_t __bfloat16_as_ushort(uint16_t v) { return v; }
static inline uint16_t __float2half_rn(float f) { return rl_f32_to_f16(f); }
static inline uint16_t __half_as_ushort(uint16_t v) { return v; }
