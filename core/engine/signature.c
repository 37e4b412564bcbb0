/* The signature parser (signature.h). It reads a bounded byte range with no assumptions about its content
   (it is fuzzed): every index is checked against the end, every copy is bounded, and every error says
   which argument (and for a stray byte, which character) is wrong. */
#include "signature.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define WORD_MAX 8 /* words (type words, qualifiers, a name) in one argument */

typedef struct {
  const char *s;
  size_t n;
  int after_star; /* written after the '*' */
} word;

static const struct {
  const char *spelling;
  rl_argtype type;
} aliases[] = {
    {"float", RL_ARG_F32},          {"double", RL_ARG_F64},          {"half", RL_ARG_F16},
    {"__half", RL_ARG_F16},         {"__nv_bfloat16", RL_ARG_BF16},  {"nv_bfloat16", RL_ARG_BF16},
    {"bfloat16", RL_ARG_BF16},      {"char", RL_ARG_I8},             {"signed char", RL_ARG_I8},
    {"int8_t", RL_ARG_I8},          {"unsigned char", RL_ARG_U8},    {"uint8_t", RL_ARG_U8},
    {"short", RL_ARG_I16},          {"int16_t", RL_ARG_I16},         {"unsigned short", RL_ARG_U16},
    {"uint16_t", RL_ARG_U16},       {"int", RL_ARG_I32},             {"signed", RL_ARG_I32},
    {"signed int", RL_ARG_I32},     {"int32_t", RL_ARG_I32},         {"unsigned", RL_ARG_U32},
    {"unsigned int", RL_ARG_U32},   {"uint32_t", RL_ARG_U32},        {"long", RL_ARG_I64},
    {"long long", RL_ARG_I64},      {"long long int", RL_ARG_I64},   {"int64_t", RL_ARG_I64},
    {"unsigned long", RL_ARG_U64},  {"unsigned long long", RL_ARG_U64}, {"uint64_t", RL_ARG_U64},
    {"size_t", RL_ARG_U64},
};

#define RL_ARGTYPE_NAME_(e, name, size, dtype) name,
static const char *const type_names[] = {RL_ARGTYPE_LIST(RL_ARGTYPE_NAME_) "?"};
#undef RL_ARGTYPE_NAME_
#define RL_ARGTYPE_SIZE_(e, name, size, dtype) size,
static const size_t type_sizes[] = {RL_ARGTYPE_LIST(RL_ARGTYPE_SIZE_) 0};
#undef RL_ARGTYPE_SIZE_
#define RL_ARGTYPE_DTYPE_(e, name, size, dtype) dtype,
static const int type_dtypes[] = {RL_ARGTYPE_LIST(RL_ARGTYPE_DTYPE_) -1};
#undef RL_ARGTYPE_DTYPE_

const char *rl_argtype_name(rl_argtype t) { return (unsigned)t < RL_ARGTYPE_COUNT ? type_names[t] : "?"; }
size_t rl_argtype_size(rl_argtype t) { return (unsigned)t < RL_ARGTYPE_COUNT ? type_sizes[t] : 0; }
int rl_argtype_dtype(rl_argtype t) { return (unsigned)t < RL_ARGTYPE_COUNT ? type_dtypes[t] : -1; }
size_t rl_arg_size(const rl_arg *a) { return a->pointer ? sizeof(void *) : rl_argtype_size(a->type); }

const char *rl_arg_describe(const rl_arg *a, char *buf, size_t len) {
  snprintf(buf, len, "%s%s%s", a->is_const ? "const " : "", rl_argtype_name(a->type), a->pointer ? "*" : "");
  return buf;
}

static const char *fail(char *err, size_t errlen, const char *fmt, ...) {
  int n = snprintf(err, errlen, "signature: ");
  va_list ap;
  va_start(ap, fmt);
  if (n >= 0 && (size_t)n < errlen) vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
  va_end(ap);
  return err;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static int is_ident(char c) { return is_ident_start(c) || (c >= '0' && c <= '9'); }
static int word_is(const word *w, const char *s) { return strlen(s) == w->n && memcmp(w->s, s, w->n) == 0; }

/* A word for a message: at most 40 characters, then "...". */
static const char *quote(const word *w, char *buf, size_t len) {
  size_t n = w->n < 40 ? w->n : 40;
  snprintf(buf, len, "%.*s%s", (int)n, w->s, w->n > 40 ? "..." : "");
  return buf;
}

/* The longest run of words[0..k) (k <= 3) that spells a type: returns k and sets *type, or 0. */
static int match_type(const word *w, int n, rl_argtype *type) {
  for (int k = n < 3 ? n : 3; k >= 1; k--) {
    char joined[64];
    size_t used = 0;
    int fits = 1;
    for (int i = 0; i < k && fits; i++) {
      if (used + w[i].n + 1 >= sizeof joined) fits = 0;
      else {
        if (i) joined[used++] = ' ';
        memcpy(joined + used, w[i].s, w[i].n);
        used += w[i].n;
      }
    }
    if (!fits) continue;
    joined[used] = 0;
    for (int t = 0; t < RL_ARGTYPE_COUNT; t++)
      if (strcmp(joined, type_names[t]) == 0) return *type = (rl_argtype)t, k;
    for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++)
      if (strcmp(joined, aliases[a].spelling) == 0) return *type = aliases[a].type, k;
  }
  return 0;
}

/* One argument from its words (qualifiers still in) and star count. */
static const char *build_arg(word *words, int nw, int stars, int index, rl_arg *out, char *err, size_t errlen) {
  char q[64];
  memset(out, 0, sizeof *out);
  word kept[WORD_MAX];
  int nk = 0;
  for (int i = 0; i < nw; i++) {
    if (word_is(&words[i], "const")) {
      if (!words[i].after_star) out->is_const = 1; /* a const after the '*' is the pointer's own: irrelevant */
      continue;
    }
    if (word_is(&words[i], "__restrict__") || word_is(&words[i], "__restrict") || word_is(&words[i], "restrict") ||
        word_is(&words[i], "volatile"))
      continue;
    kept[nk++] = words[i];
  }
  if (stars > 1) return fail(err, errlen, "argument %d: pointers to pointers are not supported", index);
  out->pointer = stars == 1;
  int before = 0; /* words before the star: the type (and, for a scalar, a name after it) */
  while (before < nk && !kept[before].after_star) before++;
  if (before == 0) return fail(err, errlen, "argument %d: missing type", index);
  int used = match_type(kept, before, &out->type);
  if (!used) return fail(err, errlen, "argument %d: unknown type '%s'", index, quote(&kept[0], q, sizeof q));
  const word *name = NULL; /* at most one word after the type: the parameter name */
  if (out->pointer) {
    if (before > used) return fail(err, errlen, "argument %d: unexpected '%s'", index, quote(&kept[used], q, sizeof q));
    if (nk - before > 1) return fail(err, errlen, "argument %d: unexpected '%s'", index, quote(&kept[before + 1], q, sizeof q));
    if (nk - before == 1) name = &kept[before];
  } else {
    if (nk - used > 1) return fail(err, errlen, "argument %d: unexpected '%s'", index, quote(&kept[used + 1], q, sizeof q));
    if (nk - used == 1) name = &kept[used];
  }
  if (!out->pointer) {
    out->is_const = 0; /* a by-value const changes nothing for the caller */
    if (out->type == RL_ARG_VOID) return fail(err, errlen, "argument %d: void is only valid as a pointer (void*)", index);
  }
  if (name) {
    size_t n = name->n < RL_SIG_NAME_MAX - 1 ? name->n : RL_SIG_NAME_MAX - 1;
    memcpy(out->name, name->s, n);
    out->name[n] = 0;
  }
  return NULL;
}

const char *rl_signature_parse(const char *text, size_t len, rl_signature *sig, char *err, size_t errlen) {
  memset(sig, 0, sizeof *sig);
  if (!text) len = 0;
  word words[WORD_MAX];
  int nw = 0, stars = 0, index = 1;
  size_t i = 0;
  for (;;) {
    while (i < len && is_space(text[i])) i++;
    if (i >= len || text[i] == ',') {
      /* the end of one argument */
      int at_end = i >= len;
      if (nw == 0 && stars == 0) {
        if (at_end && index == 1) return NULL; /* "" : no arguments */
        return fail(err, errlen, "argument %d is empty", index);
      }
      if (at_end && index == 1 && nw == 1 && stars == 0 && word_is(&words[0], "void")) return NULL; /* "void" */
      if (sig->count >= RL_SIG_MAX_ARGS) return fail(err, errlen, "more than %d arguments", RL_SIG_MAX_ARGS);
      const char *e = build_arg(words, nw, stars, index, &sig->args[sig->count], err, errlen);
      if (e) return e;
      sig->count++;
      if (at_end) return NULL;
      i++; /* past ',' */
      index++;
      nw = stars = 0;
      continue;
    }
    char c = text[i];
    if (c == '*') {
      stars++;
      i++;
    } else if (is_ident_start(c)) {
      size_t start = i;
      while (i < len && is_ident(text[i])) i++;
      if (nw >= WORD_MAX) return fail(err, errlen, "argument %d: too many words", index);
      words[nw++] = (word){text + start, i - start, stars > 0};
    } else if ((unsigned char)c >= 0x21 && (unsigned char)c < 0x7f) {
      return fail(err, errlen, "argument %d: unexpected character '%c' (at character %zu)", index, c, i + 1);
    } else {
      return fail(err, errlen, "argument %d: unexpected byte 0x%02x (at character %zu)", index, (unsigned char)c, i + 1);
    }
  }
}
