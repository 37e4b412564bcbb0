/* C unit tests of the kernel signature parser (core/engine/signature.c): the accepted spellings, what
   each argument becomes, and an error naming the argument (and character) for each kind of bad input. */
#include "signature.h"
#include <stdio.h>
#include <string.h>

#include "check.h"

static const char *parse(const char *s, rl_signature *sig, char *err, size_t n) {
  return rl_signature_parse(s, strlen(s), sig, err, n);
}

/* text parses to `want` (the declarations joined with ", ") */
static void ok(const char *text, const char *want) {
  rl_signature sig;
  char err[256], got[1024] = "";
  const char *e = parse(text, &sig, err, sizeof err);
  CHECK(!e, "'%s' should parse, got: %s", text, e ? e : "");
  if (e) return;
  for (int i = 0; i < sig.count; i++) {
    char d[48];
    if (i) strcat(got, ", ");
    strcat(got, rl_arg_describe(&sig.args[i], d, sizeof d));
  }
  CHECK(strcmp(got, want) == 0, "'%s' -> '%s', expected '%s'", text, got, want);
}

/* text fails with a message containing `want` */
static void bad(const char *text, size_t len, const char *want) {
  rl_signature sig;
  char err[256];
  const char *e = rl_signature_parse(text, len, &sig, err, sizeof err);
  CHECK(e != NULL, "'%.*s' should fail", (int)len, text);
  if (e) CHECK(strstr(e, want) != NULL, "'%.*s': message '%s' lacks '%s'", (int)len, text, e, want);
}
#define BAD(text, want) bad(text, strlen(text), want)

int main(void) {
  ok("f32*, const f32*, f32, i32", "f32*, const f32*, f32, i32");
  ok("f32* y, const f32* x, f32 a, i32 n", "f32*, const f32*, f32, i32");
  ok("  float *y ,const float*__restrict__ x,float a,int n  ", "f32*, const f32*, f32, i32");
  ok("float const * x", "const f32*");
  ok("float * const x", "f32*"); /* the pointer's own const: irrelevant to the caller */
  ok("const int n", "i32");      /* by-value const: irrelevant */
  ok("unsigned int n, unsigned m, long long k, unsigned long long u, size_t s", "u32, u32, i64, u64, u64");
  ok("__nv_bfloat16 *a, const __half *b, double c, int64_t d, uint8_t *e", "bf16*, const f16*, f64, i64, u8*");
  ok("void *p, const void *q", "void*, const void*");
  ok("bf16 h, f16 g, i8 a, u8 b, i16 c, u16 d, u32 e, u64 f, f64 x", "bf16, f16, i8, u8, i16, u16, u32, u64, f64");
  ok("", "");
  ok("  \n\t ", "");
  ok("void", "");

  rl_signature sig;
  char err[256];
  CHECK(!parse("f32* y, const f32* x, f32 a, i32 n", &sig, err, sizeof err), "parse");
  CHECK(sig.count == 4, "count %d", sig.count);
  CHECK(strcmp(sig.args[1].name, "x") == 0 && sig.args[1].is_const && sig.args[1].pointer, "argument 2");
  CHECK(rl_arg_size(&sig.args[0]) == sizeof(void *) && rl_arg_size(&sig.args[2]) == 4, "sizes");
  CHECK(rl_argtype_dtype(RL_ARG_F32) == RL_F32 && rl_argtype_dtype(RL_ARG_BF16) == RL_BF16 &&
        rl_argtype_dtype(RL_ARG_I32) == -1, "tensor dtypes");

  BAD("f32*, const f32*, flaot, i32", "signature: argument 3: unknown type 'flaot'");
  BAD("f32*,, i32", "argument 2 is empty");
  BAD("f32*, i32,", "argument 3 is empty");
  BAD(",", "argument 1 is empty");
  BAD("f32**", "argument 1: pointers to pointers are not supported");
  BAD("i32, void", "argument 2: void is only valid as a pointer");
  BAD("f32 & x", "argument 1: unexpected character '&' (at character 5)");
  BAD("f32 x y", "argument 1: unexpected 'y'");
  BAD("f32 * x y", "argument 1: unexpected 'y'");
  BAD("float x *", "argument 1: unexpected 'x'");
  BAD("const *", "argument 1: missing type");
  BAD("* p", "argument 1: missing type");
  BAD("f32[4] x", "unexpected character '['");
  BAD("i32, f32\x01", "argument 2: unexpected byte 0x01 (at character 9)");
  bad("f32\0, i32", 9, "unexpected byte 0x00 (at character 4)");
  BAD("void, i32", "argument 1: void is only valid as a pointer");
  BAD("a b c d e f g h i", "argument 1: too many words");
  /* a long unknown name is cut in the message, never overflowing it */
  char longname[600];
  memset(longname, 'q', sizeof longname - 1);
  longname[sizeof longname - 1] = 0;
  BAD(longname, "unknown type 'qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq...'");
  char many[1024] = "";
  for (int i = 0; i < RL_SIG_MAX_ARGS + 1; i++) strcat(many, i ? ",i32" : "i32");
  BAD(many, "more than 64 arguments");
  /* a tiny error buffer still gets a terminated (cut) message */
  char tiny[12];
  CHECK(rl_signature_parse("flaot", 5, &sig, tiny, sizeof tiny) == tiny && strlen(tiny) == sizeof tiny - 1, "tiny buffer");
  /* NULL text with length 0: no arguments */
  CHECK(!rl_signature_parse(NULL, 0, &sig, err, sizeof err) && sig.count == 0, "NULL text");

  return check_summary();
}
