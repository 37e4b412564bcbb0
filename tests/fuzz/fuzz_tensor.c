/* libFuzzer target: tensor construction and its methods (rl.tensor, rl.empty, fill, to, copy_from,
   totable, bytes) with decoded values, shapes, dtypes and options (lua_harness.c). Run:
     cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DROBOLUA_FUZZ=ON -DROBOLUA_SANITIZE=ON -DROBOLUA_CUDA=OFF
     cmake --build build-fuzz --target fuzz_tensor && build-fuzz/tests/fuzz_tensor tests/fuzz/corpus/tensor */
#include "lua_harness.h"

static const char *const keys[] = {"device", "dtype", "pin", "values", "shape"};
#define NKEYS ((int)(sizeof keys / sizeof keys[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lua_State *L = fz_init();
  fz_input in = {data, size};
  static const char *const fns[] = {"tensor", "empty", ":fill", ":to", ":copy_from", ":totable", ":bytes", ":close"};
  const char *fn = fns[(size ? data[0] : 0) % (sizeof fns / sizeof fns[0])];
  if (size) in.p++, in.n--;
  int nargs = 0;
  if (fn[0] == 't') { /* tensor(values, shape, dtype, opts) */
    fz_push_value(L, &in, 0, keys, NKEYS), fz_push_value(L, &in, 0, keys, NKEYS), fz_push_value(L, &in, 0, keys, NKEYS);
    fz_push_options(L, &in, 0, keys, NKEYS);
    nargs = 4;
  } else {
    for (nargs = 0; nargs < 3 && in.n > 0; nargs++) fz_push_value(L, &in, 0, keys, NKEYS);
  }
  fz_call(L, fn, nargs);
  return 0;
}
