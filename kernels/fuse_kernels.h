// The fused resampler's kernel variants behind rl_cuda_launch_fuse (fuse.cu checks the arguments and picks
// one: ROBOLUA_FUSE_KERNEL, rl_cuda_fuse_set_kernel). Each launches one window of output channels
// [c_lo, c_lo + width) on stream s: the whole output (a fused launch) or one stream's channels (the
// per-stream baseline). kernels/NOTES.md, "fusion kernel", says why there are three and what each costs.
#ifndef ROBOLUA_FUSE_KERNELS_H
#define ROBOLUA_FUSE_KERNELS_H
#include "cuda_check.h"
#include "fuse_args.h"

// v1: block = (row, chunk of targets); one binary search per (target, stream) over global memory, every
// output element looks up its interval (fuse_v1.cu).
int rl_fuse_v1_launch(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s);

// v2: block = (row, chunk of targets); warp-wide searches for the chunk's first and last target, the
// times between them staged in shared memory, one search per (target, stream) there; each slerp group
// computed once (fuse_v2.cu). targets: targets per block, 0 = the launcher's choice.
// rl_fuse_v2_fits: 1 when every stream's row (S x D elements) fits the kernel's 32-bit offsets; the
// dispatcher runs v1 where it does not.
int rl_fuse_v2_launch(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s);
int rl_fuse_v2_fits(const rl_fuse_args *a);
int rl_fuse_v2_max_targets(void);

// v3: v2's search, then the output streamed by segments (runs of one stream's channels with one mode,
// listed by the host) with code specialised per mode and dtype (fuse_v3.cu). rl_fuse_v3_fits: v2's
// condition, and the window's segments fit the launch's list (else the dispatcher runs v2).
int rl_fuse_v3_launch(const rl_fuse_args *a, int c_lo, int width, int targets, cudaStream_t s);
int rl_fuse_v3_fits(const rl_fuse_args *a, int c_lo, int width);

// The current device's SM count (cached; 1 if it cannot be read).
int rl_fuse_sm_count(void);
#endif
