/* Kernel argument signatures: "f32* y, const f32* x, f32 a, i32 n" -> a list of argument kinds, so a
   user kernel's arguments can be checked and marshalled from Lua values without compiling anything.
   Each argument is a scalar passed by value or a pointer to elements of a type (one level of '*').
   Type names: f32 f64 f16 bf16 i8 u8 i16 u16 i32 u32 i64 u64 (void only as void*), and the C spellings
   float, double, half, __half, __nv_bfloat16, int, unsigned, long long, size_t, int32_t, uint64_t, ...
   An optional parameter name may follow the type; `const` marks a pointee read-only; __restrict__ and a
   const after the '*' are accepted and ignored. "" and "void" declare no arguments. */
#ifndef ROBOLUA_SIGNATURE_H
#define ROBOLUA_SIGNATURE_H
#include "dtype.h"
#include <stddef.h>

#define RL_SIG_MAX_ARGS 64
#define RL_SIG_NAME_MAX 32 /* a parameter name is kept up to 31 characters (only used in messages) */

/* The argument element types: enum, canonical name, size in bytes, the tensor dtype code it matches
   (rl_dtype) or -1 where robolua has no tensor of that type. */
#define RL_ARGTYPE_LIST(X)                                                                             \
  X(RL_ARG_F32, "f32", 4, RL_F32)                                                                           \
  X(RL_ARG_BF16, "bf16", 2, RL_BF16)                                                                         \
  X(RL_ARG_F16, "f16", 2, RL_F16)                                                                           \
  X(RL_ARG_F64, "f64", 8, RL_F64)                                                                           \
  X(RL_ARG_I64, "i64", 8, RL_I64)                                                                           \
  X(RL_ARG_I8, "i8", 1, -1)                                                                            \
  X(RL_ARG_U8, "u8", 1, -1)                                                                            \
  X(RL_ARG_I16, "i16", 2, -1)                                                                          \
  X(RL_ARG_U16, "u16", 2, -1)                                                                          \
  X(RL_ARG_I32, "i32", 4, -1)                                                                          \
  X(RL_ARG_U32, "u32", 4, -1)                                                                          \
  X(RL_ARG_U64, "u64", 8, -1)                                                                          \
  X(RL_ARG_VOID, "void", 0, -1)

#define RL_ARGTYPE_ENUM_(e, name, size, dtype) e,
typedef enum { RL_ARGTYPE_LIST(RL_ARGTYPE_ENUM_) RL_ARGTYPE_COUNT } rl_argtype;
#undef RL_ARGTYPE_ENUM_

typedef struct {
  rl_argtype type;   /* the scalar's type, or the pointee's */
  int pointer;       /* 1: a device pointer to `type` elements */
  int is_const;      /* pointer to const (read-only) */
  char name[RL_SIG_NAME_MAX]; /* the parameter name if one was written, else "" */
} rl_arg;

typedef struct {
  int count;
  rl_arg args[RL_SIG_MAX_ARGS];
} rl_signature;

/* Parses text[0..len) (need not be NUL-terminated; any bytes are safe). Returns NULL on success, or a
   message written to err, e.g. "signature: argument 3: unknown type 'flaot'". */
const char *rl_signature_parse(const char *text, size_t len, rl_signature *sig, char *err, size_t errlen);

const char *rl_argtype_name(rl_argtype t);
size_t rl_argtype_size(rl_argtype t);
/* The tensor dtype code (rl_dtype) matching t, or -1 if robolua has no tensor of that type. */
int rl_argtype_dtype(rl_argtype t);
/* Bytes the argument takes in a kernel's parameter list (a pointer: sizeof(void *)). */
size_t rl_arg_size(const rl_arg *a);
/* "const f32*", "i32", ... into buf; returns buf. */
const char *rl_arg_describe(const rl_arg *a, char *buf, size_t len);
#endif
