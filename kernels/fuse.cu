// The fused resampler's entry points: argument checks, the choice of kernel (v1, v2 or v3, fuse_kernels.h)
// and the per-stream baseline, which launches the chosen kernel once per stream over its channels.
// The choice: v3 unless ROBOLUA_FUSE_KERNEL=v1 or v2 (read once, at the first fused call) or
// rl_cuda_fuse_set_kernel says otherwise; ROBOLUA_FUSE_TARGETS=N fixes v2's or v3's targets per block.
// v2 and v3 need each stream's row (S x D values) to fit 32-bit offsets; a call where one does not runs
// v1. v3 also needs the window's segments to fit its list: a call where they do not runs v2.
#include "fuse_kernels.h"
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

struct Choice {
  int ready = 0;   // the environment has been read
  int kernel = 3;  // 1, 2 or 3
  int targets = 0; // v2's or v3's targets per block, 0 = automatic
  char error[160] = ""; // a bad environment value, reported by every call until a set replaces it
};
Choice choice;

int parse_kernel(const char *name) {
  if (strcmp(name, "v1") == 0) return 1;
  if (strcmp(name, "v2") == 0) return 2;
  if (strcmp(name, "v3") == 0) return 3;
  return 0;
}

void read_environment() {
  if (choice.ready) return;
  choice.ready = 1;
  const char *k = getenv("ROBOLUA_FUSE_KERNEL"), *t = getenv("ROBOLUA_FUSE_TARGETS");
  if (k && *k) {
    choice.kernel = parse_kernel(k);
    if (!choice.kernel) {
      snprintf(choice.error, sizeof choice.error, "ROBOLUA_FUSE_KERNEL: unknown kernel '%.40s' (expected v1, v2 or v3)", k);
      choice.kernel = 3;
    }
  }
  if (t && *t) {
    char *end = nullptr;
    const long v = strtol(t, &end, 10);
    if (*end || v < 0 || v > rl_fuse_v2_max_targets())
      snprintf(choice.error, sizeof choice.error, "ROBOLUA_FUSE_TARGETS: expected an integer in [0, %d], got '%.40s'",
               rl_fuse_v2_max_targets(), t);
    else choice.targets = (int)v;
  }
  if (choice.kernel == 1) choice.targets = 0; // v2's and v3's setting: v1 has none
}

int launch_window(const rl_fuse_args *a, int c_lo, int width, cudaStream_t s) {
  if (choice.kernel == 3 && rl_fuse_v3_fits(a, c_lo, width)) return rl_fuse_v3_launch(a, c_lo, width, choice.targets, s);
  if (choice.kernel >= 2 && rl_fuse_v2_fits(a)) return rl_fuse_v2_launch(a, c_lo, width, choice.targets, s);
  return rl_fuse_v1_launch(a, c_lo, width, s);
}

} // namespace

int rl_fuse_sm_count(void) {
  static int sms = 0;
  if (!sms) {
    int dev = 0;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms < 1)
      sms = 1;
    (void)cudaGetLastError();
  }
  return sms;
}

extern "C" int rl_cuda_fuse_set_kernel(const char *name, int targets) {
  read_environment();
  const int k = name ? parse_kernel(name) : 0;
  if (!k) { rl_cuda_set_message("fuse kernel: unknown name (expected \"v1\", \"v2\" or \"v3\")"); return -1; }
  if (targets < 0 || targets > rl_fuse_v2_max_targets() || (k == 1 && targets != 0)) {
    char msg[96];
    snprintf(msg, sizeof msg, "fuse kernel: targets per block must be 0 (automatic) or, for v2 and v3, in [1, %d]", rl_fuse_v2_max_targets());
    rl_cuda_set_message(msg);
    return -1;
  }
  choice.kernel = k;
  choice.targets = targets;
  choice.error[0] = '\0';
  return 0;
}

extern "C" const char *rl_cuda_fuse_get_kernel(int *targets) {
  read_environment();
  if (choice.error[0]) { rl_cuda_set_message(choice.error); return nullptr; }
  if (targets) *targets = choice.targets;
  return choice.kernel == 1 ? "v1" : choice.kernel == 2 ? "v2" : "v3";
}

// Checks what the kernels rely on (the binding has checked the rest: shapes, lengths, modes) and launches.
int rl_cuda_launch_fuse(const rl_fuse_args *a, int per_stream, cudaStream_t s) {
  read_environment();
  if (choice.error[0]) { rl_cuda_set_message(choice.error); return -1; }
  if (a->nstreams < 1 || a->nstreams > RL_FUSE_MAX_STREAMS || !a->out || !a->tgt_times) {
    rl_cuda_set_message("fuse: bad stream count or a NULL pointer");
    return -1;
  }
  if (a->batch < 1 || a->target_len < 1 || a->target_len > INT32_MAX || a->out_dim < 1 || a->out_dim > RL_FUSE_MAX_CHANNELS) {
    rl_cuda_set_message("fuse: sizes out of range");
    return -1;
  }
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_stream &st = a->streams[k];
    if (!st.src || !st.times || st.dim < 1 || st.out_offset < 0 || st.out_offset + st.dim > a->out_dim ||
        (st.dtype != RL_F32 && st.dtype != RL_BF16 && st.dtype != RL_F16)) {
      rl_cuda_set_message("fuse: a stream is malformed (pointer, channels or dtype)");
      return -1;
    }
  }
  if (!per_stream) return launch_window(a, 0, (int)a->out_dim, s);
  for (int k = 0; k < a->nstreams; k++) {
    const rl_fuse_args one = rl_fuse_one_stream(a, k);
    if (launch_window(&one, (int)one.streams[0].out_offset, (int)one.streams[0].dim, s) != 0) return -1;
  }
  return 0;
}

extern "C" int rl_cuda_fuse(const rl_fuse_args *a, int per_stream) {
  return rl_cuda_launch_fuse(a, per_stream, rl_cuda_stream());
}
