/* libFuzzer target: rl.trajectories options (sizes, rate, jitter, drop, max_offset, seed, timing, dtype,
   device, into with any tensors) decoded from the fuzz bytes (lua_harness.c). Build as fuzz_tensor.c says. */
#include "lua_harness.h"

static const char *const keys[] = {"batch", "source_len", "target_len", "dim", "dtype", "seed", "timing", "rate",
                                   "jitter", "drop", "max_offset", "device", "into", "threads", "src", "src_times",
                                   "tgt_times"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = fz_init();
  fz_input in = {data, size};
  int n = (int)(sizeof keys / sizeof keys[0]);
  unsigned first = size ? data[0] : 1;
  if (size) in.p++, in.n--;
  if (first == 0) fz_push_value(L, &in, 0, keys, n); /* not even a table, sometimes */
  else fz_push_options(L, &in, 0, keys, n);
  fz_call(L, "trajectories", 1);
  return 0;
}
