/* rl.cuda.compile, rl.cuda.nvrtc, rl.cuda.signature: NVRTC and signatures need no GPU, so these work in
   every build (a CPU-only build compiles CUDA source to PTX when the toolkit's NVRTC is installed).
   rl.cuda.compile{source = "k.cu" | code = "...", name = "k.cu", options = {...}, arch = "compute_90",
                   cache = true} -> image (PTX text or CUBIN bytes), {cached=, cache_path=, log=, arch=, nvrtc=}
     arch: compute_XX -> PTX, sm_XX -> CUBIN; default: the device's compute_XX, compute_90 without one. */
#include "bind.h"
#include "nvrtc.h"
#include "rl_cuda.h"
#include "signature.h"
#include "l_user.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The file's bytes as a Lua string on the stack; a Lua error naming what and path if it can't be read. */
void rl_push_file_contents(lua_State *L, const char *what, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    luaL_error(L, "%s: cannot read '%s': %s", what, path, strerror(errno));
    return;
  }
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) luaL_addlstring(&b, chunk, n);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    luaL_error(L, "%s: cannot read '%s'", what, path);
    return;
  }
  luaL_pushresult(&b);
}

/* The options array at index t (nil: none) as strings kept alive by that table; returns the count. */
static int read_options(lua_State *L, int t, const char *fname, const char **opts, int max) {
  if (lua_isnoneornil(L, t)) return 0;
  if (!lua_istable(L, t)) return luaL_error(L, "%s: options must be an array of strings, got %s", fname, luaL_typename(L, t));
  lua_Integer n = luaL_len(L, t);
  if (n > max) return luaL_error(L, "%s: more than %d options", fname, max);
  for (lua_Integer i = 1; i <= n; i++) {
    if (lua_geti(L, t, i) != LUA_TSTRING)
      return luaL_error(L, "%s: options[%d] must be a string, got %s", fname, (int)i, luaL_typename(L, -1));
    opts[i - 1] = lua_tostring(L, -1); /* the options table holds the string */
    lua_pop(L, 1);
  }
  return (int)n;
}

void rl_default_arch(char *buf, size_t len, int cubin) {
  int major = 9, minor = 0, sms = 0;
  if (!rl_cuda_available() || rl_cuda_device_numbers(&major, &minor, &sms) != 0) major = 9, minor = 0;
  snprintf(buf, len, "%s_%d%d", cubin ? "sm" : "compute", major, minor);
}

/* Compiles per the options table at idx and pushes the image and the info table. fname prefixes
   argument errors; compile errors carry the file name and NVRTC's log. */
int rl_compile_from_table(lua_State *L, int idx, const char *fname, const char *arch_default) {
  luaL_checktype(L, idx, LUA_TTABLE);
  static const char *const keys[] = {"source", "code", "name", "arch", "cache", "options", NULL};
  char prefix[64];
  snprintf(prefix, sizeof prefix, "%s: ", fname);
  rl_check_keys(L, idx, prefix, "field", keys); /* (optons = {"-G"} would compile without them) */
  const char *source = rl_opt_string(L, idx, "source", NULL), *code = rl_opt_string(L, idx, "code", NULL);
  if ((source != NULL) == (code != NULL))
    return luaL_error(L, "%s: give exactly one of source = \"file.cu\" or code = \"...\"", fname);
  const char *name = rl_opt_string(L, idx, "name", source ? source : "inline.cu");
  char arch_buf[32];
  if (!arch_default) {
    rl_default_arch(arch_buf, sizeof arch_buf, 0);
    arch_default = arch_buf;
  }
  const char *arch = rl_opt_string(L, idx, "arch", arch_default);
  int cache = rl_opt_boolean(L, idx, "cache", 1);
  const char *opts[200];
  lua_getfield(L, idx, "options");
  int nopts = read_options(L, lua_gettop(L), fname, opts, 200); /* stays on the stack: keeps the strings */
  if (source) rl_push_file_contents(L, fname, source);
  else lua_pushstring(L, code);
  size_t len;
  const char *text = lua_tolstring(L, -1, &len);
  rl_nvrtc_request q = {text, len, name, opts, nopts, arch, !cache};
  rl_nvrtc_result r;
  if (rl_nvrtc_compile(&q, &r) != 0) {
    lua_pushfstring(L, "%s: %s", fname, r.error ? r.error : "compile failed");
    rl_nvrtc_result_free(&r);
    return lua_error(L);
  }
  /* PTX's size counts its NUL; the Lua string is the text */
  size_t n = r.size;
  const char *nul = r.is_cubin ? NULL : memchr(r.image, 0, r.size);
  if (nul) n = (size_t)(nul - r.image);
  lua_pushlstring(L, r.image, n);
  lua_createtable(L, 0, 6);
  lua_pushboolean(L, r.cached); lua_setfield(L, -2, "cached");
  if (r.cache_path[0]) { lua_pushstring(L, r.cache_path); lua_setfield(L, -2, "cache_path"); }
  if (r.log) { lua_pushstring(L, r.log); lua_setfield(L, -2, "log"); }
  lua_pushstring(L, arch); lua_setfield(L, -2, "arch");
  lua_pushstring(L, r.is_cubin ? "cubin" : "ptx"); lua_setfield(L, -2, "kind");
  int major, minor;
  rl_nvrtc_version(&major, &minor);
  lua_pushfstring(L, "%d.%d", major, minor); lua_setfield(L, -2, "nvrtc");
  rl_nvrtc_result_free(&r);
  return 2;
}

static int l_compile(lua_State *L) {
  lua_settop(L, 1);
  return rl_compile_from_table(L, 1, "cuda.compile", NULL);
}

/* rl.cuda.nvrtc() -> {found=, path=, version=, compiles=, cache_dir=, error=} */
static int l_nvrtc(lua_State *L) {
  char err[4096];
  int ok = rl_nvrtc_load(err, sizeof err) == 0;
  lua_createtable(L, 0, 6);
  lua_pushboolean(L, ok); lua_setfield(L, -2, "found");
  if (ok) {
    int major, minor;
    rl_nvrtc_version(&major, &minor);
    lua_pushstring(L, rl_nvrtc_path()); lua_setfield(L, -2, "path");
    lua_pushfstring(L, "%d.%d", major, minor); lua_setfield(L, -2, "version");
  } else {
    lua_pushstring(L, err); lua_setfield(L, -2, "error");
  }
  lua_pushinteger(L, rl_nvrtc_compile_count()); lua_setfield(L, -2, "compiles");
  char why[512];
  const char *dir = rl_nvrtc_cache_dir(why, sizeof why);
  lua_pushstring(L, dir[0] ? dir : why); lua_setfield(L, -2, dir[0] ? "cache_dir" : "cache_error");
  return 1;
}

/* rl.cuda.signature("f32*, const f32*, f32, i32") -> {{type="f32", pointer=true, const=false, name=""}, ...} */
static int l_signature(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  rl_signature *sig = lua_newuserdatauv(L, sizeof *sig, 0);
  char err[256];
  if (rl_signature_parse(s, len, sig, err, sizeof err)) return luaL_error(L, "%s", err);
  lua_createtable(L, sig->count, 0);
  for (int i = 0; i < sig->count; i++) {
    const rl_arg *a = &sig->args[i];
    char d[48];
    lua_createtable(L, 0, 5);
    lua_pushstring(L, rl_argtype_name(a->type)); lua_setfield(L, -2, "type");
    lua_pushboolean(L, a->pointer); lua_setfield(L, -2, "pointer");
    lua_pushboolean(L, a->is_const); lua_setfield(L, -2, "const");
    lua_pushstring(L, a->name); lua_setfield(L, -2, "name");
    lua_pushstring(L, rl_arg_describe(a, d, sizeof d)); lua_setfield(L, -2, "decl");
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

/* Adds compile, nvrtc and signature to the cuda table on top of the stack. */
void rl_open_nvrtc(lua_State *L) {
  static const luaL_Reg fns[] = {{"compile", l_compile}, {"nvrtc", l_nvrtc}, {"signature", l_signature}, {NULL, NULL}};
  luaL_setfuncs(L, fns, 0);
}
