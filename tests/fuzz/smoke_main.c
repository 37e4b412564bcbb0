/* Runs the fuzz target without libFuzzer: every file named on the command line, then a fixed number of
   generated inputs (random bytes, and token soups of type names, qualifiers, '*', ',' and stray bytes
   that reach deep into the parser). Deterministic: a failure reproduces. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#ifndef FUZZ_SMOKE_RUNS
#define FUZZ_SMOKE_RUNS 300000
#endif

static uint64_t state = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { /* xorshift64* */
  state ^= state >> 12;
  state ^= state << 25;
  state ^= state >> 27;
  return state * 0x2545f4914f6cdd1dull;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    FILE *f = fopen(argv[i], "rb");
    if (!f) continue;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
  }
  static const char *const tokens[] = {"f32", "bf16", "f16", "f64", "i32", "u32", "i64", "u64", "i8", "u8", "void",
                                       "const", "unsigned", "long", "int", "float", "__restrict__", "x", "flaot",
                                       "*", "**", ",", ", ", " ", "\t", "\n", "\0", "&", "[", "\xff", "size_t",
                                       "unsigned long long", "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"};
  const int ntok = (int)(sizeof tokens / sizeof tokens[0]);
  uint8_t buf[4096];
  const long runs = FUZZ_SMOKE_RUNS;
  for (long r = 0; r < runs; r++) {
    size_t n = 0;
    if (r % 4 == 0) { /* random bytes */
      n = next() % 200;
      for (size_t i = 0; i < n; i++) buf[i] = (uint8_t)next();
    } else { /* token soup */
      int count = (int)(next() % 150);
      for (int t = 0; t < count; t++) {
        int k = (int)(next() % (uint64_t)ntok);
        size_t len = tokens[k][0] ? strlen(tokens[k]) : 1; /* "\0" is one NUL byte */
        if (n + len > sizeof buf) break;
        memcpy(buf + n, tokens[k], len);
        n += len;
      }
    }
    LLVMFuzzerTestOneInput(buf, n);
  }
  printf("%ld generated inputs, no failure\n1 passed, 0 failed\n", runs);
  return 0;
}
