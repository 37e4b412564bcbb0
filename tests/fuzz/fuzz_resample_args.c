/* libFuzzer target: argument validation of rl.resample (tensors of any dtype and shape, backends, threads,
   out, validate, strict, modes, lengths, fill), rl.compare (tolerances, operands) and rl.validate_times,
   decoded from the fuzz bytes (lua_harness.c). Build as fuzz_tensor.c says. */
#include "lua_harness.h"

static const char *const keys[] = {"backend", "threads", "out", "validate", "strict", "pin", "modes", "src_len",
                                   "tgt_len", "fill", "rtol", "atol", "ulps", "operands", "orel", "monotone",
                                   "src", "src_times", "tgt_times"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = fz_init();
  fz_input in = {data, size};
  int n = (int)(sizeof keys / sizeof keys[0]);
  static const char *const fns[] = {"resample", "compare", "validate_times"};
  static const int nvals[] = {3, 2, 1};
  int k = (size ? data[0] : 0) % 3;
  if (size) in.p++, in.n--;
  for (int i = 0; i < nvals[k]; i++) fz_push_value(L, &in, 0, keys, n);
  fz_push_options(L, &in, 0, keys, n);
  fz_call(L, fns[k], nvals[k] + 1);
  return 0;
}
