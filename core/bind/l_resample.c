/* rl.trajectories{...}, rl.resample(src, st, tt, opts), rl.compare(got, ref, opts),
   rl.validate_times(times, opts). */
#include "compare.h"
#include "fuse.h"
#include "bind.h"
#include "rl_cuda.h"
#include "threadpool.h"
#include "trajectories.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rl_backend_name(rl_backend b) {
  return b == RL_BACKEND_CPU ? "cpu" : b == RL_BACKEND_REFERENCE ? "reference" : "cuda";
}

static lua_Integer field_size(lua_State *L, int t, const char *key, lua_Integer def) {
  lua_getfield(L, t, key);
  lua_Integer v = def;
  if (!lua_isnil(L, -1)) {
    int isint;
    v = lua_tointegerx(L, -1, &isint);
    if (!isint) {
      const char *got = lua_type(L, -1) == LUA_TNUMBER ? rl_push_number_text(L, lua_tonumber(L, -1)) : luaL_typename(L, -1);
      luaL_error(L, "trajectories: %s must be an integer, got %s", key, got);
    }
  } else if (def < 0) {
    luaL_error(L, "trajectories: %s is required", key);
  }
  if (v < 1) luaL_error(L, "trajectories: %s must be positive, got %I", key, v);
  lua_pop(L, 1);
  return v;
}

/* Times are f32 seconds. The sample rate is bounded so that they stay finite (a long stream at 1e-300
   Hz overflows) and the period stays a normal f32 far above zero (at 1e300 Hz every time is 0); the
   start offset of the jittered timing is at most 2^20 periods, so that the f32 spacing at the largest
   offset (offset * 2^-23) stays under 1/8 of a period and samples remain distinguishable. */
#define TRAJ_RATE_MIN 1e-6
#define TRAJ_RATE_MAX 1e9
#define TRAJ_MAX_OFFSET_PERIODS 1048576.0

/* rl.trajectories{batch=, source_len=, target_len=, dim=, dtype=, seed=, timing=, device=, rate=,
   jitter=, drop=, max_offset=} -> {src=, src_times=, tgt_times=} */
static int l_trajectories(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  static const char *const keys[] = {"batch", "source_len", "target_len", "dim", "dtype", "seed", "timing", "rate",
                                     "jitter", "drop", "max_offset", "device", "into", NULL};
  rl_check_keys(L, 1, "trajectories: ", "field", keys); /* (sede = 3 would give seed 0's data) */
  rl_traj_params p;
  memset(&p, 0, sizeof p);
  p.batch = field_size(L, 1, "batch", -1);
  p.source_len = field_size(L, 1, "source_len", -1);
  p.dim = field_size(L, 1, "dim", -1);
  p.target_len = field_size(L, 1, "target_len", p.source_len / 2 > 0 ? p.source_len / 2 : 1);
  lua_getfield(L, 1, "dtype");
  p.dtype = rl_check_dtype(L, -1, "trajectories: dtype", RL_F32);
  lua_pop(L, 1);
  /* the generator writes floating-point trajectories: an integer dtype would come back all zeros */
  if (rl_dtype_is_integer(p.dtype))
    return luaL_error(L, "trajectories: dtype: values are f32, f64, bf16 or f16, got %s", rl_dtype_name(p.dtype));
  p.seed = (uint64_t)rl_opt_integer(L, 1, "seed", 0, LUA_MININTEGER, LUA_MAXINTEGER);
  const char *timing = rl_opt_string(L, 1, "timing", "jitter");
  if (strcmp(timing, "uniform") == 0) p.timing = RL_TIMING_UNIFORM;
  else if (strcmp(timing, "jitter") == 0) p.timing = RL_TIMING_JITTER;
  else return luaL_error(L, "trajectories: timing must be \"uniform\" or \"jitter\", got '%s'", timing);
  p.rate_hz = rl_opt_number(L, 1, "rate", 100.0);
  p.jitter = rl_opt_number(L, 1, "jitter", 0.25);
  p.drop_prob = rl_opt_number(L, 1, "drop", 0.05);
  p.max_offset = rl_opt_number(L, 1, "max_offset", 2.0);
  /* (every test is written so that NaN fails it) */
  if (!(p.rate_hz >= TRAJ_RATE_MIN && p.rate_hz <= TRAJ_RATE_MAX))
    return luaL_error(L, "trajectories: rate must be in [%s, %s] Hz (times are f32 seconds: outside it they "
                      "overflow or cannot be told apart), got %s", rl_push_number_text(L, TRAJ_RATE_MIN),
                      rl_push_number_text(L, TRAJ_RATE_MAX), rl_push_number_text(L, p.rate_hz));
  if (!(p.jitter >= 0 && p.jitter < 0.5))
    return luaL_error(L, "trajectories: jitter must be in [0, 0.5), got %s", rl_push_number_text(L, p.jitter));
  if (!(p.drop_prob >= 0 && p.drop_prob < 1))
    return luaL_error(L, "trajectories: drop must be in [0, 1), got %s", rl_push_number_text(L, p.drop_prob));
  if (!(p.max_offset >= 0 && isfinite(p.max_offset)))
    return luaL_error(L, "trajectories: max_offset must be a finite number >= 0, got %s",
                      rl_push_number_text(L, p.max_offset));
  if (p.timing == RL_TIMING_JITTER && !(p.max_offset * p.rate_hz <= TRAJ_MAX_OFFSET_PERIODS))
    return luaL_error(L, "trajectories: max_offset must be at most 2^20 periods (%s s at rate %s Hz) so that f32 "
                      "times keep sub-period resolution, got %s", rl_push_number_text(L, TRAJ_MAX_OFFSET_PERIODS / p.rate_hz),
                      rl_push_number_text(L, p.rate_hz), rl_push_number_text(L, p.max_offset));
  lua_getfield(L, 1, "device");
  rl_device dev = rl_check_device(L, -1, "trajectories: device");
  lua_pop(L, 1);
  lua_settop(L, 1);

  int64_t s3[3] = {p.batch, p.source_len, p.dim}, s2[2] = {p.batch, p.source_len}, t2[2] = {p.batch, p.target_len};
  const char *names[3] = {"src", "src_times", "tgt_times"};
  if (lua_getfield(L, 1, "into") != LUA_TNIL) {
    /* regenerate into existing host tensors (same buffers for every seed: same memory placement) */
    if (!lua_istable(L, 2)) return luaL_error(L, "trajectories: into must be a table {src=, src_times=, tgt_times=}");
    if (dev != RL_HOST) return luaL_error(L, "trajectories: into takes host tensors (generate, then copy_from to the device)");
    const int64_t *shapes[3] = {s3, s2, t2};
    const rl_dtype dtypes[3] = {p.dtype, RL_F32, RL_F32};
    rl_tensor *t[3];
    for (int i = 0; i < 3; i++) {
      lua_getfield(L, 2, names[i]);
      lua_pushfstring(L, "trajectories: into.%s", names[i]);
      t[i] = rl_check_tensor(L, -2, lua_tostring(L, -1));
      lua_pop(L, 1);
      if (t[i]->device != RL_HOST || t[i]->dtype != dtypes[i] || t[i]->ndim != (i == 0 ? 3 : 2) ||
          t[i]->shape[0] != shapes[i][0] || t[i]->shape[1] != shapes[i][1] || (i == 0 && t[i]->shape[2] != s3[2]))
        return luaL_error(L, "trajectories: into.%s does not match the requested shape and dtype", names[i]);
      for (int j = 0; j < i; j++) /* one buffer written as two would hold neither */
        if (t[j]->data == t[i]->data)
          return luaL_error(L, "trajectories: into.%s is the same tensor as into.%s (each needs its own)", names[i], names[j]);
    }
    rl_trajectories(&p, t[0]->data, t[1]->data, t[2]->data, 0);
    lua_settop(L, 2);
    return 1;
  }
  lua_pop(L, 1);
  rl_tensor *src = rl_push_tensor(L, RL_HOST, p.dtype, 3, s3); /* 2 */
  rl_tensor *st = rl_push_tensor(L, RL_HOST, RL_F32, 2, s2);   /* 3 */
  rl_tensor *tt = rl_push_tensor(L, RL_HOST, RL_F32, 2, t2);   /* 4 */
  rl_trajectories(&p, src->data, st->data, tt->data, 0);
  lua_createtable(L, 0, 3);
  for (int i = 0; i < 3; i++) {
    if (dev == RL_HOST) {
      lua_pushvalue(L, 2 + i);
    } else {
      rl_tensor *h = lua_touserdata(L, 2 + i);
      rl_tensor *d = rl_push_tensor(L, RL_CUDA, h->dtype, h->ndim, h->shape);
      if (rl_cuda_memcpy_h2d(d->data, h->data, h->nbytes) != 0)
        return luaL_error(L, "trajectories: copy to device failed: %s", rl_cuda_last_error());
    }
    lua_setfield(L, -2, names[i]);
  }
  return 1;
}

static void check_times(lua_State *L, rl_tensor *t, const char *name, int monotone, int strict) {
  char err[256];
  const float *h = t->data;
  float *copy = NULL;
  if (t->device != RL_HOST) {
    copy = malloc(t->nbytes);
    if (!copy) luaL_error(L, "%s: cannot allocate %zu bytes to validate", name, t->nbytes);
    if (rl_cuda_memcpy_d2h(copy, t->data, t->nbytes) != 0) {
      free(copy);
      luaL_error(L, "%s: copy for validation failed: %s", name, rl_cuda_last_error());
    }
    h = copy;
  }
  const char *msg = rl_validate_times(h, t->shape[0], t->shape[1], monotone, strict, err, sizeof err);
  if (!msg) msg = rl_check_f32_resolution(h, t->shape[0], t->shape[1], NULL, err, sizeof err);
  free(copy);
  if (msg) luaL_error(L, "%s: %s", name, msg);
}

void rl_check_resample_call(lua_State *L, int idx, const char *fname, const char *const *keys, rl_resample_call *c) {
  memset(c, 0, sizeof *c);
  int o = idx + 3;
  rl_check_opts(L, o, fname, keys);
  c->src = rl_check_tensor(L, idx, "src");
  c->st = rl_check_tensor(L, idx + 1, "src_times");
  c->tt = rl_check_tensor(L, idx + 2, "tgt_times");
  const char *backend = rl_opt_string(L, o, "backend", "cpu");
  if (strcmp(backend, "cpu") == 0) c->backend = RL_BACKEND_CPU;
  else if (strcmp(backend, "reference") == 0) c->backend = RL_BACKEND_REFERENCE;
  else if (strcmp(backend, "cuda") == 0) c->backend = RL_BACKEND_CUDA;
  else luaL_error(L, "opts.backend: unknown backend '%s' (expected cpu, reference or cuda)", backend);
  c->threads = (int)rl_opt_integer(L, o, "threads", 0, 0, 4096);
  c->pin = rl_opt_boolean(L, o, "pin", 0);
  int validate = rl_opt_boolean(L, o, "validate", 1), strict = rl_opt_boolean(L, o, "strict", 0);

  rl_tensor *src = c->src, *st = c->st, *tt = c->tt;
  if (src->ndim != 3) luaL_error(L, "src: expected shape [B,S,D], got %d dimensions", src->ndim);
  if (st->ndim != 2) luaL_error(L, "src_times: expected shape [B,S], got %d dimensions", st->ndim);
  if (tt->ndim != 2) luaL_error(L, "tgt_times: expected shape [B,T], got %d dimensions", tt->ndim);
  if (st->dtype != RL_F32) luaL_error(L, "src_times: must be f32 here, got %s (rl.resample and rl.fuse take f64 and i64 times)", rl_dtype_name(st->dtype));
  if (tt->dtype != RL_F32) luaL_error(L, "tgt_times: must be f32 here, got %s (rl.resample and rl.fuse take f64 and i64 times)", rl_dtype_name(tt->dtype));
  if (st->shape[0] != src->shape[0] || st->shape[1] != src->shape[1])
    luaL_error(L, "src_times: shape [%I,%I] does not match src [B,S] = [%I,%I]", (lua_Integer)st->shape[0],
               (lua_Integer)st->shape[1], (lua_Integer)src->shape[0], (lua_Integer)src->shape[1]);
  if (tt->shape[0] != src->shape[0])
    luaL_error(L, "tgt_times: batch %I does not match src batch %I", (lua_Integer)tt->shape[0],
               (lua_Integer)src->shape[0]);
  if (st->device != src->device || tt->device != src->device)
    luaL_error(L, "%s: src, src_times and tgt_times must be on one device (src on %s, src_times on %s, "
               "tgt_times on %s); move them with t:to()", fname, src->device ? "cuda" : "cpu",
               st->device ? "cuda" : "cpu", tt->device ? "cuda" : "cpu");
  rl_device want_dev = c->backend == RL_BACKEND_CUDA ? RL_CUDA : RL_HOST;
  if (c->backend == RL_BACKEND_CUDA && !rl_cuda_available())
    luaL_error(L, "opts.backend: cuda is not available (%s)", rl_cuda_last_error());
  if (src->device != want_dev)
    luaL_error(L, "src: the %s backend needs %s tensors, got %s ones (use t:to(\"%s\"))", backend,
               want_dev ? "cuda" : "cpu", src->device ? "cuda" : "cpu", want_dev ? "cuda" : "cpu");
  if (c->backend != RL_BACKEND_REFERENCE && src->dtype == RL_F64)
    luaL_error(L, "src: the %s backend takes f32, bf16 or f16 (f64 only with backend=\"reference\")", backend);
  if (rl_dtype_is_integer(src->dtype)) luaL_error(L, "src: values are f32, bf16 or f16, got %s", rl_dtype_name(src->dtype));
  if (validate) {
    check_times(L, st, "src_times", 1, strict);
    check_times(L, tt, "tgt_times", 0, 0);
  }
  c->args = (rl_resample_args){.dtype = src->dtype, .src = src->data, .src_times = st->data,
                               .tgt_times = tt->data, .batch = src->shape[0], .source_len = src->shape[1],
                               .target_len = tt->shape[1], .dim = src->shape[2]};
  rl_dtype out_dtype = c->backend == RL_BACKEND_REFERENCE ? RL_F64 : src->dtype;
  int64_t oshape[3] = {src->shape[0], tt->shape[1], src->shape[2]};
  if (lua_istable(L, o) && lua_getfield(L, o, "out") != LUA_TNIL) {
    rl_tensor *out = rl_check_tensor(L, -1, "opts.out");
    if (out->ndim != 3 || out->shape[0] != oshape[0] || out->shape[1] != oshape[1] || out->shape[2] != oshape[2])
      luaL_error(L, "opts.out: expected shape [%I,%I,%I]", (lua_Integer)oshape[0], (lua_Integer)oshape[1],
                 (lua_Integer)oshape[2]);
    if (out->dtype != out_dtype)
      luaL_error(L, "opts.out: expected dtype %s, got %s", rl_dtype_name(out_dtype), rl_dtype_name(out->dtype));
    if (out->device != want_dev) luaL_error(L, "opts.out: must be on the same device as src");
    if (out->data == src->data || out->data == st->data || out->data == tt->data)
      luaL_error(L, "opts.out: must not be one of the inputs");
    c->args.out = out->data;
    c->out_given = 1;
  } else {
    if (lua_istable(L, o)) lua_pop(L, 1);
    c->args.out = rl_push_tensor(L, want_dev, out_dtype, 3, oshape)->data;
  }
}

static int run_cuda(const rl_resample_args *a) {
  if (rl_cuda_resample(a) != 0) return -1;
  return rl_cuda_synchronize();
}

/* rl.resample(src, src_times, tgt_times, opts) -> out */
static int l_resample(lua_State *L) {
  rl_resample_call c;
  lua_settop(L, 4);
  if (rl_resample_is_general(L)) return rl_resample_general(L); /* modes, lengths, fill, dtype, f64/i64 times */
  static const char *const keys[] = {RL_RESAMPLE_KEYS, RL_GENERAL_KEYS, NULL}; /* (general ones never get here) */
  rl_check_resample_call(L, 1, "resample", keys, &c);
  rl_pool_set_pinning(c.pin && c.backend != RL_BACKEND_CUDA);
  switch (c.backend) {
  case RL_BACKEND_CPU: rl_resample_cpu(&c.args, c.threads); break;
  case RL_BACKEND_REFERENCE: rl_resample_reference(&c.args, c.args.out, c.threads); break;
  case RL_BACKEND_CUDA:
    if (run_cuda(&c.args) != 0) return luaL_error(L, "resample: CUDA failed: %s", rl_cuda_last_error());
    break;
  }
  rl_pool_set_pinning(0);
  return 1;
}

/* opts.operands = {src =, src_times =, tgt_times =}: the resampler's inputs that got was computed from,
   for the operand-relative bound (compare.h). Checked so that every element the bound reads lies inside
   them; the table stays on the stack (it keeps the tensors alive). 1 if given, else 0. */
static int check_operands(lua_State *L, const rl_tensor *got, rl_resample_args *a) {
  if (!lua_istable(L, 3)) return 0;
  lua_getfield(L, 3, "operands");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "opts.operands: expected a table {src =, src_times =, tgt_times =}, got %s", luaL_typename(L, -1));
  static const char *const keys[3] = {"src", "src_times", "tgt_times"};
  static const char *const names[3] = {"opts.operands.src", "opts.operands.src_times", "opts.operands.tgt_times"};
  rl_tensor *t[3];
  for (int k = 0; k < 3; k++) {
    lua_getfield(L, -1, keys[k]);
    t[k] = rl_check_tensor(L, -1, names[k]);
    if (t[k]->device != RL_HOST) luaL_error(L, "%s: expected a host tensor", names[k]);
    lua_pop(L, 1);
  }
  const rl_tensor *src = t[0], *st = t[1], *tt = t[2];
  if (src->ndim != 3 || !(src->dtype == RL_F32 || src->dtype == RL_BF16 || src->dtype == RL_F16 || src->dtype == RL_F64))
    luaL_error(L, "opts.operands.src: expected a float tensor [B,S,D] (f32, bf16, f16, f64)");
  const int64_t B = src->shape[0], S = src->shape[1], D = src->shape[2];
  if (st->ndim != 2 || st->dtype != RL_F32 || st->shape[0] != B || st->shape[1] != S)
    luaL_error(L, "opts.operands.src_times: expected an f32 tensor [%I,%I] (src is [B,S,D])", (lua_Integer)B, (lua_Integer)S);
  if (tt->ndim != 2 || tt->dtype != RL_F32 || tt->shape[0] != B)
    luaL_error(L, "opts.operands.tgt_times: expected an f32 tensor [%I,T] (src is [B,S,D])", (lua_Integer)B);
  const int64_t T = tt->shape[1];
  if (got->ndim != 3 || got->shape[0] != B || got->shape[1] != T || got->shape[2] != D)
    luaL_error(L, "got: expected the shape [%I,%I,%I] of resampling opts.operands", (lua_Integer)B, (lua_Integer)T,
               (lua_Integer)D);
  *a = (rl_resample_args){.dtype = src->dtype, .src = src->data, .src_times = st->data, .tgt_times = tt->data,
                          .out = NULL, .batch = B, .source_len = S, .target_len = T, .dim = D};
  return 1;
}

/* opts.operand_sums: per element of got, the sum |a| + |b| of its lerp's operands, precomputed (rl.fuse
   with backend = "reference" and operands = writes them), for the same bound as opts.operands. Left on
   the stack (it keeps the tensor alive). The sums, or NULL if not given. */
static const double *check_operand_sums(lua_State *L, const rl_tensor *got) {
  if (!lua_istable(L, 3)) return NULL;
  lua_getfield(L, 3, "operand_sums");
  if (lua_isnil(L, -1)) return NULL;
  rl_tensor *t = rl_check_tensor(L, -1, "opts.operand_sums");
  if (t->device != RL_HOST || t->dtype != RL_F64 || t->numel != got->numel)
    luaL_error(L, "opts.operand_sums: expected a host f64 tensor of %I elements (one per element of got)", (lua_Integer)got->numel);
  return t->data;
}

/* rl.compare(got, ref, {rtol=, atol=, ulps=, operands= | operand_sums=, orel=}) -> {ok=, count=, bad=, ...} */
static int l_compare(lua_State *L) {
  rl_tensor *got = rl_check_tensor(L, 1, "got");
  rl_tensor *ref = rl_check_tensor(L, 2, "ref");
  static const char *const keys[] = {"rtol", "atol", "ulps", "orel", "operands", "operand_sums", NULL};
  rl_check_opts(L, 3, "compare", keys);
  if (got->device != RL_HOST) return luaL_error(L, "got: compare needs a host tensor; call t:to(\"cpu\") first");
  if (ref->device != RL_HOST || ref->dtype != RL_F64)
    return luaL_error(L, "ref: expected a host f64 tensor (the reference backend's output)");
  if (got->numel != ref->numel)
    return luaL_error(L, "got: %I elements, ref has %I", (lua_Integer)got->numel, (lua_Integer)ref->numel);
  int same_shape = got->ndim == ref->ndim;
  for (int i = 0; same_shape && i < got->ndim; i++) same_shape = got->shape[i] == ref->shape[i];
  if (!same_shape) { /* equal counts in other shapes: elements would be paired by accident */
    for (int k = 0; k < 2; k++) { /* pushes "[a,b,...]" of got, then of ref */
      const rl_tensor *t = k == 0 ? got : ref;
      lua_pushliteral(L, "[");
      for (int i = 0; i < t->ndim; i++) lua_pushfstring(L, i ? ",%I" : "%I", (lua_Integer)t->shape[i]);
      lua_pushliteral(L, "]");
      lua_concat(L, t->ndim + 2);
    }
    return luaL_error(L, "got: shape %s does not match ref %s", lua_tostring(L, -2), lua_tostring(L, -1));
  }
  int lowp = got->dtype == RL_BF16 || got->dtype == RL_F16;
  /* tolerances: finite and >= 0 (a negative or NaN one fails every element, an infinite one none) */
  double rtol = rl_opt_number_in(L, 3, "rtol", got->dtype == RL_F64 ? 1e-12 : lowp ? 0.0 : 1e-6, 0, HUGE_VAL);
  double atol = rl_opt_number_in(L, 3, "atol", got->dtype == RL_F64 ? 1e-12 : 1e-6, 0, HUGE_VAL);
  double ulps = rl_opt_number_in(L, 3, "ulps", lowp ? 1.0 : 0.0, 0, HUGE_VAL);
  rl_resample_args args;
  int with_operands = check_operands(L, got, &args);
  const double *sums = check_operand_sums(L, got);
  if (with_operands && sums) luaL_error(L, "opts.operand_sums: give opts.operands or opts.operand_sums, not both");
  with_operands |= sums != NULL;
  /* the fp32 lerp is within 6 units of rounding of |a| + |b| (w's three roundings, the sub, the mul and
     the add); 8 leaves room for other formulations, such as (1 - w)*a + w*b */
  double orel = rl_opt_number_in(L, 3, "orel", got->dtype == RL_F64 ? 8 * 0x1p-53 : 8 * 0x1p-24, 0, HUGE_VAL);
  rl_compare_operands ops = {sums ? NULL : &args, sums, orel};
  rl_compare_result r;
  rl_compare_lerp(got->data, got->dtype, ref->data, got->numel, rtol, atol, ulps, with_operands ? &ops : NULL, &r);
  lua_createtable(L, 0, 13);
  lua_pushboolean(L, r.bad == 0);
  lua_setfield(L, -2, "ok");
  lua_pushinteger(L, r.count); lua_setfield(L, -2, "count");
  lua_pushinteger(L, r.bad); lua_setfield(L, -2, "bad");
  lua_pushinteger(L, r.nonfinite); lua_setfield(L, -2, "nonfinite");
  lua_pushnumber(L, r.max_abs_err); lua_setfield(L, -2, "max_abs_err");
  lua_pushnumber(L, r.max_rel_err); lua_setfield(L, -2, "max_rel_err");
  lua_pushnumber(L, r.max_ulp_err); lua_setfield(L, -2, "max_ulp_err");
  lua_pushnumber(L, rtol); lua_setfield(L, -2, "rtol");
  lua_pushnumber(L, atol); lua_setfield(L, -2, "atol");
  lua_pushnumber(L, ulps); lua_setfield(L, -2, "ulps");
  if (with_operands) { lua_pushnumber(L, orel); lua_setfield(L, -2, "orel"); }
  if (r.first_bad >= 0) {
    lua_pushinteger(L, r.first_bad + 1); lua_setfield(L, -2, "first_bad");
    lua_pushnumber(L, r.first_bad_got); lua_setfield(L, -2, "first_bad_got");
    lua_pushnumber(L, r.first_bad_want); lua_setfield(L, -2, "first_bad_want");
  }
  return 1;
}

/* rl.validate_times(times, {strict=, monotone=}) -> true | nil, message */
static int l_validate_times(lua_State *L) {
  rl_tensor *t = rl_check_tensor(L, 1, "times");
  static const char *const keys[] = {"monotone", "strict", NULL};
  rl_check_opts(L, 2, "validate_times", keys);
  if (t->ndim != 2 || t->dtype != RL_F32) return luaL_error(L, "times: expected an f32 tensor [rows, len]");
  int monotone = rl_opt_boolean(L, 2, "monotone", 1), strict = rl_opt_boolean(L, 2, "strict", 0);
  if (t->device != RL_HOST) return luaL_error(L, "times: validate_times needs a host tensor");
  char err[256];
  const char *msg = rl_validate_times(t->data, t->shape[0], t->shape[1], monotone, strict, err, sizeof err);
  if (!msg) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushnil(L);
  lua_pushstring(L, msg);
  return 2;
}

/* core.check_resample_opts(opts, timed, what): the keys a registered backend's resample (timed: bench)
   takes, checked against the same lists as the built-in backends' (bind.h), for lua/robolua/backends.lua. */
static int l_check_resample_opts(lua_State *L) {
  static const char *const plain[] = {RL_RESAMPLE_KEYS, NULL}, *const timed[] = {RL_RESAMPLE_KEYS, RL_TIMING_KEYS, NULL};
  rl_check_opts(L, 1, luaL_checkstring(L, 3), lua_toboolean(L, 2) ? timed : plain);
  return 0;
}

void rl_open_resample(lua_State *L) {
  static const luaL_Reg fns[] = {{"trajectories", l_trajectories}, {"resample", l_resample},
                                 {"compare", l_compare},           {"validate_times", l_validate_times},
                                 {"check_resample_opts", l_check_resample_opts}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
