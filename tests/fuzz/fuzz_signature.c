/* libFuzzer target for the kernel signature parser (core/engine/signature.c): any bytes must give either
   a valid signature or a terminated "signature: ..." message, never a crash, an overread or a bad field.
   Build and run (clang):
     clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore/engine tests/fuzz/fuzz_signature.c \
       core/engine/signature.c -o fuzz_signature && ./fuzz_signature -max_total_time=60
   or configure with -DROBOLUA_FUZZ=ON -DCMAKE_C_COMPILER=clang. Every build also runs it over generated
   inputs (tests/fuzz/smoke_main.c, ctest c.fuzz_signature_smoke). */
#include "signature.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rl_signature sig;
  char err[256];
  /* an exact-size heap copy, so the sanitizer sees any read past the end */
  char *text = malloc(size ? size : 1);
  if (!text) return 0;
  if (size) memcpy(text, data, size);
  const char *e = rl_signature_parse(text, size, &sig, err, sizeof err);
  free(text);
  if (e) {
    if (e != err || memchr(err, 0, sizeof err) == NULL || strncmp(err, "signature: ", 11) != 0) abort();
    return 0;
  }
  if (sig.count < 0 || sig.count > RL_SIG_MAX_ARGS) abort();
  for (int i = 0; i < sig.count; i++) {
    const rl_arg *a = &sig.args[i];
    char d[48];
    if ((unsigned)a->type >= RL_ARGTYPE_COUNT || (a->pointer != 0 && a->pointer != 1)) abort();
    if (!a->pointer && (a->type == RL_ARG_VOID || a->is_const)) abort();
    if (memchr(a->name, 0, sizeof a->name) == NULL) abort();
    if (rl_arg_size(a) == 0 || strlen(rl_arg_describe(a, d, sizeof d)) == 0) abort();
  }
  return 0;
}
