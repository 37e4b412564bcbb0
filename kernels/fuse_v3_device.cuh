// Device helpers of the fused kernel v3 (fuse_v3.cu): the output's segments and the streaming of one
// segment's elements. Include after fuse_v2_device.cuh (the emulation's stand-ins too).
#ifndef ROBOLUA_FUSE_V3_DEVICE_CUH
#define ROBOLUA_FUSE_V3_DEVICE_CUH

namespace fuse_v3 {

using fuse_v2::Iv;

// How a segment's elements are made: a + w (b - a), a copy of the interval's first or nearer sample, or
// a quaternion group's slerp (one thread per group and target).
enum { kLerp = 0, kHold, kNearest, kSlerp };

// A run of channels of one stream with one mode, as the host lists them (fuse_v3.cu, build_segments):
// output channels [c0, c0 + width) of the launch's window are the stream's channels [d0, d0 + width).
// q, r = 32 / width, 32 % width: what a lane's (target, channel) moves by from one strip to the next.
struct Seg { int c0, width, k, d0, kind, q, r; };

// What streaming needs: the block's intervals [nvalid][ns], each stream's row (as in v2), the span's
// first output element and its row pitch.
struct Ctx {
  const Iv *iv;
  const unsigned char *const *src;
  void *out;
  int ns, nvalid, out_dim;
  unsigned long long fill_bits;
};

template <int SDT> __device__ __forceinline__ unsigned load_raw_t(const unsigned char *row, int i) {
  return SDT == RL_F32 ? __ldg((const unsigned *)row + i) : (unsigned)__ldg((const unsigned short *)row + i);
}

// Strips [j0, j1) of segment g: strip j holds its elements 32 j .. 32 j + 31 (element e = target x width +
// channel, so a warp's stores and each row's loads are consecutive). Mode and dtype are template
// arguments, uniform over the warp: no per-element dispatch. kUnroll strips' loads are issued before the
// first store, so a lane keeps 4 to 8 loads in flight.
template <int SDT, int ODT, bool LERP, int U>
__device__ void walk(const Ctx &x, const Seg &g, int j0, int j1, int lane) {
  const int W = g.width;
  int t = (j0 * 32 + lane) / W;
  int d = j0 * 32 + lane - t * W;
  const unsigned char *src = x.src[g.k];
  const bool nearest = g.kind == kNearest;
  for (int j = j0; j < j1; j += U) {
    unsigned ra[U], rb[U];
    float w[U];
    int o[U], fill[U];
#pragma unroll
    for (int u = 0; u < U; u++) {
      o[u] = -1;
      fill[u] = 0;
      ra[u] = rb[u] = 0u;
      w[u] = 0.0f;
      if (j + u < j1 && t < x.nvalid) {
        o[u] = t * x.out_dim + g.c0 + d;
        const Iv v = x.iv[t * x.ns + g.k];
        if (v.r0 < 0) {
          fill[u] = 1;
        } else {
          ra[u] = load_raw_t<SDT>(src, (nearest ? v.rn : v.r0) + g.d0 + d);
          if (LERP) rb[u] = load_raw_t<SDT>(src, v.r1 + g.d0 + d);
          w[u] = v.w;
        }
      }
      t += g.q;
      d += g.r;
      if (d >= W) {
        d -= W;
        t++;
      }
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      if (o[u] < 0) continue;
      if (fill[u]) rl_fuse_store_fill<ODT>(x.out, o[u], x.fill_bits);
      else if (LERP) rl_fuse_store<ODT>(x.out, o[u], rl_fm_lerp(fuse_v2::raw_value(ra[u], SDT), fuse_v2::raw_value(rb[u], SDT), w[u]));
      else rl_fuse_store<ODT>(x.out, o[u], fuse_v2::raw_value(ra[u], SDT));
    }
  }
}

// One segment's strips [j0, j1), dispatched once on its mode and its stream's dtype.
template <int ODT, int U> __device__ void walk_segment(const Ctx &x, const Seg &g, int dtype, int j0, int j1, int lane) {
  const bool lerp = g.kind == kLerp;
  if (dtype == RL_F32) {
    if (lerp) walk<RL_F32, ODT, true, U>(x, g, j0, j1, lane);
    else walk<RL_F32, ODT, false, U>(x, g, j0, j1, lane);
  } else if (dtype == RL_BF16) {
    if (lerp) walk<RL_BF16, ODT, true, U>(x, g, j0, j1, lane);
    else walk<RL_BF16, ODT, false, U>(x, g, j0, j1, lane);
  } else {
    if (lerp) walk<RL_F16, ODT, true, U>(x, g, j0, j1, lane);
    else walk<RL_F16, ODT, false, U>(x, g, j0, j1, lane);
  }
}

} // namespace fuse_v3
#endif
