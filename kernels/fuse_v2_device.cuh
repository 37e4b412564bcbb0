// Device helpers of the fused kernels v2 (fuse_v2.cu) and v3 (fuse_v3.cu): time loads, the search both
// share (steps 1 and 2: probes, brackets, staged windows, one interval per target and stream), raw value
// loads, and v2's streaming of a block's output span. Include after the CUDA headers (or the emulation's
// stand-ins, tests/fuse_emulation/shim.h), fuse_math.h and fuse_store.cuh.
#ifndef ROBOLUA_FUSE_V2_DEVICE_CUH
#define ROBOLUA_FUSE_V2_DEVICE_CUH
#include <algorithm>

namespace fuse_v2 {

constexpr int kWarps = 8;
constexpr int kThreads = kWarps * 32; // a block of v2 and v3 (the search's loops stride by it)
// The search (steps 1 and 2 of v2 and v3, below):
constexpr int kSlotsPerTarget = 48; // staged times per target (robot4 needs ~33: imu 20, joints 10, ...)
constexpr int kProbesPerLane = 4;   // step 1's probes: 128 per stream, loaded with the facts
constexpr int kFirstProbes = 32 * kProbesPerLane;
constexpr int kCoarse = 256;        // a bracket this narrow is staged as it is; wider ones are refined

struct Iv { int r0, r1, rn; float w; }; // rows i0, i1, inear as element offsets (row x D) in row b; r0 < 0: empty

template <int TDT> struct TimeOf { typedef float T; };
template <> struct TimeOf<RL_F64> { typedef double T; };
template <> struct TimeOf<RL_I64> { typedef int64_t T; };

__device__ __forceinline__ float ld_time(const float *p) { return __ldg(p); }
__device__ __forceinline__ double ld_time(const double *p) { return __ldg(p); }
__device__ __forceinline__ int64_t ld_time(const int64_t *p) { return (int64_t)__ldg((const long long *)p); }

__device__ __forceinline__ void weigh(float x, float t0, float t1, float *w, int *later) { rl_fm_weigh_f32(x, t0, t1, w, later); }
__device__ __forceinline__ void weigh(double x, double t0, double t1, float *w, int *later) { rl_fm_weigh_f64(x, t0, t1, w, later); }
__device__ __forceinline__ void weigh(int64_t x, int64_t t0, int64_t t1, float *w, int *later) { rl_fm_weigh_i64(x, t0, t1, w, later); }

__device__ __forceinline__ rl_fm_iv locate_global(const float *st, int L, float x) { return rl_fm_locate_f32(st, L, x, -1); }
__device__ __forceinline__ rl_fm_iv locate_global(const double *st, int L, double x) { return rl_fm_locate_f64(st, L, x, -1); }
__device__ __forceinline__ rl_fm_iv locate_global(const int64_t *st, int L, int64_t x) { return rl_fm_locate_i64(st, L, x, -1); }

// Value i of a row of src, raw (f32 bits, or bf16 / f16 bits zero-extended), through the read-only path;
// converted only where it is used, so a thread's loads stay in flight together (a conversion right after
// its load would wait for it).
__device__ __forceinline__ unsigned load_raw(const unsigned char *row, int dtype, int i) {
  return dtype == RL_F32 ? __ldg((const unsigned *)row + i) : (unsigned)__ldg((const unsigned short *)row + i);
}
// ... as float, exactly (the CPU pass's rl_fm_load).
__device__ __forceinline__ float raw_value(unsigned u, int dtype) {
  if (dtype == RL_BF16) return rl_bits_to_float(u << 16);
  if (dtype == RL_F16) return rl_half_to_float((uint16_t)u);
  return rl_bits_to_float(u);
}

// Narrows a bracket [lo, hi] of the count of st[0..L) <= x (sorted st; any st: a bracket inside [0, L])
// until it is at most `width` wide: each round the warp's 32 lanes probe 32 evenly spaced times, dividing
// it by 33. Called by a whole warp.
template <class TT> __device__ void refine(const TT *st, TT x, int width, int lane, int &lo, int &hi) {
  while (hi - lo > width) {
    const int step = (int)(((long long)hi - lo + 31) / 32);
    const long long probe = lo + (long long)(lane + 1) * step - 1;
    const unsigned le = __ballot_sync(0xffffffffu, probe < hi && ld_time(st + probe) <= x);
    const int m = __popc(le); // probes <= x (a prefix of the lanes for sorted times)
    const long long next_hi = lo + (long long)(m + 1) * step - 1;
    hi = (int)(next_hi < hi ? next_hi : hi);
    lo += m * step;
  }
}

// fuse_math.h's rule for x in one stream whose times [wlo, whi] are staged at s[0..]. For sorted times and
// targets the window was built so that: st[0] is staged if x can lie before it (else x >= st[wlo] >=
// st[0]); st[L-1] is staged if x can reach it (else x < st[whi] <= st[L-1]); and st[wlo] <= x < st[whi]
// whenever x is strictly inside [st[0], st[L-1]). So the search below ends on the CPU's interval.
template <class TT> __device__ rl_fm_iv locate_staged(const TT *s, int wlo, int whi, int L, TT x) {
  rl_fm_iv v = {0, 0, 0, 0.0f, 0};
  if (L == 1 || (wlo == 0 && !(x >= s[0]))) return v;
  if (whi == L - 1 && x >= s[whi - wlo]) {
    v.i0 = v.i1 = v.inear = L - 1;
    return v;
  }
  int lo = wlo, hi = whi;
  while (hi - lo > 1) {
    const int mid = lo + ((hi - lo) >> 1);
    if (s[mid - wlo] <= x) lo = mid; else hi = mid;
  }
  int later;
  weigh(x, s[lo - wlo], s[hi - wlo], &v.w, &later);
  v.i0 = lo;
  v.i1 = hi;
  v.inear = later ? hi : lo;
  return v;
}

// ---- The search, shared by v2 and v3. A block owns (batch row b, targets t0 ..); per stream k, rows[k]
// (shared memory) holds times (its row b), L (valid samples), D (channels) and cnt[2] (step 1's result).

// Staged time slots a block of `targets` targets needs (each stream's two brackets at their widest too).
inline int search_slots(const rl_fuse_args *a, int targets) {
  int slots = targets * kSlotsPerTarget + 64;
  for (int k = 0; k < a->nstreams; k++)
    slots += 2 * (int)std::min<long long>(kCoarse, (a->streams[k].source_len + kFirstProbes - 1) / kFirstProbes) + 2;
  return slots;
}

// Step 1, with the facts: warp wk < nstreams loads its 128 probes of stream wk, evenly spaced over the
// padded size S (positions from S alone, so they need no facts yet). Returns the spacing.
template <class TT> __device__ __forceinline__ int load_probes(const rl_fuse_args &a, int b, int wk, int lane, TT (&probe)[kProbesPerLane]) {
  if (wk >= a.nstreams) return 1;
  const long long S = a.streams[wk].source_len;
  const TT *st = (const TT *)a.streams[wk].times + (long long)b * S;
  const int step = (int)((S + kFirstProbes - 1) / kFirstProbes);
#pragma unroll
  for (int i = 0; i < kProbesPerLane; i++) {
    const long long at = (long long)(lane * kProbesPerLane + i + 1) * step - 1;
    probe[i] = at < S ? ld_time(st + at) : TT(0);
  }
  return step;
}

// Step 1, after the facts' barrier: *unsorted set if the chunk's valid targets xs[0..nvalid) are not
// sorted, and per stream (warp wk) a bracket cnt[0] <= #(times <= the first valid target), cnt[1] >=
// #(times <= the last) from the probes, refined to kCoarse (probes at or past L count as greater:
// padding decides nothing).
template <class TT, class R>
__device__ __forceinline__ void find_brackets(R *rows, const TT *xs, int nvalid, int ns, int tid, int step,
                                              const TT (&probe)[kProbesPerLane], int *unsorted) {
  const int wk = tid >> 5, lane = tid & 31;
  if (nvalid <= 0) return;
  if (tid + 1 < nvalid && !(xs[tid] <= xs[tid + 1])) *unsorted = 1;
  const int L = wk < ns ? rows[wk].L : 0;
  if (L <= 0) return; // (uniform over the warp)
  const TT *st = (const TT *)rows[wk].times;
  int bound[2];
  for (int end = 0; end < 2; end++) {
    const TT x = xs[end ? nvalid - 1 : 0];
    int m = 0;
#pragma unroll
    for (int i = 0; i < kProbesPerLane; i++) {
      const long long at = (long long)(lane * kProbesPerLane + i + 1) * step - 1;
      m += __popc(__ballot_sync(0xffffffffu, at < L && probe[i] <= x));
    }
    const long long top = (long long)(m + 1) * step - 1;
    int lo = m * step, hi = top < L ? (int)top : L;
    refine(st, x, kCoarse, lane, lo, hi);
    bound[end] = end ? hi : lo;
  }
  if (lane == 0) {
    rows[wk].cnt[0] = bound[0];
    rows[wk].cnt[1] = bound[1];
  }
}

// Step 2, after step 1's barrier: stream k's window [max(cnt[0] - 1, 0), min(cnt[1], L - 1)]
// (locate_staged says why that suffices) is staged in stream order while the windows fit `slots` and the
// targets are sorted; wlo/whi/soff[k] get its bounds and offset in stage (-1: not staged). Every thread
// walks the streams, so the offsets need no barrier of their own. Waits for its copies.
template <class TT, class R>
__device__ __forceinline__ void stage_windows(const R *rows, int ns, int nvalid, int sorted, int slots, TT *stage, int tid,
                                              int *wlo, int *whi, int *soff) {
  if (nvalid <= 0) return;
  int off = 0;
  for (int k = 0; k < ns; k++) {
    const R &r = rows[k];
    int lo = 0, hi = -1;
    if (r.L > 0) {
      lo = max(r.cnt[0] - 1, 0);
      hi = min(r.cnt[1], r.L - 1);
    }
    const int size = hi - lo + 1, staged = sorted && size > 0 && off + size <= slots;
    if (staged) {
      const TT *from = (const TT *)r.times + lo;
      for (int j = tid; j < size; j += kThreads) __pipeline_memcpy_async(stage + off + j, from + j, sizeof(TT));
    }
    if (tid == k) {
      wlo[k] = lo;
      whi[k] = hi;
      soff[k] = staged ? off : -1;
    }
    if (staged) off += size;
  }
  __pipeline_commit();
  __pipeline_wait_prior(0);
}

// Step 2, after the staging's barrier: one interval per (target, stream), iv[target][stream], as element
// offsets (row x D) in row b; a stream with no valid sample gives r0 = -1.
template <class TT, class R>
__device__ __forceinline__ void locate_all(const R *rows, const TT *xs, const TT *stage, const int *wlo, const int *whi,
                                           const int *soff, int nvalid, int ns, int tid, Iv *iv) {
  for (int task = tid; task < nvalid * ns; task += kThreads) {
    const int tl = task / ns, k = task - tl * ns, L = rows[k].L;
    rl_fm_iv v = {0, 0, 0, 0.0f, 1};
    if (L > 0) {
      v = soff[k] >= 0 ? locate_staged(stage + soff[k], wlo[k], whi[k], L, xs[tl]) : locate_global((const TT *)rows[k].times, L, xs[tl]);
    }
    const int D = rows[k].D;
    Iv o = {-1, -1, -1, 0.0f};
    if (!v.empty) o = Iv{(int)v.i0 * D, (int)v.i1 * D, (int)v.inear * D, v.w};
    iv[task] = o;
  }
}
// ---- end of the search

enum { kNothing = 0, kLerp, kCopy, kFill }; // what an element stores

// What streaming a block's output span needs: its intervals [nt][ns] and channel table [width] in shared
// memory, each stream's row and dtype, and the span: rows [0, nt), of which [nvalid, nt) are padding, of
// `width` channels, out_dim apart.
struct Span {
  const Iv *iv;
  const uint32_t *table;
  const unsigned char *const *src;
  const int *dtype;
  void *out;
  int ns, nt, nvalid, width, out_dim;
  unsigned long long fill_bits;
};

// Every non-slerp element of the span (slerp groups are the caller's). Warp `warp` takes row passes
// warp * UR, warp * UR + 1, ... (kWarps * UR apart); lane `lane` owns J channels, 32 apart (a span of at
// most 32 channels: P = 32 / width rows per pass, lane = row offset x width + channel), and keeps their
// descriptors (stream, mode, offset, row pointer, dtype) in registers for the whole walk, so an element
// costs one shared-memory load (its interval), its one or two source loads and a store. Each lane issues
// the loads of its UR x J elements (4 to 6) before it uses the first; lanes on consecutive channels make every load
// and store coalesced. Spans wider than 128 channels are walked in chunks of 32 J channels.
template <int J, int ODT> __device__ void stream_rows(const Span &s, int warp, int lane) {
  constexpr int UR = J == 1 ? 4 : J == 2 ? 3 : J == 3 ? 2 : 1; // 4 to 6 elements: 64 registers
  const int W = s.width, P = J == 1 ? 32 / W : 1, row_off = J == 1 ? lane / W : 0;
  const int passes = (s.nt + P - 1) / P;
  for (int cb = 0; cb < W; cb += 32 * J) {
    // per slot: channel c (>= W: none), and its descriptor: mode | stream << 2 | dtype << 5 (or -1: no
    // stream writes c, or a slerp channel), the offset d in the stream's row, the row's pointer
    int c[J], desc[J], d[J];
    const unsigned char *src[J];
#pragma unroll
    for (int j = 0; j < J; j++) {
      c[j] = J == 1 ? (lane < P * W ? lane % W : W) : cb + lane + 32 * j;
      const uint32_t code = c[j] < W ? s.table[c[j]] : RL_FM_NO_CHANNEL;
      const int mode = (int)(code & 3u), k = (int)((code >> 2) & 15u);
      const bool data = code != RL_FM_NO_CHANNEL && mode != RL_INTERP_SLERP;
      desc[j] = data ? mode | k << 2 | s.dtype[k] << 5 : -1;
      d[j] = data ? (int)(code >> 8) : 0;
      src[j] = s.src[data ? k : 0];
    }
    for (int p0 = warp * UR; p0 < passes; p0 += kWarps * UR) {
      unsigned ra[UR][J], rb[UR][J];
      float w[UR][J];
      int what[UR][J];
#pragma unroll
      for (int u = 0; u < UR; u++) {
        const int row = (p0 + u) * P + row_off;
#pragma unroll
        for (int j = 0; j < J; j++) {
          what[u][j] = kNothing;
          ra[u][j] = rb[u][j] = 0u;
          w[u][j] = 0.0f;
          if (row >= s.nt || c[j] >= W) continue;
          if (row >= s.nvalid) {
            what[u][j] = kFill;
            continue;
          }
          if (desc[j] < 0) continue;
          const int mode = desc[j] & 3, dt = desc[j] >> 5;
          const Iv v = s.iv[row * s.ns + ((desc[j] >> 2) & 7)];
          if (v.r0 < 0) {
            what[u][j] = kFill;
            continue;
          }
          ra[u][j] = load_raw(src[j], dt, (mode == RL_INTERP_NEAREST ? v.rn : v.r0) + d[j]);
          if (mode == RL_INTERP_LINEAR) rb[u][j] = load_raw(src[j], dt, v.r1 + d[j]);
          w[u][j] = v.w;
          what[u][j] = mode == RL_INTERP_LINEAR ? kLerp : kCopy;
        }
      }
#pragma unroll
      for (int u = 0; u < UR; u++) {
        const int row = (p0 + u) * P + row_off;
#pragma unroll
        for (int j = 0; j < J; j++) {
          const int o = row * s.out_dim + c[j], dt = desc[j] >> 5;
          if (what[u][j] == kLerp) rl_fuse_store<ODT>(s.out, o, rl_fm_lerp(raw_value(ra[u][j], dt), raw_value(rb[u][j], dt), w[u][j]));
          else if (what[u][j] == kCopy) rl_fuse_store<ODT>(s.out, o, raw_value(ra[u][j], dt));
          else if (what[u][j] == kFill) rl_fuse_store_fill<ODT>(s.out, o, s.fill_bits);
        }
      }
    }
  }
}

} // namespace fuse_v2
#endif
