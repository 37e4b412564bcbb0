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
// pair: its elements go two at a time (8-byte f32 or 4-byte 16-bit loads and stores; the host checks
// that every pair is aligned in the source and the output). A strip is 32 items (elements, or pairs) of
// the segment's item order (target-major); q, r = 32 / items per target, 32 % items per target: what a
// lane's (target, item) moves by from one strip to the next.
struct Seg { int c0, width, k, d0, kind, pair, q, r; };

// What streaming needs: the block's intervals [nvalid][ns], each stream's row (as in v2), the span's
// first output element and its row pitch.
struct Ctx {
  const Iv *iv;
  const unsigned char *const *src;
  void *out;
  int ns, nvalid, out_dim;
  unsigned long long fill_bits;
};

// Raw element i of a row (SDT's bits, 16-bit ones zero-extended), and elements i, i + 1 (i even).
template <int SDT> __device__ __forceinline__ unsigned load1(const unsigned char *row, int i) {
  return SDT == RL_F32 ? __ldg((const unsigned *)row + i) : (unsigned)__ldg((const unsigned short *)row + i);
}
template <int SDT> __device__ __forceinline__ void load2(const unsigned char *row, int i, unsigned &lo, unsigned &hi) {
  if (SDT == RL_F32) {
    const uint2 v = __ldg((const uint2 *)((const unsigned *)row + i));
    lo = v.x;
    hi = v.y;
  } else {
    const unsigned v = __ldg((const unsigned *)((const unsigned short *)row + i));
    lo = v & 0xffffu;
    hi = v >> 16;
  }
}

// One output element's raw bits from its raw source bits (lerp, or a copy), as the CPU pass computes it.
template <int SDT, int ODT, bool LERP> __device__ __forceinline__ unsigned make(unsigned a, unsigned b, float w) {
  const float x = fuse_v2::raw_value(a, SDT);
  return rl_fuse_bits<ODT>(LERP ? rl_fm_lerp(x, fuse_v2::raw_value(b, SDT), w) : x);
}

// Strips [j0, j1) of segment g, with P elements per item (1, or 2: pairs). Three passes over kUnroll
// strips: the intervals (shared memory) first, then every source load, then the stores, so a lane keeps
// up to 2 U loads in flight and the shared-memory latency is paid once per U items. Mode and dtypes are
// template arguments, uniform over the warp: no per-element dispatch.
template <int SDT, int ODT, bool LERP, int P, int U>
__device__ void walk(const Ctx &x, const Seg &g, int j0, int j1, int lane) {
  const int n = g.width / P; // items per target
  int t = (j0 * 32 + lane) / n;
  int d = (j0 * 32 + lane - t * n) * P;
  const int W = g.width;
  const unsigned char *src = x.src[g.k];
  const bool nearest = g.kind == kNearest;
  for (int j = j0; j < j1; j += U) {
    // per item: its first output element (-1: none), its samples' first elements (first < 0: the fill,
    // for an empty stream row), the weight; then their raw values
    int o[U], first[U], second[U];
    float w[U];
#pragma unroll
    for (int u = 0; u < U; u++) {
      o[u] = first[u] = second[u] = -1;
      w[u] = 0.0f;
      if (j + u < j1 && t < x.nvalid) {
        o[u] = t * x.out_dim + g.c0 + d;
        const Iv v = x.iv[t * x.ns + g.k];
        if (v.r0 >= 0) {
          first[u] = (nearest ? v.rn : v.r0) + g.d0 + d;
          second[u] = v.r1 + g.d0 + d;
          w[u] = v.w;
        }
      }
      t += g.q;
      d += g.r * P;
      if (d >= W) {
        d -= W;
        t++;
      }
    }
    unsigned a[U][P], b[U][P];
#pragma unroll
    for (int u = 0; u < U; u++) {
#pragma unroll
      for (int e = 0; e < P; e++) a[u][e] = b[u][e] = 0u;
      if (first[u] < 0) continue;
      if (P == 1) {
        a[u][0] = load1<SDT>(src, first[u]);
        if (LERP) b[u][0] = load1<SDT>(src, second[u]);
      } else {
        load2<SDT>(src, first[u], a[u][0], a[u][P - 1]);
        if (LERP) load2<SDT>(src, second[u], b[u][0], b[u][P - 1]);
      }
    }
#pragma unroll
    for (int u = 0; u < U; u++) {
      if (o[u] < 0) continue;
      unsigned r[P];
#pragma unroll
      for (int e = 0; e < P; e++) r[e] = first[u] < 0 ? (unsigned)x.fill_bits : make<SDT, ODT, LERP>(a[u][e], b[u][e], w[u]);
      if (P == 1) rl_fuse_store_fill<ODT>(x.out, o[u], r[0]); // raw bits
      else rl_fuse_store2<ODT>(x.out, o[u], r[0], r[P - 1]);
    }
  }
}

// One segment's strips [j0, j1), dispatched once on its mode, pairing and its stream's dtype.
template <int SDT, int ODT, int U> __device__ void walk_modes(const Ctx &x, const Seg &g, int j0, int j1, int lane) {
  const bool lerp = g.kind == kLerp;
  if (g.pair) {
    if (lerp) walk<SDT, ODT, true, 2, U>(x, g, j0, j1, lane);
    else walk<SDT, ODT, false, 2, U>(x, g, j0, j1, lane);
  } else {
    if (lerp) walk<SDT, ODT, true, 1, U>(x, g, j0, j1, lane);
    else walk<SDT, ODT, false, 1, U>(x, g, j0, j1, lane);
  }
}
template <int ODT, int U> __device__ void walk_segment(const Ctx &x, const Seg &g, int dtype, int j0, int j1, int lane) {
  if (dtype == RL_F32) walk_modes<RL_F32, ODT, U>(x, g, j0, j1, lane);
  else if (dtype == RL_BF16) walk_modes<RL_BF16, ODT, U>(x, g, j0, j1, lane);
  else walk_modes<RL_F16, ODT, U>(x, g, j0, j1, lane);
}

} // namespace fuse_v3
#endif
