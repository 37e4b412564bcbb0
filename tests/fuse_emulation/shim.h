// Host stand-ins for what the emulated parts of kernels/fuse_v1.cu and fuse_v2.cu use from CUDA: qualifiers
// vanish, shared variables are statics (blocks run one after another), the thread and block indices are
// globals that the scheduler in driver.cpp sets before it switches to a thread, conversions are the
// engine's (the same round-to-nearest-even as the intrinsics). fuse_math.h takes its host paths, the CPU
// pass's arithmetic. Barriers and ballots are real rendezvous (driver.cpp): a thread waits, switching to
// the others, until its whole block (warp) has arrived; asynchronous copies are plain copies.
#include <ucontext.h>
#include <algorithm>
#include <cstdint>
#include <cstring>
extern "C" {
#include "fuse_math.h"
}
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __grid_constant__
#define __shared__ static
struct emu_dim { unsigned x; };
static emu_dim threadIdx, blockIdx, blockDim;
static unsigned char emu_smem[1 << 20]; // the block's dynamic shared memory
void __syncthreads();
unsigned __ballot_sync(unsigned mask, int pred);
static inline int __popc(unsigned v) { return __builtin_popcount(v); }
template <class T> static inline T __ldg(const T *p) { return *p; }
static inline void __pipeline_memcpy_async(void *dst, const void *src, size_t n) { memcpy(dst, src, n); }
static inline void __pipeline_commit() {}
static inline void __pipeline_wait_prior(size_t) {}
using std::max;
using std::min;
static inline uint16_t __float2bfloat16_rn(float f) { return rl_f32_to_bf16(f); }
static inline uint16_t __bfloat16_as_ushort(uint16_t v) { return v; }
static inline uint16_t __float2half_rn(float f) { return rl_f32_to_f16(f); }
static inline uint16_t __half_as_ushort(uint16_t v) { return v; }
static inline unsigned __float_as_uint(float f) { unsigned u; memcpy(&u, &f, 4); return u; }
struct uint2 { unsigned x, y; }; // CUDA's 8-byte vector (the pair path's loads and stores)
