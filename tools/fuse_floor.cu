// fuse_floor: how close to a same-size copy does the robot4 fusion get when finding the intervals is free?
//
// An oracle experiment for kernels/NOTES.md ("The oracle"), standalone (no robolua): robot4's shapes
// (lua/robolua/workloads/fuse.lua presets: camera 30 Hz x 64, joints 500 Hz x 14, imu 1 kHz x 10, events
// 100 Hz x 2 hold; 10 s at 50 Hz: T = 500, D = 90; f32 values, relative f32 times) with uniform clocks and
// full lengths, so every target's interval is known by arithmetic: no search. Each kernel reads only what
// any correct fusion must read (the target time, the two bracketing source times, the source rows) and
// writes the output once: its DRAM traffic is a lower bound on a real kernel's for the same data, and its
// time says what the output phase alone costs in simple kernel forms (not a bound on every form). Timed
// against a cudaMemcpy of the fuse workload's counted bytes (half read, half written, like robolua's
// same-size copy) by the same loop in the same run. Counted bytes follow the workload's rule (non-ragged:
// every time, min(S, 2T) rows for linear channels, min(S, T) for hold).
//
//   nvcc -O3 -std=c++17 -arch=sm_90 -o fuse_floor tools/fuse_floor.cu   (CMake builds it as build/tools/fuse_floor)
//   fuse_floor [B ...]     the oracle at batch sizes B (default 64 256)
//   fuse_floor pattern     the gathered streams' read pattern alone, against dense reads
//   FUSE_FLOOR_PROFILE=1   every kernel launched once and nothing timed, for ncu
//   FUSE_FLOOR_L2_FETCH=N  cudaLimitMaxL2FetchGranularity set to N bytes (0-128) first; the run says what it got
// Last for each B, the rows form on jittered, ragged clocks with the intervals from the host (run_jittered),
// and the same walk searching for them on the GPU (search/R, search_mid/R): what a real search costs it.
//
// Kernels: "pairs/N": one thread per output float2, N per thread (consecutive threads write consecutive
// pairs); "elem": one thread per output float; "cs": evict-first stores. Subsets, each fused into its own
// [B, T, width] output: all four streams, the camera alone (dense rows), the three gathered streams. Each
// variant's output is checked against float64 host arithmetic on sampled elements before it is timed;
// the "no-times" and "no-store" rows are diagnostics that read or write less than a correct kernel must.
#include <cuda_runtime.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { \
  std::fprintf(stderr, "fuse_floor: %s failed: %s (line %d)\n", #x, cudaGetErrorString(e_), __LINE__); std::exit(1); } } while (0)

namespace {

constexpr int kStreams = 4, kT = 500, kTargetRate = 50, kDout = 90, kPairs = kDout / 2, kCameraPairs = 32, kRotate = 4;
struct StreamShape { const char* name; int rate, dim, hold; };
constexpr StreamShape kShape[kStreams] = { { "camera", 30, 64, 0 }, { "joints", 500, 14, 0 }, { "imu", 1000, 10, 0 },
  { "events", 100, 2, 1 } };
constexpr int first_pair(int s) { return s == 0 ? 0 : first_pair(s - 1) + kShape[s - 1].dim / 2; }
constexpr int kJoints = first_pair(1), kImu = first_pair(2), kEvents = first_pair(3);  // robot4: 32, 39, 44
static_assert(first_pair(kStreams) == kPairs && kCameraPairs == kJoints, "robot4's widths");

struct Stream { const float* src; const float* times; int S, D, rate, hold; };
// lo: jittered mode's intervals from the host, [B x T][stream], -1 for a padded target row (nullptr: the
// uniform clocks' arithmetic).
// tlen, L: jittered mode's valid targets per row [B] and valid samples per stream and row [stream][B], for the
// kernels that find the intervals themselves (lo == nullptr there).
struct Problem { Stream s[kStreams]; const float* tgt; float* out; int B; const int* lo; const int* tlen; const int* L; };
constexpr float kFill = -3.0f;  // what padded target rows get (jittered mode)

// Pair p's stream and channel by comparisons with the first pairs of the streams, and the stream's fields by static index: a per-lane table lookup or a dynamically indexed
// kernel parameter makes the loads issue through the MIO queue one address at a time, and the first form
// of this tool (a constant-memory table) was bound by exactly that (ncu: MIO throttle, 87% pipe busy).
// The linear weight of target `row` (batch row b) in interval lo of stream st, clamped to [0, 1].
__device__ __forceinline__ float weight(const Problem& P, const Stream& st, int b, int row, int lo) {
  const float* ts = st.times + (size_t)b * st.S;
  const float t = __ldg(P.tgt + row), t0 = __ldg(ts + lo), t1 = __ldg(ts + lo + 1);
  return fminf(fmaxf((t - t0) / (t1 - t0), 0.f), 1.f);
}

// Diagnostic forms of the kernels (timed unchecked, to split the time): kNoTimes weighs by the target
// index instead of reading the three times; kNoStores reads everything and writes nothing; kStreaming
// writes with evict-first stores (st.global.cs).
enum Form { kFull, kNoTimes, kNoStores, kStreaming };

template <int F = kFull>
__device__ __forceinline__ float2 one_pair(const Problem& P, int row, int p) {
  const int b = row / kT, j = row - b * kT;
  const int s = p < kJoints ? 0 : p < kImu ? 1 : p < kEvents ? 2 : 3;
  const int c = 2 * (p - (s == 0 ? 0 : s == 1 ? kJoints : s == 2 ? kImu : kEvents));
  const Stream st = s == 0 ? P.s[0] : s == 1 ? P.s[1] : s == 2 ? P.s[2] : P.s[3];
  int lo = j * st.rate / kTargetRate;  // uniform clocks: the interval is arithmetic (the oracle)
  if (lo > st.S - 2) lo = st.S - 2;
  const float2* r0 = reinterpret_cast<const float2*>(st.src + ((size_t)b * st.S + lo) * st.D + c);
  if (st.hold) return __ldg(r0);
  const float w = F == kNoTimes ? (float)(j * st.rate - lo * kTargetRate) / kTargetRate : weight(P, st, b, row, lo);
  const float2 a = __ldg(r0), z = __ldg(r0 + st.D / 2);
  return make_float2(fmaf(w, z.x - a.x, a.x), fmaf(w, z.y - a.y, a.y));
}

// PB..PE: the pairs this launch writes, fixed at compile time so that the index math is 32-bit
// multiplies by constants (a runtime 64-bit division per thread made the first form issue-bound).
template <int PB, int PE, int N, int F = kFull>
__global__ void pairs_kernel(Problem P) {
  constexpr int np = PE - PB;
  const unsigned n = (unsigned)P.B * kT * np;
  const unsigned first = blockIdx.x * blockDim.x * N + threadIdx.x;
  float2 v[N];
  unsigned at[N];
#pragma unroll
  for (int k = 0; k < N; ++k) {  // all loads first, then all stores: N pairs' loads in flight
    const unsigned i = first + k * blockDim.x;
    at[k] = ~0u;
    if (i < n) {
      const unsigned row = i / np, p = PB + (i - row * np);
      v[k] = one_pair<F>(P, (int)row, (int)p);
      at[k] = row * (2 * np) + 2 * (p - PB);  // the subset's own [B, T, its width] output
    }
  }
  if constexpr (F == kNoStores) {
    float acc = 0.f;
#pragma unroll
    for (int k = 0; k < N; ++k) acc += v[k].x + v[k].y;
    if (acc == 12345.f) P.out[0] = acc;  // keeps the loads; never true for the fill's values
  } else {
#pragma unroll
    for (int k = 0; k < N; ++k) {
      if (at[k] == ~0u) continue;
      float2* o = reinterpret_cast<float2*>(P.out + at[k]);
      if (F == kStreaming) __stcs(o, v[k]); else *o = v[k];
    }
  }
}

// One thread per output float: the pair's arithmetic for half of it (the loads of a pair, one lane each).
// "rows/R": a block owns R consecutive target rows. First one thread per (row, stream) finds the bracket
// and its weight (the target time and the two source times read once, not once per pair), into shared
// memory; then the block's pairs, N per thread in flight, read only the source rows.
// ORDER 0: the block's items row-major (consecutive threads, consecutive output pairs); 1: stream-major
// (a stream's pairs of every row, then the next stream's), the order v3's segment walks use.
template <int PB, int PE, int R, int N, int ORDER = 0>
__global__ void __launch_bounds__(256) rows_kernel(Problem P) {
  constexpr int np = PE - PB;
  __shared__ int s_lo[R][kStreams];
  __shared__ float s_w[R][kStreams];
  const int row0 = blockIdx.x * R, nrows = min(R, P.B * kT - row0);
  for (int i = threadIdx.x; i < nrows * kStreams; i += blockDim.x) {
    const int r = i / kStreams, s = i - r * kStreams, row = row0 + r, b = row / kT, j = row - b * kT;
    const Stream st = s == 0 ? P.s[0] : s == 1 ? P.s[1] : s == 2 ? P.s[2] : P.s[3];
    int lo = P.lo ? __ldg(P.lo + (size_t)row * kStreams + s) : j * st.rate / kTargetRate;
    if (lo > st.S - 2) lo = st.S - 2;
    const float w = lo >= 0 && !st.hold ? weight(P, st, b, row, lo) : 0.f;
    s_lo[r][s] = lo;
    s_w[r][s] = w;
  }
  __syncthreads();
  const int n = nrows * np;
  for (int base = threadIdx.x; base < n; base += blockDim.x * N) {
    float2 v[N];
    int at[N];
#pragma unroll
    for (int k = 0; k < N; ++k) {
      const int i = base + k * blockDim.x;
      at[k] = -1;
      if (i < n) {
        int r, p;
        if (ORDER == 0) {
          r = i / np;
          p = PB + (i - r * np);
        } else {  // stream-major: the streams' first items at nrows x their first pairs
          const int q = PB + i / nrows;  // a pair index with the right stream (streams are whole)
          const int sq = q < kJoints ? 0 : q < kImu ? 1 : q < kEvents ? 2 : 3;
          const int f = sq == 0 ? 0 : sq == 1 ? kJoints : sq == 2 ? kImu : kEvents;
          const int g = (sq == 3 ? kPairs : sq == 2 ? kEvents : sq == 1 ? kImu : kJoints) - f;
          const int k = i - (f - PB) * nrows;
          r = k / g;
          p = f + (k - r * g);
        }
        const int row = row0 + r, b = row / kT;
        const int s = p < kJoints ? 0 : p < kImu ? 1 : p < kEvents ? 2 : 3;
        const int c = 2 * (p - (s == 0 ? 0 : s == 1 ? kJoints : s == 2 ? kImu : kEvents));
        const Stream st = s == 0 ? P.s[0] : s == 1 ? P.s[1] : s == 2 ? P.s[2] : P.s[3];
        const int lo = s_lo[r][s];
        const float2* r0 = reinterpret_cast<const float2*>(st.src + ((size_t)b * st.S + (lo < 0 ? 0 : lo)) * st.D + c);
        const float w = s_w[r][s];
        const float2 a = lo < 0 ? make_float2(kFill, kFill) : __ldg(r0);
        if (st.hold || lo < 0) {
          v[k] = a;
        } else {
          const float2 z = __ldg(r0 + st.D / 2);
          v[k] = make_float2(fmaf(w, z.x - a.x, a.x), fmaf(w, z.y - a.y, a.y));
        }
        at[k] = row * (2 * np) + 2 * (p - PB);
      }
    }
#pragma unroll
    for (int k = 0; k < N; ++k)
      if (at[k] >= 0) *reinterpret_cast<float2*>(P.out + at[k]) = v[k];
  }
}

template <int PB, int PE>
__global__ void elem_kernel(Problem P) {
  constexpr int ne = 2 * (PE - PB);
  const unsigned n = (unsigned)P.B * kT * ne;
  const unsigned i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const unsigned row = i / ne, e = 2 * PB + (i - row * ne);
  const float2 v = one_pair<>(P, (int)row, (int)(e / 2));
  P.out[(size_t)row * ne + e - 2 * PB] = (e & 1) ? v.y : v.x;
}

// The copy as a kernel (16-byte vectors, grid-stride), for ncu's DRAM figures beside cudaMemcpy's time.
__global__ void copy_kernel(float4* __restrict__ z, const float4* __restrict__ a, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) z[i] = __ldg(a + i);
}

__global__ void fill_kernel(float* x, size_t n, unsigned seed) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
    unsigned h = (unsigned)i * 2654435761u ^ seed;
    h ^= h >> 15; h *= 2246822519u; h ^= h >> 13;
    x[i] = (float)(h & 0xffffff) / 16777216.f - 0.5f;
  }
}

__global__ void clock_kernel(float* x, int B, int S, int rate) {  // t_i = i / rate, every row
  const long long n = (long long)B * S;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
    x[i] = (float)(i % S) / (float)rate;
}

int source_len(int s) { return kShape[s].rate * (kT / kTargetRate); }

// The fuse workload's byte count for pairs [p_begin, p_end) (whole streams only), which fuse those
// streams alone into an output of their width.
double counted_bytes(int B, int p_begin, int p_end) {
  double n = (double)B * kT * 2 * (p_end - p_begin) * 4 + (double)B * kT * 4;
  for (int s = 0; s < kStreams; ++s) {
    if (first_pair(s) < p_begin || first_pair(s) >= p_end) continue;
    const int S = source_len(s), rows = kShape[s].hold ? std::min(S, kT) : std::min(S, 2 * kT);
    n += (double)B * S * 4 + (double)B * rows * kShape[s].dim * 4;
  }
  return n;
}

struct Set { float* src[kStreams]; float* times[kStreams]; float* tgt; float* out; };

Problem problem(const Set& d, int B) {
  Problem P{};
  for (int s = 0; s < kStreams; ++s)
    P.s[s] = { d.src[s], d.times[s], source_len(s), kShape[s].dim, kShape[s].rate, kShape[s].hold };
  P.tgt = d.tgt; P.out = d.out; P.B = B;
  return P;
}

// Checks sampled output elements against float64 arithmetic on the host copies. -> worst abs error
double check(const Set& d, int B, int p_begin, int p_end) {
  std::vector<float> out((size_t)B * kT * kDout);
  CK(cudaMemcpy(out.data(), d.out, out.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<std::vector<float>> src(kStreams), tms(kStreams);
  for (int s = 0; s < kStreams; ++s) {
    src[s].resize((size_t)B * source_len(s) * kShape[s].dim);
    tms[s].resize((size_t)B * source_len(s));
    CK(cudaMemcpy(src[s].data(), d.src[s], src[s].size() * 4, cudaMemcpyDeviceToHost));
    CK(cudaMemcpy(tms[s].data(), d.times[s], tms[s].size() * 4, cudaMemcpyDeviceToHost));
  }
  std::vector<float> tgt((size_t)B * kT);
  CK(cudaMemcpy(tgt.data(), d.tgt, tgt.size() * 4, cudaMemcpyDeviceToHost));
  double worst = 0;
  for (int k = 0; k < 20000; ++k) {
    const int row = (int)(((unsigned)k * 2654435761u) % (unsigned)(B * kT));
    const int e = 2 * p_begin + (int)(((unsigned)k * 40503u) % (unsigned)(2 * (p_end - p_begin)));
    int s = 0;
    while (s + 1 < kStreams && 2 * first_pair(s + 1) <= e) ++s;
    const int ch = e - 2 * first_pair(s), S = source_len(s), D = kShape[s].dim, b = row / kT;
    // the reference brackets the target by comparing times (not the kernel's arithmetic)
    int lo = 0;
    while (lo + 2 < S && tms[s][(size_t)b * S + lo + 1] <= tgt[row]) ++lo;
    const double a = src[s][((size_t)b * S + lo) * D + ch], z = src[s][((size_t)b * S + lo + 1) * D + ch];
    double want = a;
    if (!kShape[s].hold) {
      const double t0 = tms[s][(size_t)b * S + lo], t1 = tms[s][(size_t)b * S + lo + 1];
      const double w = std::min(std::max((tgt[row] - t0) / (t1 - t0), 0.0), 1.0);
      want = a + w * (z - a);
    }
    worst = std::max(worst, std::fabs(want - out[(size_t)row * 2 * (p_end - p_begin) + e - 2 * p_begin]));
  }
  return worst;
}

// FUSE_FLOOR_PROFILE=1 (for ncu): every variant launched once after its check, nothing timed.
bool profiling() { const char* e = std::getenv("FUSE_FLOOR_PROFILE"); return e && *e && *e != '0'; }

template <class F>
double median_us(F launch, int reps) {  // hot: 10 back-to-back launches between two events, per launch
  if (profiling()) { launch(1); CK(cudaDeviceSynchronize()); return 1; }
  cudaEvent_t a, z;
  CK(cudaEventCreate(&a)); CK(cudaEventCreate(&z));
  for (int w = 0; w < 20; ++w) launch(w);
  std::vector<double> us;
  for (int r = 0; r < reps; ++r) {
    CK(cudaEventRecord(a));
    for (int k = 0; k < 10; ++k) launch(r * 10 + k);
    CK(cudaEventRecord(z));
    CK(cudaEventSynchronize(z));
    float ms; CK(cudaEventElapsedTime(&ms, a, z));
    us.push_back(ms * 100.0);  // ms / 10 launches * 1000
  }
  CK(cudaGetLastError());
  CK(cudaEventDestroy(a)); CK(cudaEventDestroy(z));
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

void run_jittered(int B, int reps, Set (&set)[kRotate]);

void run_batch(int B, int reps) {
  Set set[kRotate];
  for (auto& d : set) {
    for (int s = 0; s < kStreams; ++s) {
      const size_t n = (size_t)B * source_len(s) * kShape[s].dim;
      CK(cudaMalloc(&d.src[s], n * 4));
      fill_kernel<<<1024, 256>>>(d.src[s], n, 17u * s + 1);
      CK(cudaMalloc(&d.times[s], (size_t)B * source_len(s) * 4));
      clock_kernel<<<1024, 256>>>(d.times[s], B, source_len(s), kShape[s].rate);
    }
    CK(cudaMalloc(&d.tgt, (size_t)B * kT * 4));
    clock_kernel<<<256, 256>>>(d.tgt, B, kT, kTargetRate);
    CK(cudaMalloc(&d.out, (size_t)B * kT * kDout * 4));
  }
  CK(cudaGetLastError());
  CK(cudaDeviceSynchronize());

  auto subset = [&](const char* name, auto pb, auto pe) {
    constexpr int PB = decltype(pb)::value, PE = decltype(pe)::value;
    const double bytes = counted_bytes(B, PB, PE);
    const size_t half = (size_t)(bytes / 2) / 16 * 16;
    std::vector<char*> a(kRotate), z(kRotate);
    for (int r = 0; r < kRotate; ++r) { CK(cudaMalloc(&a[r], half)); CK(cudaMalloc(&z[r], half)); CK(cudaMemset(a[r], 1, half)); }
    const double copy = median_us([&](int i) { CK(cudaMemcpyAsync(z[i % kRotate], a[i % kRotate], half, cudaMemcpyDeviceToDevice)); }, reps);
    const double kcopy = median_us([&](int i) {
      copy_kernel<<<132 * 8, 512>>>((float4*)z[i % kRotate], (const float4*)a[i % kRotate], half / 16); }, reps);
    std::printf("B=%d %-9s counted %.1f MB; same-size copy %.2f us (cudaMemcpy), %.2f us (copy_kernel)\n", B, name,
      bytes / 1e6, copy, kcopy);
    const long long npairs = (long long)B * kT * (PE - PB);
    auto report = [&](const char* label, auto launch, bool checked = true) {
      for (auto& d : set) CK(cudaMemset(d.out, 0xff, (size_t)B * kT * kDout * 4));
      launch(0);
      CK(cudaGetLastError());
      CK(cudaDeviceSynchronize());
      const double err = checked ? check(set[0], B, PB, PE) : 0;
      if (!(err < 1e-5)) { std::printf("  %-10s WRONG (worst abs error %.3g): not timed\n", label, err); return; }
      const double us = median_us(launch, reps);
      std::printf("  %-10s %8.2f us  %6.1f%% of the copy  (%.0f GB/s counted)%s\n", label, us, 100 * copy / us, bytes / us / 1e3,
        checked ? "" : "  [diagnostic: unchecked]");
    };
    auto pairs = [&](auto n_per_thread, int threads, const char* label, auto form) {
      constexpr int N = decltype(n_per_thread)::value, F = decltype(form)::value;
      const unsigned blocks = (unsigned)((npairs + (long long)threads * N - 1) / ((long long)threads * N));
      report(label, [&](int i) { pairs_kernel<PB, PE, N, F><<<blocks, threads>>>(problem(set[i % kRotate], B)); },
        F == kFull || F == kStreaming);
    };
    using full = std::integral_constant<int, kFull>;
    pairs(std::integral_constant<int, 1>{}, 256, "pairs/1", full{});
    pairs(std::integral_constant<int, 2>{}, 256, "pairs/2", full{});
    pairs(std::integral_constant<int, 4>{}, 256, "pairs/4", full{});
    pairs(std::integral_constant<int, 8>{}, 128, "pairs/8", full{});
    pairs(std::integral_constant<int, 2>{}, 256, "2 cs", std::integral_constant<int, kStreaming>{});
    pairs(std::integral_constant<int, 2>{}, 256, "2 no-times", std::integral_constant<int, kNoTimes>{});
    pairs(std::integral_constant<int, 2>{}, 256, "2 no-store", std::integral_constant<int, kNoStores>{});
    const unsigned eblocks = (unsigned)((2 * npairs + 255) / 256);
    report("elem", [&](int i) { elem_kernel<PB, PE><<<eblocks, 256>>>(problem(set[i % kRotate], B)); });
    auto rows = [&](auto r_rows, auto n_per_thread, const char* label, auto order, size_t pad) {
      constexpr int R = decltype(r_rows)::value, N = decltype(n_per_thread)::value, O = decltype(order)::value;
      const unsigned blocks = (unsigned)((B * kT + R - 1) / R);
      if (pad > 48 * 1024) CK(cudaFuncSetAttribute(rows_kernel<PB, PE, R, N, O>, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)pad));
      report(label, [&](int i) { rows_kernel<PB, PE, R, N, O><<<blocks, 256, pad>>>(problem(set[i % kRotate], B)); });
    };
    using row_major = std::integral_constant<int, 0>;
    using stream_major = std::integral_constant<int, 1>;
    using std::integral_constant;
    rows(integral_constant<int, 16>{}, integral_constant<int, 2>{}, "rows/16x2", row_major{}, 0);
    rows(integral_constant<int, 32>{}, integral_constant<int, 2>{}, "rows/32x2", row_major{}, 0);
    rows(integral_constant<int, 64>{}, integral_constant<int, 4>{}, "rows/64x4", row_major{}, 0);
    rows(integral_constant<int, 64>{}, integral_constant<int, 2>{}, "rows/64x2", row_major{}, 0);
    rows(integral_constant<int, 64>{}, integral_constant<int, 2>{}, "smaj/64x2", stream_major{}, 0);
    rows(integral_constant<int, 64>{}, integral_constant<int, 6>{}, "smaj/64x6", stream_major{}, 0);
    // at most 4 blocks (32 warps) per SM, v3's occupancy, by shared memory the kernel does not use
    rows(integral_constant<int, 64>{}, integral_constant<int, 2>{}, "rows/64x2/4", row_major{}, 52 * 1024);
    rows(integral_constant<int, 64>{}, integral_constant<int, 6>{}, "rows/64x6/4", row_major{}, 52 * 1024);
    rows(integral_constant<int, 64>{}, integral_constant<int, 6>{}, "smaj/64x6/4", stream_major{}, 52 * 1024);
    for (int r = 0; r < kRotate; ++r) { CK(cudaFree(a[r])); CK(cudaFree(z[r])); }
  };
  using std::integral_constant;
  subset("all four", integral_constant<int, 0>{}, integral_constant<int, kPairs>{});
  subset("camera", integral_constant<int, 0>{}, integral_constant<int, kCameraPairs>{});
  subset("gathered", integral_constant<int, kCameraPairs>{}, integral_constant<int, kPairs>{});
  run_jittered(B, reps, set);  // last: it overwrites the sets' inputs
  for (auto& d : set) {
    for (int s = 0; s < kStreams; ++s) { CK(cudaFree(d.src[s])); CK(cudaFree(d.times[s])); }
    CK(cudaFree(d.tgt)); CK(cudaFree(d.out));
  }
}

// Jittered mode's interval of target `row` (batch row b) in stream s found on the GPU, the real kernel's
// job, by the make_jittered rule (lo the last sample at or before the target, within [0, L - 2]; a padded
// target row -1), and its weight clamped to [0, 1] as weight() does. The search: the target, the row's
// lengths and the stream's first and last valid times in one trip; an even-clock hint; st[h] and st[h + 1]
// together, and where they do not bracket the target a secant step by the mean spacing, at most two; a
// binary search after that. For the generator's clocks the first or second pair of loads brackets it.
// MID (search_mid/R): the mean spacing from the first valid time and the one at the padded row's middle,
// loaded in the first trip with the lengths (valid where L > S / 2, else the row's last valid time), so the
// hint does not wait for L before it can load the last valid time.
template <bool MID = false>
__device__ __forceinline__ int search_lo(const Problem& P, const Stream& st, int s, int b, int row, float* w) {
  *w = 0.f;
  const int tlen = __ldg(P.tlen + b), L = __ldg(P.L + s * P.B + b), K = st.S / 2;
  const float* ts = st.times + (size_t)b * st.S;
  const float x = __ldg(P.tgt + row), first = __ldg(ts), mid = MID ? __ldg(ts + K) : 0.f;
  if (row - b * kT >= tlen) return -1;
  const float last = MID && K < L ? mid : __ldg(ts + L - 1);
  const int span = MID && K < L ? K : L - 1;
  int h;
  if (!(x >= first)) h = 0;
  else if (!MID && x >= __ldg(ts + L - 1)) h = L - 2;  // (MID: the loop finds it, not waiting for L here)
  else {
    const float per = (last - first) / (float)span;
    h = min(max((int)((x - first) / per), 0), L - 2);
    for (int step = 0;; ++step) {
      const float t0 = __ldg(ts + h), t1 = __ldg(ts + h + 1);
      if (t0 <= x && (x < t1 || h == L - 2)) break;
      if (step == 2) {
        int lo = 0, hi = L - 1;  // ts[lo] <= x < ts[hi]
        while (hi - lo > 1) {
          const int mid = (lo + hi) >> 1;
          if (__ldg(ts + mid) <= x) lo = mid; else hi = mid;
        }
        h = lo;
        break;
      }
      int move = (int)floorf((x - t0) / per);
      if (x >= t1 && move < 1) move = 1;
      if (x < t0 && move > -1) move = -1;
      h = min(max(h + move, 0), L - 2);
    }
  }
  if (!st.hold) {
    const float t0 = __ldg(ts + h), t1 = __ldg(ts + h + 1);
    *w = fminf(fmaxf((x - t0) / (t1 - t0), 0.f), 1.f);
  }
  return h;
}

// "generic": the rows form written the way a kernel for any stream set must be (v6-v7 on branch exp-rows):
// a per-block item table in shared memory ({output element, source channel, stream, mode | pair << 2}, 16
// bytes per item of a row), a 16-byte interval per (row, stream) ({first, second, unused, weight}), the
// stream's base pointer and width from shared memory, mode and pairing read per item. Intervals from the
// host table (jittered mode). Against rows/64x2 on the same data it prices the generality alone.
// SEARCH: the intervals found by search_lo instead of read from the host's table.
template <int R, int SEARCH = 0>
__global__ void __launch_bounds__(256) generic_kernel(Problem P) {
  constexpr int N = 2;
  __shared__ int4 s_item[kPairs];
  __shared__ int4 s_iv[R][kStreams];
  __shared__ const float* s_src[kStreams];
  __shared__ int s_D[kStreams], s_S[kStreams];
  const int row0 = blockIdx.x * R, nrows = min(R, P.B * kT - row0);
  if (threadIdx.x < kStreams) {
    const int s = threadIdx.x;
    const Stream st = s == 0 ? P.s[0] : s == 1 ? P.s[1] : s == 2 ? P.s[2] : P.s[3];
    s_src[s] = st.src; s_D[s] = st.D; s_S[s] = st.S;
  }
  for (int p = threadIdx.x; p < kPairs; p += blockDim.x) {  // the table, as a host-listed segment walk builds it
    const int s = p < kJoints ? 0 : p < kImu ? 1 : p < kEvents ? 2 : 3;
    const int c = 2 * (p - (s == 0 ? 0 : s == 1 ? kJoints : s == 2 ? kImu : kEvents));
    s_item[p] = make_int4(2 * p, c, s, (s == 3 ? 1 : 0) | 1 << 2);
  }
  for (int i = threadIdx.x; i < nrows * kStreams; i += blockDim.x) {
    const int r = i / kStreams, s = i - r * kStreams, row = row0 + r, b = row / kT;
    const Stream st = s == 0 ? P.s[0] : s == 1 ? P.s[1] : s == 2 ? P.s[2] : P.s[3];
    float w;
    int lo;
    if (SEARCH) lo = search_lo<SEARCH == 2>(P, st, s, b, row, &w);
    else {
      lo = __ldg(P.lo + (size_t)row * kStreams + s);
      w = lo >= 0 && !st.hold ? weight(P, st, b, row, lo) : 0.f;
    }
    s_iv[r][s] = make_int4(lo < 0 ? -1 : lo * st.D, lo < 0 ? -1 : (lo + 1) * st.D, 0, __float_as_int(w));
  }
  __syncthreads();
  const int n = nrows * kPairs;
  for (int base = threadIdx.x; base < n; base += blockDim.x * N) {
    float2 v[N];
    int at[N];
#pragma unroll
    for (int k = 0; k < N; ++k) {
      const int i = base + k * blockDim.x;
      at[k] = -1;
      if (i < n) {
        const int r = i / kPairs, it = i - r * kPairs, row = row0 + r, b = row / kT;
        const int4 e = s_item[it], iv = s_iv[r][e.z];
        const float* src = s_src[e.z] + (size_t)b * s_S[e.z] * s_D[e.z];
        if (iv.x < 0) {
          v[k] = make_float2(kFill, kFill);
        } else if ((e.w & 3) == 1) {  // hold
          v[k] = e.w & 4 ? __ldg(reinterpret_cast<const float2*>(src + iv.x + e.y)) : make_float2(__ldg(src + iv.x + e.y), 0.f);
        } else {
          const float w = __int_as_float(iv.w);
          const float2 a = __ldg(reinterpret_cast<const float2*>(src + iv.x + e.y)), z = __ldg(reinterpret_cast<const float2*>(src + iv.y + e.y));
          v[k] = make_float2(fmaf(w, z.x - a.x, a.x), fmaf(w, z.y - a.y, a.y));
        }
        at[k] = row * kDout + e.x;
      }
    }
#pragma unroll
    for (int k = 0; k < N; ++k)
      if (at[k] >= 0) *reinterpret_cast<float2*>(P.out + at[k]) = v[k];
  }
}

// Jittered mode: robot4's shapes on clocks like the generator's (lua/robolua/workloads/fuse.lua's robot4
// through rl.robot_episodes): each sample +-12.5% of a period off its slot, 5% of the slots dropped, ragged
// rows (up to 1/8 of each stream's samples and of the targets missing; the padding poisoned with NaN).
// The intervals come from the host (a table the kernel reads: 16 bytes per row, not in the count), so
// the rows form runs on the data the real kernel sees, without its search.
unsigned mix(unsigned a, unsigned b, unsigned c) {
  unsigned h = a * 0x9e3779b1u ^ (b + 0x7f4a7c15u) * 0x85ebca77u ^ (c + 0x165667b1u) * 0xc2b2ae3du;
  h ^= h >> 15; h *= 0x2c1b3c6du; h ^= h >> 12; h *= 0x297a2d39u; h ^= h >> 15;
  return h;
}
double unit(unsigned h) { return (h >> 8) / 16777216.0; }

struct Jittered {
  std::vector<int> L[kStreams], tlen;                // valid samples per row and stream, valid targets per row
  std::vector<float> times[kStreams], tgt, src[kStreams];
  std::vector<int> lo;                               // [B x T][stream]
};

Jittered make_jittered(int B, const Set& d) {
  Jittered j;
  j.tgt.assign((size_t)B * kT, 1e30f);
  j.tlen.resize(B);
  for (int b = 0; b < B; ++b) {
    j.tlen[b] = kT - (int)(mix(b, 99, 1) % (kT / 8));
    for (int t = 0; t < j.tlen[b]; ++t) j.tgt[(size_t)b * kT + t] = (float)t / kTargetRate;
  }
  for (int s = 0; s < kStreams; ++s) {
    const int S = source_len(s), D = kShape[s].dim;
    j.src[s].resize((size_t)B * S * D);
    CK(cudaMemcpy(j.src[s].data(), d.src[s], j.src[s].size() * 4, cudaMemcpyDeviceToHost));
    j.times[s].assign((size_t)B * S, -1e30f);
    j.L[s].resize(B);
    for (int b = 0; b < B; ++b) {
      int n = 0;
      const int want = S - (int)(mix(b, s, 2) % (S / 8));
      for (int slot = 0; n < want; ++slot) {
        if (unit(mix(b, s, 1000003u * 7 + slot)) < 0.05) continue;  // dropped
        const double jit = 0.25 * (unit(mix(b, s, slot)) - 0.5);
        j.times[s][(size_t)b * S + n++] = (float)((slot + jit) / kShape[s].rate);
      }
      j.L[s][b] = n;
      for (int i = n; i < S; ++i)
        for (int c = 0; c < D; ++c) j.src[s][((size_t)b * S + i) * D + c] = NAN;  // padding: never read
    }
  }
  j.lo.assign((size_t)B * kT * kStreams, -1);
  for (int s = 0; s < kStreams; ++s)
    for (int b = 0; b < B; ++b) {
      const int S = source_len(s), L = j.L[s][b];
      int p = 0;
      for (int t = 0; t < j.tlen[b]; ++t) {
        while (p + 2 < L && j.times[s][(size_t)b * S + p + 1] <= j.tgt[(size_t)b * kT + t]) ++p;
        j.lo[((size_t)b * kT + t) * kStreams + s] = p;
      }
    }
  return j;
}

// The fuse workload's count for jittered mode's ragged rows (robolua's bytes_rule with these lengths).
double jittered_bytes(int B, const Jittered& j) {
  double n = (double)B * kT * kDout * 4 + (double)B * (kStreams + 1) * 8;
  for (int b = 0; b < B; ++b) {
    n += (double)j.tlen[b] * 4;
    for (int s = 0; s < kStreams; ++s) {
      const int L = j.L[s][b], rows = kShape[s].hold ? std::min(L, j.tlen[b]) : std::min(L, 2 * j.tlen[b]);
      n += (double)L * 4 + (double)rows * kShape[s].dim * 4;
    }
  }
  return n;
}

// Sampled output elements against float64 arithmetic, the interval found again by scanning. -> worst error
double check_jittered(int B, const Jittered& j, const float* dout) {
  std::vector<float> out((size_t)B * kT * kDout);
  CK(cudaMemcpy(out.data(), dout, out.size() * 4, cudaMemcpyDeviceToHost));
  double worst = 0;
  for (int k = 0; k < 20000; ++k) {
    const int row = (int)(((unsigned)k * 2654435761u) % (unsigned)(B * kT)), e = (int)(((unsigned)k * 40503u) % kDout);
    const int b = row / kT, t = row % kT;
    int s = 0;
    while (s + 1 < kStreams && 2 * first_pair(s + 1) <= e) ++s;
    const int ch = e - 2 * first_pair(s), S = source_len(s), D = kShape[s].dim, L = j.L[s][b];
    double want = kFill;
    if (t < j.tlen[b]) {
      const float x = j.tgt[row];
      const float* ts = &j.times[s][(size_t)b * S];
      int lo = 0;
      while (lo + 2 < L && ts[lo + 1] <= x) ++lo;
      const double a = j.src[s][((size_t)b * S + lo) * D + ch], z = j.src[s][((size_t)b * S + lo + 1) * D + ch];
      want = a;
      if (!kShape[s].hold) want = a + std::min(std::max((x - (double)ts[lo]) / ((double)ts[lo + 1] - ts[lo]), 0.0), 1.0) * (z - a);
    }
    const double got = out[(size_t)row * kDout + e];
    worst = std::max(worst, std::isnan(got) ? 1e30 : std::fabs(want - got));
  }
  return worst;
}

void run_jittered(int B, int reps, Set (&set)[kRotate]) {
  // every rotated set gets the same jittered clocks (made from set 0's values) and its own copies
  const Jittered j = make_jittered(B, set[0]);
  int* lo[kRotate];
  int *tlen, *L;  // the lengths, for the kernels that search (the same for every rotated set)
  std::vector<int> lens;
  for (int s = 0; s < kStreams; ++s) lens.insert(lens.end(), j.L[s].begin(), j.L[s].end());
  CK(cudaMalloc(&tlen, B * sizeof(int)));
  CK(cudaMemcpy(tlen, j.tlen.data(), B * sizeof(int), cudaMemcpyHostToDevice));
  CK(cudaMalloc(&L, lens.size() * sizeof(int)));
  CK(cudaMemcpy(L, lens.data(), lens.size() * sizeof(int), cudaMemcpyHostToDevice));
  for (int r = 0; r < kRotate; ++r) {
    for (int s = 0; s < kStreams; ++s) {
      CK(cudaMemcpy(set[r].src[s], j.src[s].data(), j.src[s].size() * 4, cudaMemcpyHostToDevice));
      CK(cudaMemcpy(set[r].times[s], j.times[s].data(), j.times[s].size() * 4, cudaMemcpyHostToDevice));
    }
    CK(cudaMemcpy(set[r].tgt, j.tgt.data(), j.tgt.size() * 4, cudaMemcpyHostToDevice));
    CK(cudaMalloc(&lo[r], j.lo.size() * 4));
    CK(cudaMemcpy(lo[r], j.lo.data(), j.lo.size() * 4, cudaMemcpyHostToDevice));
  }
  const double bytes = jittered_bytes(B, j);
  const size_t half = (size_t)(bytes / 2) / 16 * 16;
  std::vector<char*> a(kRotate), z(kRotate);
  for (int r = 0; r < kRotate; ++r) { CK(cudaMalloc(&a[r], half)); CK(cudaMalloc(&z[r], half)); CK(cudaMemset(a[r], 1, half)); }
  const double copy = median_us([&](int i) { CK(cudaMemcpyAsync(z[i % kRotate], a[i % kRotate], half, cudaMemcpyDeviceToDevice)); }, reps);
  std::printf("B=%d jittered, ragged (all four) counted %.1f MB (+%.1f MB of interval table, not counted); same-size copy %.2f us\n",
    B, bytes / 1e6, j.lo.size() * 4 / 1e6, copy);
  // form 0: rows_kernel; 1: generic_kernel; 2: generic_kernel searching (no table); 3: the same, search_mid
  auto rows = [&](auto r_rows, const char* label, int form = 0) {
    constexpr int R = decltype(r_rows)::value;
    const unsigned blocks = (unsigned)((B * kT + R - 1) / R);
    auto launch = [&](int i) {
      Problem P = problem(set[i % kRotate], B);
      P.lo = form == 2 ? nullptr : lo[i % kRotate];
      P.tlen = tlen;
      P.L = L;
      if (form == 1) generic_kernel<R><<<blocks, 256>>>(P);
      else if (form == 2) generic_kernel<R, 1><<<blocks, 256>>>(P);
      else if (form == 3) generic_kernel<R, 2><<<blocks, 256>>>(P);
      else rows_kernel<0, kPairs, R, 2, 0><<<blocks, 256>>>(P);
    };
    for (auto& d : set) CK(cudaMemset(d.out, 0xff, (size_t)B * kT * kDout * 4));
    launch(0);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    const double err = check_jittered(B, j, set[0].out);
    if (!(err < 1e-5)) { std::printf("  %-10s WRONG (worst abs error %.3g): not timed\n", label, err); return; }
    const double us = median_us(launch, reps);
    std::printf("  %-10s %8.2f us  %6.1f%% of the copy  (%.0f GB/s counted)\n", label, us, 100 * copy / us, bytes / us / 1e3);
  };
  rows(std::integral_constant<int, 32>{}, "rows/32x2");
  rows(std::integral_constant<int, 64>{}, "rows/64x2");
  rows(std::integral_constant<int, 64>{}, "generic/64", 1);
  rows(std::integral_constant<int, 32>{}, "generic/32", 1);
  rows(std::integral_constant<int, 32>{}, "search/32", 2);
  rows(std::integral_constant<int, 64>{}, "search/64", 2);
  rows(std::integral_constant<int, 32>{}, "search_mid/32", 3);
  rows(std::integral_constant<int, 64>{}, "search_mid/64", 3);
  for (int r = 0; r < kRotate; ++r) { CK(cudaFree(a[r])); CK(cudaFree(z[r])); CK(cudaFree(lo[r])); }
  CK(cudaFree(tlen));
  CK(cudaFree(L));
}

// The gathered streams' read pattern alone: `piece` contiguous bytes every `stride` bytes (joints: 112 of
// 560, imu: 80 of 800), read as 8-byte words, N words per thread in flight, nothing written but one word
// per block. Against the same loop over a dense buffer (stride = piece), it says how much of the DRAM's
// bandwidth such reads can get, apart from any fusion kernel's structure.
template <int N>
__global__ void piece_kernel(const float2* __restrict__ src, unsigned words, unsigned piece_words, unsigned stride_words,
                             float* __restrict__ sink) {
  const unsigned first = blockIdx.x * blockDim.x * N + threadIdx.x;
  float acc = 0.f;
#pragma unroll
  for (int k = 0; k < N; ++k) {
    const unsigned i = first + k * blockDim.x;
    if (i < words) {
      const unsigned piece = i / piece_words, w = i - piece * piece_words;
      const float2 v = __ldg(src + (size_t)piece * stride_words + w);
      acc += v.x + v.y;
    }
  }
  if (acc == 12345.f) sink[blockIdx.x] = acc;  // never true for the fill's values; keeps the loads
}

void run_pattern(int reps) {
  struct Pattern { const char* name; unsigned piece, stride; };
  const Pattern patterns[] = { { "dense", 112, 112 }, { "joints", 112, 560 }, { "imu", 80, 800 }, { "dense", 80, 80 } };
  const size_t span = (size_t)1 << 30;  // 1 GiB of source, read in part
  float* src[kRotate];
  float* sink;
  for (auto& p : src) { CK(cudaMalloc(&p, span)); fill_kernel<<<1024, 256>>>(p, span / 4, 7u); }
  CK(cudaMalloc(&sink, 1 << 20));
  CK(cudaDeviceSynchronize());
  for (const Pattern& pt : patterns) {
    const unsigned pieces = (unsigned)(span / 4 / pt.stride), pw = pt.piece / 8, sw = pt.stride / 8;  // a quarter of the span
    const unsigned words = pieces * pw;
    const double bytes = (double)words * 8;
    auto one = [&](auto n_per_thread) {
      constexpr int N = decltype(n_per_thread)::value;
      const unsigned blocks = (words + 256 * N - 1) / (256 * N);
      const double us = median_us([&](int i) {
        piece_kernel<N><<<blocks, 256>>>((const float2*)src[i % kRotate], words, pw, sw, sink); }, reps);
      std::printf("  N=%d %8.2f us  %7.0f GB/s read", N, us, bytes / us / 1e3);
    };
    std::printf("%-6s %3u of every %3u bytes, %.0f MB read:", pt.name, pt.piece, pt.stride, bytes / 1e6);
    one(std::integral_constant<int, 1>{});
    one(std::integral_constant<int, 4>{});
    one(std::integral_constant<int, 8>{});
    std::printf("\n");
  }
  for (auto& p : src) CK(cudaFree(p));
  CK(cudaFree(sink));
}

}  // namespace

int main(int argc, char** argv) {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  if (const char* g = std::getenv("FUSE_FLOOR_L2_FETCH")) {
    char* end;
    const long want = std::strtol(g, &end, 10);
    if (*g == 0 || *end != 0 || want < 0 || want > 128) {
      std::fprintf(stderr, "fuse_floor: FUSE_FLOOR_L2_FETCH='%s' is not a byte count in 0..128\n", g);
      return 2;
    }
    CK(cudaDeviceSetLimit(cudaLimitMaxL2FetchGranularity, (size_t)want));
  }
  size_t fetch = 0;
  CK(cudaDeviceGetLimit(&fetch, cudaLimitMaxL2FetchGranularity));
  std::printf("L2 fetch granularity limit: %zu bytes\n", fetch);
  std::printf("%s, %d SMs; robot4 shapes, uniform clocks, f32; hot medians of 10-launch averages, inputs rotated x%d\n",
    prop.name, prop.multiProcessorCount, kRotate);
  std::vector<int> batches;
  if (argc == 2 && std::string(argv[1]) == "pattern") { run_pattern(30); return 0; }
  for (int i = 1; i < argc; ++i) {
    const int b = std::atoi(argv[i]);
    if (b < 1 || b > 4096) { std::fprintf(stderr, "fuse_floor: batch '%s' is not an integer in 1..4096\n", argv[i]); return 2; }
    batches.push_back(b);
  }
  if (batches.empty()) batches = { 64, 256 };
  for (int B : batches) run_batch(B, 50);
  return 0;
}
