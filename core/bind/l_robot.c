/* rl.robot_episodes{...}: synthetic multi-rate robot episodes, ready for rl.fuse (the result is a fuse
   spec). Fields (defaults):
     batch (required), duration_s (required), policy_hz = 50, seed = 0, jitter = 0.25, drop = 0.05,
     max_offset = 2, clock = "relative" | "epoch_f64" | "epoch_i64", ragged = false, dtype = "f32",
     device = "cpu" | "cuda",
     streams = { {name=, rate=, dim=, quat = {from=, to=}, discrete = true, dtype=}, ... } (default: camera
       30 Hz x 64, joints 500 Hz x 14, imu 1000 Hz x 10 with a quaternion in channels [0, 4), events
       100 Hz x 2 discrete)
   -> { streams = { {name=, src=, src_times=, src_len= (ragged), modes=}, ... }, tgt_times=, tgt_len= (ragged),
        clock=, time_dtype=, duration_s=, policy_hz= }
   The model is in core/engine/robot_episodes.c. */
#include "bind.h"
#include "rl_cuda.h"
#include "robot_episodes.h"
#include <math.h>
#include <string.h>

static double num_field(lua_State *L, int t, const char *key, double def, const char *what) {
  lua_getfield(L, t, key);
  double v = def;
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) luaL_error(L, "robot_episodes: %s must be a number, got %s", what, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  } else if (def != def) {
    luaL_error(L, "robot_episodes: %s is required", what);
  }
  lua_pop(L, 1);
  return v;
}

static const rl_episode_stream default_streams[] = {
    {30, 64, 0, 0, 0, RL_F32}, {500, 14, 0, 0, 0, RL_F32}, {1000, 10, 0, 4, 0, RL_F32}, {100, 2, 0, 0, 1, RL_F32}};
static const char *const default_names[] = {"camera", "joints", "imu", "events"};

/* streams[i] (the table on top) into p->streams[i]; its name is left in names[i] (a string kept in t). */
static void read_stream(lua_State *L, rl_episode_params *p, int i, rl_dtype dtype) {
  char what[64];
  const int t = lua_gettop(L);
  if (!lua_istable(L, t)) luaL_error(L, "robot_episodes: streams[%d] must be a table {name=, rate=, dim=, ...}", i + 1);
  static const char *const keys[] = {"name", "rate", "dim", "quat", "discrete", "dtype", NULL};
  snprintf(what, sizeof what, "robot_episodes: streams[%d]: ", i + 1);
  rl_check_keys(L, t, what, "field", keys);
  rl_episode_stream *s = &p->streams[i];
  snprintf(what, sizeof what, "streams[%d].rate", i + 1);
  s->rate = num_field(L, t, "rate", NAN, what);
  if (!(s->rate > 0)) luaL_error(L, "robot_episodes: %s must be positive", what);
  snprintf(what, sizeof what, "streams[%d].dim", i + 1);
  const double dim = num_field(L, t, "dim", NAN, what);
  if (!(dim >= 1 && dim <= RL_FUSE_MAX_CHANNELS) || dim != (double)(int64_t)dim)
    luaL_error(L, "robot_episodes: %s must be an integer in [1, %d]", what, RL_FUSE_MAX_CHANNELS);
  s->dim = (int64_t)dim;
  lua_getfield(L, t, "dtype");
  snprintf(what, sizeof what, "robot_episodes: streams[%d].dtype", i + 1);
  s->dtype = rl_check_dtype(L, -1, what, dtype);
  lua_pop(L, 1);
  if (s->dtype != RL_F32 && s->dtype != RL_BF16 && s->dtype != RL_F16) luaL_error(L, "%s: values are f32, bf16 or f16", what);
  s->discrete = 0;
  if (lua_getfield(L, t, "discrete") != LUA_TNIL) {
    if (!lua_isboolean(L, -1)) luaL_error(L, "robot_episodes: streams[%d].discrete must be a boolean", i + 1);
    s->discrete = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  s->quat_from = s->quat_to = 0;
  if (lua_getfield(L, t, "quat") != LUA_TNIL) {
    if (!lua_istable(L, -1)) luaL_error(L, "robot_episodes: streams[%d].quat must be a table {from=, to=}", i + 1);
    snprintf(what, sizeof what, "streams[%d].quat.from", i + 1);
    const double from = num_field(L, -1, "from", NAN, what);
    snprintf(what, sizeof what, "streams[%d].quat.to", i + 1);
    const double to = num_field(L, -1, "to", NAN, what);
    if (!(from >= 0 && to <= (double)s->dim && from < to) || from != (double)(int64_t)from || to != (double)(int64_t)to ||
        ((int64_t)to - (int64_t)from) % 4 != 0)
      luaL_error(L, "robot_episodes: streams[%d].quat: [%s, %s) must be a range of whole quaternions (4k channels) "
                 "inside [0, %d)", i + 1, rl_push_number_text(L, from), rl_push_number_text(L, to), (int)s->dim);
    if (s->discrete) luaL_error(L, "robot_episodes: streams[%d]: a discrete stream has no quaternion channels", i + 1);
    s->quat_from = (int64_t)from;
    s->quat_to = (int64_t)to;
  }
  lua_pop(L, 1);
}

static void push_modes(lua_State *L, const rl_episode_stream *s) {
  if (!s->discrete && s->quat_from == s->quat_to) { lua_pushnil(L); return; }
  lua_createtable(L, 1, 0);
  lua_createtable(L, 1, 2);
  lua_pushstring(L, s->discrete ? "hold" : "slerp");
  lua_rawseti(L, -2, 1);
  lua_pushinteger(L, s->discrete ? 0 : s->quat_from);
  lua_setfield(L, -2, "from");
  lua_pushinteger(L, s->discrete ? s->dim : s->quat_to);
  lua_setfield(L, -2, "to");
  lua_rawseti(L, -2, 1);
}

/* The host tensor on top, moved to dev if needed (replaces it). */
static void *to_device(lua_State *L, rl_device dev) {
  rl_tensor *h = lua_touserdata(L, -1);
  if (dev == RL_HOST) return h->data;
  rl_tensor *d = rl_push_tensor(L, RL_CUDA, h->dtype, h->ndim, h->shape);
  if (rl_cuda_memcpy_h2d(d->data, h->data, h->nbytes) != 0)
    luaL_error(L, "robot_episodes: copy to device failed: %s", rl_cuda_last_error());
  lua_replace(L, -2);
  return d->data;
}

static int l_robot_episodes(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  static const char *const keys[] = {"batch", "duration_s", "policy_hz", "seed", "jitter", "drop", "max_offset",
                                     "clock", "ragged", "dtype", "device", "streams", NULL};
  rl_check_keys(L, 1, "robot_episodes: ", "field", keys);
  rl_episode_params p;
  memset(&p, 0, sizeof p);
  const double batch = num_field(L, 1, "batch", NAN, "batch");
  if (!(batch >= 1 && batch <= (1 << 17)) || batch != (double)(int64_t)batch)
    return luaL_error(L, "robot_episodes: batch must be an integer in [1, 131072]");
  p.batch = (int64_t)batch;
  p.duration_s = num_field(L, 1, "duration_s", NAN, "duration_s");
  p.policy_hz = num_field(L, 1, "policy_hz", 50.0, "policy_hz");
  p.jitter = num_field(L, 1, "jitter", 0.25, "jitter");
  p.drop = num_field(L, 1, "drop", 0.05, "drop");
  p.max_offset = num_field(L, 1, "max_offset", 2.0, "max_offset");
  p.seed = (uint64_t)rl_opt_integer(L, 1, "seed", 0, LUA_MININTEGER, LUA_MAXINTEGER);
  p.ragged = rl_opt_boolean(L, 1, "ragged", 0);
  if (!(p.duration_s > 0 && p.duration_s < 1e5)) return luaL_error(L, "robot_episodes: duration_s must be in (0, 1e5)");
  if (!(p.policy_hz > 0)) return luaL_error(L, "robot_episodes: policy_hz must be positive");
  if (!(p.jitter >= 0 && p.jitter < 0.5)) return luaL_error(L, "robot_episodes: jitter must be in [0, 0.5)");
  if (!(p.drop >= 0 && p.drop < 1)) return luaL_error(L, "robot_episodes: drop must be in [0, 1)");
  if (!(p.max_offset >= 0 && p.max_offset < 1e5)) return luaL_error(L, "robot_episodes: max_offset must be in [0, 1e5)");
  const char *clock = rl_opt_string(L, 1, "clock", "relative");
  if (strcmp(clock, "relative") == 0) p.clock = RL_CLOCK_RELATIVE;
  else if (strcmp(clock, "epoch_f64") == 0) p.clock = RL_CLOCK_EPOCH_F64;
  else if (strcmp(clock, "epoch_i64") == 0) p.clock = RL_CLOCK_EPOCH_I64;
  else return luaL_error(L, "robot_episodes: clock must be \"relative\", \"epoch_f64\" or \"epoch_i64\", got '%s'", clock);
  lua_getfield(L, 1, "dtype");
  const rl_dtype dtype = rl_check_dtype(L, -1, "robot_episodes: dtype", RL_F32);
  lua_getfield(L, 1, "device");
  const rl_device dev = rl_check_device(L, -1, "robot_episodes: device");
  lua_settop(L, 1);

  const char *names[RL_FUSE_MAX_STREAMS];
  if (lua_getfield(L, 1, "streams") == LUA_TNIL) { /* 2 */
    p.nstreams = 4;
    for (int i = 0; i < 4; i++) {
      p.streams[i] = default_streams[i];
      p.streams[i].dtype = dtype;
      names[i] = default_names[i];
    }
  } else {
    if (!lua_istable(L, 2)) return luaL_error(L, "robot_episodes: streams must be an array of stream tables");
    const lua_Integer n = luaL_len(L, 2);
    if (n < 1 || n > RL_FUSE_MAX_STREAMS) return luaL_error(L, "robot_episodes: 1 to %d streams, got %I", RL_FUSE_MAX_STREAMS, n);
    p.nstreams = (int)n;
    for (int i = 0; i < (int)n; i++) {
      lua_geti(L, 2, i + 1);
      read_stream(L, &p, i, dtype);
      lua_getfield(L, -1, "name");
      names[i] = lua_isnil(L, -1) ? NULL : lua_tostring(L, -1); /* the streams table keeps the string alive */
      if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "robot_episodes: streams[%d].name must be a string", i + 1);
      lua_settop(L, 2);
    }
  }
  const int64_t T = rl_episode_target_len(&p);
  for (int k = 0; k < p.nstreams; k++)
    if (rl_episode_source_len(&p, k) > (1 << 24)) return luaL_error(L, "robot_episodes: streams[%d] would have more than 2^24 samples per episode", k + 1);
  if (T > (1 << 24)) return luaL_error(L, "robot_episodes: more than 2^24 targets per episode");

  const rl_dtype tdt = rl_episode_time_dtype(p.clock);
  rl_episode_buffers o;
  memset(&o, 0, sizeof o);
  lua_createtable(L, 0, 8); /* 3: the result */
  lua_createtable(L, p.nstreams, 0); /* 4: result.streams */
  const int64_t bshape[1] = {p.batch};
  for (int k = 0; k < p.nstreams; k++) {
    const int64_t S = rl_episode_source_len(&p, k);
    const int64_t s3[3] = {p.batch, S, p.streams[k].dim}, s2[2] = {p.batch, S};
    lua_createtable(L, 0, 5);
    o.src[k] = rl_push_tensor(L, RL_HOST, p.streams[k].dtype, 3, s3)->data;
    lua_setfield(L, -2, "src");
    o.times[k] = rl_push_tensor(L, RL_HOST, tdt, 2, s2)->data;
    lua_setfield(L, -2, "src_times");
    o.len[k] = rl_push_tensor(L, RL_HOST, RL_I64, 1, bshape)->data;
    lua_setfield(L, -2, "src_len");
    if (names[k]) lua_pushstring(L, names[k]);
    else lua_pushfstring(L, "stream%d", k + 1);
    lua_setfield(L, -2, "name");
    push_modes(L, &p.streams[k]);
    lua_setfield(L, -2, "modes");
    lua_rawseti(L, 4, k + 1);
  }
  const int64_t t2[2] = {p.batch, T};
  o.tgt_times = rl_push_tensor(L, RL_HOST, tdt, 2, t2)->data;
  lua_setfield(L, 3, "tgt_times");
  o.tgt_len = rl_push_tensor(L, RL_HOST, RL_I64, 1, bshape)->data;
  lua_setfield(L, 3, "tgt_len");
  rl_robot_episodes(&p, &o, 0);

  /* dense episodes carry no lengths; then move everything to the device if asked */
  static const char *const fields[] = {"src", "src_times", "src_len"};
  for (int k = 0; k < p.nstreams; k++) {
    lua_rawgeti(L, 4, k + 1);
    for (int f = 0; f < 3; f++) {
      if (f == 2 && !p.ragged) { lua_pushnil(L); lua_setfield(L, -2, fields[f]); continue; }
      lua_getfield(L, -1, fields[f]);
      to_device(L, dev);
      lua_setfield(L, -2, fields[f]);
    }
    lua_pop(L, 1);
  }
  lua_pushvalue(L, 4);
  lua_setfield(L, 3, "streams");
  lua_pushvalue(L, 3);
  static const char *const top[] = {"tgt_times", "tgt_len"};
  for (int f = 0; f < 2; f++) {
    if (f == 1 && !p.ragged) { lua_pushnil(L); lua_setfield(L, -2, top[f]); continue; }
    lua_getfield(L, -1, top[f]);
    to_device(L, dev);
    lua_setfield(L, -2, top[f]);
  }
  lua_pushstring(L, clock);
  lua_setfield(L, -2, "clock");
  lua_pushstring(L, rl_dtype_name(tdt));
  lua_setfield(L, -2, "time_dtype");
  lua_pushnumber(L, p.duration_s);
  lua_setfield(L, -2, "duration_s");
  lua_pushnumber(L, p.policy_hz);
  lua_setfield(L, -2, "policy_hz");
  return 1;
}

void rl_open_robot(lua_State *L) {
  lua_pushcfunction(L, l_robot_episodes);
  lua_setfield(L, -2, "robot_episodes");
}
