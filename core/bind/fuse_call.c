/* Reading and checking a fused resample call (rl.fuse, rl.bench.fuse, and rl.resample when it uses a
   general feature) into rl_fuse_args. Every error names the argument: "streams[2].modes[1]: ...",
   "tgt_len: row 3 is ...". Lengths are always checked (they bound every read and write); times unless
   validate = false. Only the valid prefix of each row is ever read, here and in the engines. */
#include "bind.h"
#include "fuse.h"
#include "rl_cuda.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Argument names in messages: a fuse spec names "streams[i].field", the resample form names its
   positional arguments and options. */
static const char *field_name(const rl_fuse_call *c, char *buf, size_t n, int i, const char *field) {
  if (c->resample_style) {
    if (strcmp(field, "src_len") == 0 || strcmp(field, "modes") == 0) snprintf(buf, n, "opts.%s", field);
    else snprintf(buf, n, "%s", field);
  } else {
    snprintf(buf, n, "streams[%d].%s", i + 1, field);
  }
  return buf;
}

static const char *device_name(rl_device d) { return d == RL_CUDA ? "cuda" : "cpu"; }

/* Moves the value on top of the stack into the call's keep table (alive until the binding returns). */
static void keep_top(lua_State *L, rl_fuse_call *c) {
  lua_rawseti(L, c->keep, ++c->keep_n);
}

/* The tensor's bytes on the host: the data itself, or a copy of a device tensor (kept for the call). */
static const void *host_bytes(lua_State *L, rl_fuse_call *c, const rl_tensor *t, const char *name) {
  if (t->device == RL_HOST) return t->data;
  void *h = lua_newuserdatauv(L, t->nbytes, 0);
  keep_top(L, c);
  if (rl_cuda_memcpy_d2h(h, t->data, t->nbytes) != 0)
    luaL_error(L, "%s: copy to the host for checking failed: %s", name, rl_cuda_last_error());
  return h;
}

/* Lengths at the top of the stack (an i32/i64 tensor [B] or a Lua array of B integers; popped) -> a host
   int64 copy for the checks and the pointer the engine reads (for an array, an i64 tensor made here on the
   call's device). Both are kept for the call. Each value must be in [0, limit]. */
static const int64_t *read_lengths(lua_State *L, rl_fuse_call *c, const char *name, int64_t limit,
                                   const void **dev_ptr, rl_dtype *dev_dtype) {
  const int v = lua_gettop(L);
  const int64_t B = c->args.batch;
  luaL_checkstack(L, 4, "fuse");
  int64_t *host = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)B, 0);
  keep_top(L, c);
  if (lua_istable(L, v)) {
    rl_check_array(L, v, name, "integer lengths");
    if (luaL_len(L, v) != B) luaL_error(L, "%s: has %I entries, the batch is %I", name, (lua_Integer)luaL_len(L, v), (lua_Integer)B);
    for (int64_t b = 0; b < B; b++) {
      lua_geti(L, v, b + 1);
      int isint;
      host[b] = (int64_t)lua_tointegerx(L, -1, &isint);
      if (!isint) luaL_error(L, "%s[%I]: expected an integer length, got %s", name, (lua_Integer)b + 1, rl_value_text(L, -1));
      lua_pop(L, 1);
    }
    rl_tensor *t = rl_push_tensor(L, c->device, RL_I64, 1, &B);
    keep_top(L, c);
    if (c->device == RL_HOST) memcpy(t->data, host, t->nbytes);
    else if (rl_cuda_memcpy_h2d(t->data, host, t->nbytes) != 0) luaL_error(L, "%s: copy to device failed: %s", name, rl_cuda_last_error());
    *dev_ptr = t->data;
    *dev_dtype = RL_I64;
  } else {
    rl_tensor *t = rl_check_tensor(L, v, name);
    if (t->ndim != 1 || t->shape[0] != B) luaL_error(L, "%s: expected shape [%I] (one length per batch row)", name, (lua_Integer)B);
    if (t->dtype != RL_I64 && t->dtype != RL_I32) luaL_error(L, "%s: expected an i32 or i64 tensor, got %s", name, rl_dtype_name(t->dtype));
    if (t->device != c->device)
      luaL_error(L, "%s: on %s, but tgt_times is on %s (every tensor of a call on one device)", name,
                 device_name(t->device), device_name(c->device));
    const void *src = host_bytes(L, c, t, name);
    for (int64_t b = 0; b < B; b++) host[b] = (int64_t)rl_load_f64(src, t->dtype, (size_t)b);
    *dev_ptr = t->data;
    *dev_dtype = t->dtype;
  }
  for (int64_t b = 0; b < B; b++) {
    if (host[b] < 0) luaL_error(L, "%s: row %I is %I, a negative length", name, (lua_Integer)b, (lua_Integer)host[b]);
    if (host[b] > limit)
      luaL_error(L, "%s: row %I is %I, longer than the padded size %I", name, (lua_Integer)b, (lua_Integer)host[b], (lua_Integer)limit);
  }
  lua_settop(L, v - 1);
  return host;
}

/* A range's keys: from, to, and its mode as [1] or mode = (one of the two). */
static void check_range_keys(lua_State *L, int e, const char *entry) {
  for (lua_pushnil(L); lua_next(L, e); lua_pop(L, 1)) {
    if (lua_isinteger(L, -2) && lua_tointeger(L, -2) == 1) continue;
    if (lua_type(L, -2) == LUA_TSTRING) {
      const char *k = lua_tostring(L, -2);
      if (!strcmp(k, "from") || !strcmp(k, "to") || !strcmp(k, "mode")) continue;
      luaL_error(L, "%s: unknown field %s (expected from, to, and the mode as [1] or mode=)", entry, k);
    }
    luaL_error(L, "%s: unknown field [%s] (expected from, to, and the mode as [1] or mode=)", entry,
               lua_isinteger(L, -2) ? lua_tostring(L, -2) : luaL_typename(L, -2));
  }
  const int positional = lua_geti(L, e, 1) != LUA_TNIL, named = lua_getfield(L, e, "mode") != LUA_TNIL;
  lua_pop(L, 2);
  if (positional && named) luaL_error(L, "%s: the mode is given twice ([1] and mode=): give one", entry);
}

/* modes at the top of the stack -> s->ranges. nil: all linear; a string: one mode for every channel;
   an array of {from=, to=, "mode"} (or mode = "..."). */
static void read_modes(lua_State *L, rl_fuse_stream *s, const char *name) {
  const int v = lua_gettop(L);
  char entry[128];
  s->nranges = 0;
  if (lua_isnil(L, v)) return;
  if (lua_type(L, v) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_createtable(L, 1, 2);
    lua_pushvalue(L, v);
    lua_rawseti(L, -2, 1);
    lua_pushinteger(L, 0);
    lua_setfield(L, -2, "from");
    lua_pushinteger(L, s->dim);
    lua_setfield(L, -2, "to");
    lua_rawseti(L, -2, 1);
    lua_replace(L, v);
  }
  if (!lua_istable(L, v)) luaL_error(L, "%s: expected a mode name or an array of {from=, to=, \"mode\"}, got %s", name, luaL_typename(L, v));
  rl_check_array(L, v, name, "ranges {from=, to=, \"mode\"}");
  const lua_Integer n = luaL_len(L, v);
  if (n > RL_FUSE_MAX_RANGES) luaL_error(L, "%s: %I ranges, at most %d per stream", name, n, RL_FUSE_MAX_RANGES);
  for (lua_Integer j = 1; j <= n; j++) {
    snprintf(entry, sizeof entry, "%s[%d]", name, (int)j);
    lua_geti(L, v, j);
    const int e = lua_gettop(L);
    if (!lua_istable(L, e)) luaL_error(L, "%s: expected a table {from=, to=, \"mode\"}, got %s", entry, luaL_typename(L, e));
    check_range_keys(L, e, entry);
    lua_Integer lim[2];
    const char *keys[2] = {"from", "to"};
    for (int q = 0; q < 2; q++) {
      lua_getfield(L, e, keys[q]);
      int isint;
      lim[q] = lua_tointegerx(L, -1, &isint);
      if (!isint) luaL_error(L, "%s: %s must be an integer channel index, got %s", entry, keys[q], luaL_typename(L, -1));
      lua_pop(L, 1);
    }
    if (lua_geti(L, e, 1) == LUA_TNIL) {
      lua_pop(L, 1);
      lua_getfield(L, e, "mode");
    }
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: expected a mode name (linear, nearest, hold, slerp), got %s", entry, luaL_typename(L, -1));
    const char *mname = lua_tostring(L, -1);
    int mode = -1;
    for (int m = 0; m < RL_INTERP_COUNT; m++)
      if (strcmp(mname, rl_interp_name(m)) == 0) mode = m;
    if (mode < 0) luaL_error(L, "%s: unknown mode '%s' (expected linear, nearest, hold or slerp)", entry, mname);
    if (lim[0] >= lim[1]) luaL_error(L, "%s: empty range [%I, %I) (from is inclusive, to exclusive)", entry, lim[0], lim[1]);
    if (lim[0] < 0 || lim[1] > s->dim)
      luaL_error(L, "%s: range [%I, %I) is outside the stream's %I channels [0, %I)", entry, lim[0], lim[1],
                 (lua_Integer)s->dim, (lua_Integer)s->dim);
    if (mode == RL_INTERP_SLERP && (lim[1] - lim[0]) % 4 != 0)
      luaL_error(L, "%s: range [%I, %I) is not a multiple of 4 channels for slerp (quaternions x, y, z, w)", entry, lim[0], lim[1]);
    for (int q = 0; q < s->nranges; q++) {
      const rl_fuse_range *o = &s->ranges[q];
      if (lim[0] < o->to && o->from < lim[1])
        luaL_error(L, "%s: range [%I, %I) overlaps %s[%d] [%d, %d)", entry, lim[0], lim[1], name, q + 1, (int)o->from, (int)o->to);
    }
    s->ranges[s->nranges++] = (rl_fuse_range){(int32_t)lim[0], (int32_t)lim[1], mode};
    lua_settop(L, v);
  }
}

static const char *const stream_keys[] = {"src", "src_times", "src_len", "modes", "name", NULL};

/* Checks the times of one tensor over its rows' valid lengths. */
static void check_times(lua_State *L, rl_fuse_call *c, const rl_tensor *t, const int64_t *lens, int monotone,
                        const char *name, int64_t *mn, int64_t *mx) {
  char err[512];
  const void *h = host_bytes(L, c, t, name);
  const char *msg = rl_check_time_rows(h, t->dtype, t->shape[0], t->shape[1], lens, monotone, c->strict, err, sizeof err);
  if (!msg && t->dtype == RL_F32) msg = rl_check_f32_resolution(h, t->shape[0], t->shape[1], lens, err, sizeof err);
  if (msg) luaL_error(L, "%s: %s", name, msg);
  if (t->dtype == RL_I64) rl_i64_row_extent(h, t->shape[0], t->shape[1], lens, mn, mx);
}

/* i64 rows: the times read so far (targets, then streams up to this one) must span < 2^53 ns. */
static void check_span(lua_State *L, const rl_fuse_call *c, const int64_t *mn, const int64_t *mx, const char *name) {
  for (int64_t b = 0; b < c->args.batch; b++) {
    if (mn[b] > mx[b]) continue; /* nothing read in this row yet */
    const uint64_t span = (uint64_t)mx[b] - (uint64_t)mn[b]; /* exact: mx >= mn */
    if (span >= (uint64_t)RL_I64_MAX_ROW_SPAN) {
      char ns[32];
      snprintf(ns, sizeof ns, "%.4g", (double)span);
      luaL_error(L, "%s: row %I spans %s ns (with tgt_times and the streams before it), more than 2^53 ns "
                 "(104 days): differences would overflow or lose precision when rebased", name, (lua_Integer)b, ns);
    }
  }
}


/* One stream of the spec (the table at the top of the stack) into a->streams[i]. */
static void read_stream(lua_State *L, rl_fuse_call *c, int i, int64_t *offset, int64_t *mn, int64_t *mx) {
  char name[96];
  rl_fuse_args *a = &c->args;
  rl_fuse_stream *s = &a->streams[i];
  const int st = lua_gettop(L);
  if (!lua_istable(L, st)) luaL_error(L, "streams[%d]: expected a table {src=, src_times=, ...}, got %s", i + 1, luaL_typename(L, st));
  snprintf(name, sizeof name, "streams[%d]: ", i + 1);
  rl_check_keys(L, st, name, "field", stream_keys);
  lua_getfield(L, st, "src");
  rl_tensor *src = rl_check_tensor(L, -1, field_name(c, name, sizeof name, i, "src"));
  if (src->ndim != 3) luaL_error(L, "%s: expected shape [B,S,D], got %d dimensions", name, src->ndim);
  if (src->shape[0] != a->batch)
    luaL_error(L, "%s: batch %I differs from tgt_times' batch %I", name, (lua_Integer)src->shape[0], (lua_Integer)a->batch);
  if (src->device != c->device)
    luaL_error(L, "%s: on %s, but tgt_times is on %s (every tensor of a call on one device)", name,
               device_name(src->device), device_name(c->device));
  if (src->dtype != RL_F32 && src->dtype != RL_BF16 && src->dtype != RL_F16 &&
      !(src->dtype == RL_F64 && c->backend == RL_BACKEND_REFERENCE))
    luaL_error(L, "%s: values are f32, bf16 or f16 (f64 only with backend=\"reference\"), got %s", name, rl_dtype_name(src->dtype));
  s->dtype = src->dtype;
  s->src = src->data;
  s->source_len = src->shape[1];
  s->dim = src->shape[2];
  s->out_offset = *offset;
  *offset += s->dim;
  if (*offset > RL_FUSE_MAX_CHANNELS)
    luaL_error(L, "%s: the streams have more than %d channels in all", name, RL_FUSE_MAX_CHANNELS);

  lua_getfield(L, st, "src_times");
  rl_tensor *stt = rl_check_tensor(L, -1, field_name(c, name, sizeof name, i, "src_times"));
  if (stt->ndim != 2 || stt->shape[0] != a->batch || stt->shape[1] != s->source_len)
    luaL_error(L, "%s: expected shape [%I,%I] (src's [B,S])", name, (lua_Integer)a->batch, (lua_Integer)s->source_len);
  if (stt->dtype != a->time_dtype)
    luaL_error(L, "%s: dtype %s differs from tgt_times' %s (every stream's times and tgt_times share one time type)",
               name, rl_dtype_name(stt->dtype), rl_dtype_name(a->time_dtype));
  if (stt->device != c->device)
    luaL_error(L, "%s: on %s, but tgt_times is on %s (every tensor of a call on one device)", name,
               device_name(stt->device), device_name(c->device));
  s->times = stt->data;

  const int64_t *lens = NULL;
  s->len = NULL;
  s->len_dtype = RL_I64;
  if (lua_getfield(L, st, "src_len") != LUA_TNIL)
    lens = read_lengths(L, c, field_name(c, name, sizeof name, i, "src_len"), s->source_len, &s->len, &s->len_dtype);
  else lua_pop(L, 1);
  lua_getfield(L, st, "modes");
  read_modes(L, s, field_name(c, name, sizeof name, i, "modes"));
  if (c->validate) {
    field_name(c, name, sizeof name, i, "src_times");
    check_times(L, c, stt, lens, 1, name, mn, mx);
    if (a->time_dtype == RL_I64) check_span(L, c, mn, mx, name);
  }
  lua_settop(L, st - 1);
}

/* Whether p is the data of one of the call's inputs (an output written over an input would corrupt it). */
static int is_input(const rl_fuse_args *a, const void *p) {
  int alias = p == a->tgt_times || p == a->tgt_len;
  for (int k = 0; k < a->nstreams; k++) alias |= p == a->streams[k].src || p == a->streams[k].times || p == a->streams[k].len;
  return alias;
}

/* The output: spec.out (checked) or a new tensor, pushed on the stack. */
static void push_output(lua_State *L, rl_fuse_call *c, int spec) {
  rl_fuse_args *a = &c->args;
  rl_dtype def = c->resample_style ? a->streams[0].dtype : RL_F32;
  lua_getfield(L, spec, "dtype");
  rl_dtype dt = rl_check_dtype(L, -1, c->resample_style ? "opts.dtype" : "dtype", def);
  lua_pop(L, 1);
  if (dt != RL_F32 && dt != RL_BF16 && dt != RL_F16)
    luaL_error(L, "%s: the output is f32, bf16 or f16, got %s", c->resample_style ? "opts.dtype" : "dtype", rl_dtype_name(dt));
  if (c->backend == RL_BACKEND_REFERENCE) dt = RL_F64;
  a->out_dtype = dt;
  a->fill = rl_field_number(L, spec, c->spec_prefix, "fill", NAN);
  a->fill_bits = 0;
  rl_store_f64(&a->fill_bits, dt, 0, a->fill);
  const int64_t shape[3] = {a->batch, a->target_len, a->out_dim};
  if (lua_getfield(L, spec, "out") == LUA_TNIL) {
    lua_pop(L, 1);
    a->out = rl_push_tensor(L, c->device, dt, 3, shape)->data;
    return;
  }
  const char *oname = c->resample_style ? "opts.out" : "out";
  rl_tensor *out = rl_check_tensor(L, -1, oname);
  if (out->ndim != 3 || out->shape[0] != shape[0] || out->shape[1] != shape[1] || out->shape[2] != shape[2])
    luaL_error(L, "%s: expected shape [%I,%I,%I]", oname, (lua_Integer)shape[0], (lua_Integer)shape[1], (lua_Integer)shape[2]);
  if (out->dtype != dt) luaL_error(L, "%s: expected dtype %s, got %s", oname, rl_dtype_name(dt), rl_dtype_name(out->dtype));
  if (out->device != c->device) luaL_error(L, "%s: must be on the inputs' device (%s)", oname, device_name(c->device));
  if (is_input(a, out->data)) luaL_error(L, "%s: must not be one of the inputs", oname);
  a->out = out->data;
}

/* spec.operands: where the reference writes each element's lerp operand sum (fuse.h), or absent. The
   tensor stays alive in spec; the stack is left as it was. */
static void read_operands(lua_State *L, rl_fuse_call *c, int spec) {
  const rl_fuse_args *a = &c->args;
  c->operands = NULL;
  if (lua_getfield(L, spec, "operands") == LUA_TNIL) {
    lua_pop(L, 1);
    return;
  }
  rl_tensor *t = rl_check_tensor(L, -1, "operands");
  if (c->backend != RL_BACKEND_REFERENCE)
    luaL_error(L, "operands: only the reference backend computes the operand sums (backend = \"reference\")");
  if (t->device != RL_HOST || t->dtype != RL_F64 || t->ndim != 3 || t->shape[0] != a->batch ||
      t->shape[1] != a->target_len || t->shape[2] != a->out_dim)
    luaL_error(L, "operands: expected a host f64 tensor [%I,%I,%I] (the output's shape)", (lua_Integer)a->batch,
               (lua_Integer)a->target_len, (lua_Integer)a->out_dim);
  if (t->data == a->out || is_input(a, t->data)) luaL_error(L, "operands: must not be the output or one of the inputs");
  c->operands = t->data;
  lua_pop(L, 1);
}

void rl_check_fuse_call(lua_State *L, int spec, int opts, int resample_style, rl_fuse_call *c) {
  memset(c, 0, sizeof *c);
  c->resample_style = resample_style;
  rl_fuse_args *a = &c->args;
  luaL_checkstack(L, 40, "fuse");
  if (!lua_istable(L, spec)) luaL_error(L, "fuse: expected a table {streams = {...}, tgt_times = ...}, got %s", luaL_typename(L, spec));
  rl_check_opts(L, opts, "fuse", NULL); /* (keys: l_fuse.c, per entry point) */
  lua_newtable(L);
  c->keep = lua_gettop(L);
  /* how errors name a field: rl.fuse's options are in its spec (fill, not opts.fill); rl.bench.fuse's
     and rl.resample's are in opts */
  c->opt_prefix = opts == spec && !resample_style ? "" : "opts.";
  c->spec_prefix = resample_style ? "opts." : "";
  const char *backend = rl_field_string(L, opts, c->opt_prefix, "backend", "cpu");
  if (strcmp(backend, "cpu") == 0) c->backend = RL_BACKEND_CPU;
  else if (strcmp(backend, "reference") == 0) c->backend = RL_BACKEND_REFERENCE;
  else if (strcmp(backend, "cuda") == 0) c->backend = RL_BACKEND_CUDA;
  else luaL_error(L, "%sbackend: unknown backend '%s' (expected cpu, reference or cuda)", c->opt_prefix, backend);
  c->threads = (int)rl_field_integer(L, opts, c->opt_prefix, "threads", 0, 0, 4096);
  const char *launch = rl_field_string(L, opts, c->opt_prefix, "launch", "fused");
  if (strcmp(launch, "fused") == 0) c->per_stream = 0;
  else if (strcmp(launch, "per_stream") == 0) c->per_stream = 1;
  else luaL_error(L, "%slaunch: unknown launch '%s' (expected \"fused\" or \"per_stream\")", c->opt_prefix, launch);
  c->validate = rl_field_boolean(L, spec, c->spec_prefix, "validate", 1);
  c->strict = rl_field_boolean(L, spec, c->spec_prefix, "strict", 0);

  lua_getfield(L, spec, "tgt_times");
  rl_tensor *tt = rl_check_tensor(L, -1, "tgt_times");
  if (tt->ndim != 2) luaL_error(L, "tgt_times: expected shape [B,T], got %d dimensions", tt->ndim);
  if (tt->dtype != RL_F32 && tt->dtype != RL_F64 && tt->dtype != RL_I64)
    luaL_error(L, "tgt_times: times are f32, f64 or i64 (nanoseconds), got %s", rl_dtype_name(tt->dtype));
  lua_pop(L, 1);
  a->time_dtype = tt->dtype;
  a->tgt_times = tt->data;
  a->batch = tt->shape[0];
  a->target_len = tt->shape[1];
  a->tgt_len_dtype = RL_I64;
  c->device = tt->device;
  const rl_device want = c->backend == RL_BACKEND_CUDA ? RL_CUDA : RL_HOST;
  if (c->backend == RL_BACKEND_CUDA && !rl_cuda_available())
    luaL_error(L, "%sbackend: cuda is not available (%s)", c->opt_prefix, rl_cuda_last_error());
  if (c->device != want)
    luaL_error(L, "tgt_times: the %s backend needs %s tensors, got %s ones (use t:to(\"%s\"))", backend,
               device_name(want), device_name(c->device), device_name(want));

  /* per-row extents of the i64 times read so far, for the span check */
  int64_t *mn = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)a->batch * 2, 0), *mx = mn + a->batch;
  keep_top(L, c);
  for (int64_t b = 0; b < a->batch; b++) { mn[b] = INT64_MAX; mx[b] = INT64_MIN; }

  const int64_t *tlens = NULL;
  if (lua_getfield(L, spec, "tgt_len") != LUA_TNIL)
    tlens = read_lengths(L, c, c->resample_style ? "opts.tgt_len" : "tgt_len", a->target_len, &a->tgt_len, &a->tgt_len_dtype);
  else lua_pop(L, 1);
  if (c->validate) {
    check_times(L, c, tt, tlens, 0, "tgt_times", mn, mx);
    if (a->time_dtype == RL_I64) check_span(L, c, mn, mx, "tgt_times");
  }

  if (lua_getfield(L, spec, "streams") != LUA_TTABLE)
    luaL_error(L, "streams: expected an array of streams {src=, src_times=, modes=, src_len=}, got %s", luaL_typename(L, -1));
  const int streams = lua_gettop(L);
  rl_check_array(L, streams, "streams", "stream tables {src=, src_times=, modes=, src_len=}");
  const lua_Integer ns = luaL_len(L, streams);
  if (ns < 1 || ns > RL_FUSE_MAX_STREAMS) luaL_error(L, "streams: 1 to %d streams, got %I", RL_FUSE_MAX_STREAMS, ns);
  a->nstreams = (int32_t)ns;
  int64_t offset = 0;
  for (int i = 0; i < (int)ns; i++) {
    lua_geti(L, streams, i + 1);
    read_stream(L, c, i, &offset, mn, mx);
  }
  lua_pop(L, 1);
  a->out_dim = offset;
  push_output(L, c, spec);
  read_operands(L, c, spec);
}
