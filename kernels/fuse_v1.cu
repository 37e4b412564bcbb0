// The fused resampler on the GPU, first kernel (v1; kept for A/B runs: ROBOLUA_FUSE_KERNEL=v1, see
// kernels/NOTES.md "fusion kernel" for why v2 replaced it). doc/robot.md has the semantics.
//
// A block owns (batch row b, a chunk of consecutive targets) and the output span those targets cover:
// chunk x out_dim contiguous elements, so its stores are fully coalesced whatever the streams' widths.
//   1. It builds a table of its output channels in shared memory (stream, mode, channel, slerp position:
//      rl_fm_channel_code) and locates each of its targets in each stream (one thread per (target,
//      stream), a binary search over the row's valid times: neighbouring targets walk the same path, so
//      most probes hit L1), storing the source row offsets and the weight in shared memory.
//   2. Its threads stride over the span (kUnroll elements each per step, loads issued together): element e
//      is target e / width, channel e % width; the table and the interval give the one or two source rows
//      to read, and fuse_math.h gives the value, with the same operations as the CPU pass (fuse_cpu.c), so
//      the bytes are identical. A slerp element computes its whole quaternion group (each of the group's
//      four threads does, keeping its own component).
// Targets past tgt_len[b] and streams with an empty row get the fill value.
#include "cuda_check.h"
#include "fuse_kernels.h"
#include "fuse_math.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include "fuse_store.cuh"
#include <algorithm>
#include <cstdint>

namespace fuse_v1 {

// ---- from here to the end marker, tests/fuse_emulation.sh compiles the kernel on the host (a thread per
// ---- context, __syncthreads a context switch) and checks its bytes against the CPU pass without a GPU
constexpr int kThreads = 256;
constexpr int kMaxChunk = 256;          // targets per block
constexpr int kElementsPerBlock = 8192; // output elements a block aims for (32 KB of f32)
constexpr int kUnroll = 4;              // output elements per thread with loads in flight together

struct Interval {       // one target in one stream
  long long o0, o1, on; // element offsets of the rows i0, i1 and the nearest one in src
  float w;
  int empty;
};

// Slerp output channel `code` for one target: each of a group's 4 threads computes the whole group and
// keeps its own component (quaternion channels are few; the redundancy is cheaper than a shuffle).
__device__ __noinline__ float slerp_element(const Interval &v, uint32_t code, const void *const *srcs, const int *dtypes) {
  const int k = (int)((code >> 2) & 15u), pos = (int)((code >> 6) & 3u);
  const long long g = (long long)(code >> 8) - pos;
  float q0[4], q1[4], r[4];
#pragma unroll
  for (int j = 0; j < 4; j++) {
    q0[j] = rl_fm_load(srcs[k], dtypes[k], v.o0 + g + j);
    q1[j] = rl_fm_load(srcs[k], dtypes[k], v.o1 + g + j);
  }
  rl_fm_slerp(q0, q1, v.w, r);
  return pos == 0 ? r[0] : pos == 1 ? r[1] : pos == 2 ? r[2] : r[3];
}

enum { kNothing = 0, kLerp, kCopy, kFill, kSlerp }; // what an unrolled element stores

// Writes channels [c_lo, c_lo + width) of the output rows of block's targets (a fused launch: [0, out_dim)).
template <int TDT, int ODT>
__global__ void __launch_bounds__(kThreads)
    fuse_kernel(const __grid_constant__ rl_fuse_args a, int chunk, int chunks_per_row, int c_lo, int width) {
  extern __shared__ __align__(16) unsigned char smem[];
  __shared__ const void *s_src[RL_FUSE_MAX_STREAMS];
  __shared__ int s_dtype[RL_FUSE_MAX_STREAMS];
  const int ns = a.nstreams;
  Interval *iv = reinterpret_cast<Interval *>(smem);                // [chunk][ns]
  uint32_t *table = reinterpret_cast<uint32_t *>(iv + chunk * ns); // [width]
  const long long b = blockIdx.x / chunks_per_row;
  const int t0 = (int)(blockIdx.x - b * chunks_per_row) * chunk;
  const int T = (int)a.target_len;
  const int nt = min(chunk, T - t0);
  const long long tlen = a.tgt_len ? rl_fm_len(a.tgt_len, a.tgt_len_dtype, b) : (long long)T;
  const int nvalid = (int)max(0ll, min((long long)nt, tlen - t0));
  const size_t time_bytes = TDT == RL_F32 ? 4 : 8;

  if ((int)threadIdx.x < ns) {
    s_src[threadIdx.x] = a.streams[threadIdx.x].src;
    s_dtype[threadIdx.x] = a.streams[threadIdx.x].dtype;
  }
  for (int c = threadIdx.x; c < width; c += blockDim.x) table[c] = rl_fm_channel_code(&a, c_lo + c);
  for (int task = threadIdx.x; task < nvalid * ns; task += blockDim.x) {
    const int tl = task / ns, k = task - tl * ns;
    const rl_fuse_stream &s = a.streams[k];
    const long long S = s.source_len, row = b * S;
    const long long L = s.len ? rl_fm_len(s.len, s.len_dtype, b) : S;
    const rl_fm_iv v = rl_fm_locate(TDT, (const unsigned char *)s.times + (size_t)row * time_bytes, L, a.tgt_times,
                                    b * T + t0 + tl, -1);
    Interval r;
    r.o0 = (row + v.i0) * s.dim;
    r.o1 = (row + v.i1) * s.dim;
    r.on = (row + v.inear) * s.dim;
    r.w = v.w;
    r.empty = v.empty;
    iv[task] = r;
  }
  __syncthreads();

  // Each thread takes kUnroll elements kThreads apart per step and issues all their loads before the
  // first use, so several source reads per thread are in flight at once.
  const long long obase = ((long long)b * T + t0) * a.out_dim + c_lo;
  const int n = nt * width;
  for (int base = threadIdx.x; base < n; base += kUnroll * kThreads) {
    float va[kUnroll], vb[kUnroll], w[kUnroll];
    long long o[kUnroll];
    int what[kUnroll], slot[kUnroll];
    uint32_t code[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; u++) {
      const int e = base + u * kThreads;
      what[u] = kNothing;
      va[u] = vb[u] = w[u] = 0.0f;
      o[u] = 0;
      slot[u] = 0;
      code[u] = RL_FM_NO_CHANNEL;
      if (e >= n) continue;
      const int tl = e / width, c = e - tl * width;
      o[u] = obase + (long long)tl * a.out_dim + c;
      if (tl >= nvalid) { what[u] = kFill; continue; }
      code[u] = table[c];
      if (code[u] == RL_FM_NO_CHANNEL) continue; // no stream of this launch owns c (never with checked args)
      const int mode = (int)(code[u] & 3u), k = (int)((code[u] >> 2) & 15u);
      const long long d = code[u] >> 8;
      slot[u] = tl * ns + k;
      const Interval &v = iv[slot[u]];
      if (v.empty) { what[u] = kFill; continue; }
      const void *src = s_src[k];
      const int dt = s_dtype[k];
      if (mode == RL_INTERP_LINEAR) {
        va[u] = rl_fm_load(src, dt, v.o0 + d);
        vb[u] = rl_fm_load(src, dt, v.o1 + d);
        w[u] = v.w;
        what[u] = kLerp;
      } else if (mode == RL_INTERP_HOLD || mode == RL_INTERP_NEAREST) {
        va[u] = rl_fm_load(src, dt, (mode == RL_INTERP_HOLD ? v.o0 : v.on) + d);
        what[u] = kCopy;
      } else {
        what[u] = kSlerp;
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; u++) {
      if (what[u] == kLerp) rl_fuse_store<ODT>(a.out, o[u], rl_fm_lerp(va[u], vb[u], w[u]));
      else if (what[u] == kCopy) rl_fuse_store<ODT>(a.out, o[u], va[u]);
      else if (what[u] == kFill) rl_fuse_store_fill<ODT>(a.out, o[u], a.fill_bits);
      else if (what[u] == kSlerp) rl_fuse_store<ODT>(a.out, o[u], slerp_element(iv[slot[u]], code[u], s_src, s_dtype));
    }
  }
}

// ---- end of the host-emulated part

template <int TDT, int ODT>
int launch_window(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s) {
  // Targets per block: about kElementsPerBlock output elements, halved while the grid would not give every
  // SM a few blocks (short batches), down to 8 targets.
  const long long B = a->batch, T = a->target_len;
  int chunk = (int)std::max<long long>(1, std::min<long long>(kMaxChunk, kElementsPerBlock / width));
  chunk = (int)std::min<long long>(chunk, T);
  while (chunk > 8 && B * ((T + chunk - 1) / chunk) < 4ll * rl_fuse_sm_count()) chunk /= 2;
  const long long chunks_per_row = (T + chunk - 1) / chunk, blocks = B * chunks_per_row;
  if (blocks > INT32_MAX) { rl_cuda_set_message("fuse: too many blocks (batch x target chunks >= 2^31)"); return -1; }
  const size_t smem = (size_t)chunk * a->nstreams * sizeof(Interval) + (size_t)width * sizeof(uint32_t);
  auto kernel = fuse_kernel<TDT, ODT>;
  if (smem > 48 * 1024) RL_CU(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
  kernel<<<(unsigned)blocks, kThreads, smem, s>>>(*a, chunk, (int)chunks_per_row, c_lo, width);
  RL_CU(cudaGetLastError());
  return 0;
}

template <int TDT> int launch_time(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s) {
  switch (a->out_dtype) {
  case RL_F32: return launch_window<TDT, RL_F32>(a, c_lo, width, s);
  case RL_BF16: return launch_window<TDT, RL_BF16>(a, c_lo, width, s);
  case RL_F16: return launch_window<TDT, RL_F16>(a, c_lo, width, s);
  default: rl_cuda_set_message("fuse: the cuda backend writes f32, bf16 or f16"); return -1;
  }
}

int launch_one(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s) {
  switch (a->time_dtype) {
  case RL_F32: return launch_time<RL_F32>(a, c_lo, width, s);
  case RL_F64: return launch_time<RL_F64>(a, c_lo, width, s);
  case RL_I64: return launch_time<RL_I64>(a, c_lo, width, s);
  default: rl_cuda_set_message("fuse: times are f32, f64 or i64"); return -1;
  }
}

} // namespace fuse_v1

int rl_fuse_v1_launch(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s) {
  return fuse_v1::launch_one(a, c_lo, width, s);
}
