#!/usr/bin/env bash
# cmake --install into a temporary prefix: the tree's contents (binary, Lua modules, robolua/core.so,
# contract headers, schema, docs, scenarios), the installed binary running the CI scenario away from the
# source tree, and the engine loaded as a Lua module by a plain lua5.4 (Debian: lua5.4, with lua-cjson
# and lua-filesystem) doing a checked CPU resample and a small scenario.
# Usage: install.sh CMAKE BUILD_DIR (run from the source root). The lua5.4 part is skipped (exit 77,
# after every other check passed) where lua5.4 or its cjson/lfs are missing, or in a sanitizer build.
set -u
cmake_bin=${1:?usage: install.sh CMAKE BUILD_DIR}
build=${2:?usage: install.sh CMAKE BUILD_DIR}
src=$(pwd)
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
prefix="$tmp/prefix"
has() { if [ -e "$prefix/$1" ]; then ok "installed: $1"; else bad "not installed: $1"; fi; }
expect() { # message-if-true, message-if-false, test...
  local yes=$1 no=$2; shift 2
  if "$@"; then ok "$yes"; else bad "$no"; fi
}

if "$cmake_bin" --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1; then ok "cmake --install"; else bad "cmake --install"; cat "$tmp/install.log"; fi
has bin/robolua
has lib/lua/5.4/robolua/core.so
has share/lua/5.4/robolua/init.lua
has share/robolua/schema/run.schema.json
has share/robolua/scenarios/ci.lua
has share/doc/robolua/README.md
expect "the binary is executable" "the binary is not executable" test -x "$prefix/bin/robolua"
# every Lua module, header and doc file of the source tree, at its place
missing=0
while IFS= read -r f; do
  [ -f "$prefix/share/lua/5.4/${f#lua/}" ] || { missing=$((missing + 1)); echo "      missing: $f"; }
done < <(find lua/robolua -name '*.lua')
while IFS= read -r f; do
  [ -f "$prefix/${f}" ] || { missing=$((missing + 1)); echo "      missing: $f"; }
done < <(find include -name '*.h')
while IFS= read -r f; do
  [ -f "$prefix/share/doc/robolua/$f" ] || { missing=$((missing + 1)); echo "      missing: $f"; }
done < <(find doc -type f)
n_lua=$(find lua/robolua -name '*.lua' | wc -l)
expect "all $n_lua Lua modules, the headers and doc/ are installed" "$missing source files not installed" test "$missing" = 0
if command -v nm >/dev/null; then
  exported=$(nm -D --defined-only "$prefix/lib/lua/5.4/robolua/core.so" | awk '{print $3}' | tr '\n' ' ')
  expect "core.so exports only luaopen_robolua_core" "core.so exports: $exported" test "$exported" = "luaopen_robolua_core "
fi

# the installed binary, away from the source and build trees
cd "$tmp" || exit 1
version=$(env -u ROBOLUA_PATH "$prefix/bin/robolua" --version)
expect "installed --version: $version" "installed --version differs: $version" test "$version" = "$("$build/robolua" --version)"
env -u ROBOLUA_PATH "$prefix/bin/robolua" -q --no-write --backend cpu -a dtype=f32 -a shape=8x250x128 \
  "$prefix/share/robolua/scenarios/ci.lua" >"$tmp/ci.out" 2>&1
code=$?
if [ "$code" -le 1 ] && grep -q "| verified against the float64 reference | PASS |" "$tmp/ci.out" && grep -q "^robolua: " "$tmp/ci.out"; then
  ok "the installed binary runs scenarios/ci.lua (exit $code)"
else
  bad "the installed binary on scenarios/ci.lua: exit $code"; cat "$tmp/ci.out"
fi
if [ -n "$(find "$tmp" -maxdepth 1 -name 'results*')" ]; then bad "--no-write wrote a results folder"; fi

lua=$(command -v lua5.4 || true)
[ -n "$lua" ] || finish "lua5.4 is not installed (apt-get install lua5.4): the module was not loaded"
case "$version" in *ASan*) finish "a sanitizer build: core.so needs the ASan runtime loaded first, lua5.4 has none" ;; esac
"$lua" -e 'require "cjson.safe"; require "lfs"' 2>/dev/null ||
  finish "lua5.4 has no cjson/lfs (apt-get install lua-cjson lua-filesystem): the module was not loaded"

# the engine as a Lua module: require "robolua" from lua5.4 through the install tree only
export LUA_PATH="$prefix/share/lua/5.4/?.lua;$prefix/share/lua/5.4/?/init.lua;;"
export LUA_CPATH="$prefix/lib/lua/5.4/?.so;;"
cat >"$tmp/module.lua" <<'EOF'
local prefix = ...
local rl = require "robolua"
local core_path = package.searchpath("robolua.core", package.cpath)
assert(core_path == prefix .. "/lib/lua/5.4/robolua/core.so", "robolua.core from " .. tostring(core_path))
assert(package.searchpath("robolua", package.path):sub(1, #prefix) == prefix, "robolua.lua not from the prefix")
assert(rl.core.embedded_chunkname == nil, "the binary's core, not the module's")
assert(rl.dtypes.bf16.size == 2 and rl.timing_modes[1] == "hot")
-- src [1,4,1] = 0,10,20,30 at times 0,1,2,3; targets inside, between, before and after the times
local src = rl.tensor({ 0, 10, 20, 30 }, { 1, 4, 1 })
local st = rl.tensor({ 0, 1, 2, 3 }, { 1, 4 })
local tt = rl.tensor({ 0.5, 2.25, -1, 5, 3 }, { 1, 5 })
local got = rl.resample(src, st, tt, { backend = "cpu" }):totable()
local want = { 5, 22.5, 0, 30, 30 }
for i = 1, #want do assert(got[i] == want[i], string.format("out[%d] = %s, want %s", i, got[i], want[i])) end
local ref = rl.resample(src, st, tt, { backend = "reference" })
assert(ref.dtype == "f64" and rl.compare(rl.resample(src, st, tt), ref).ok)
local bad_times = rl.tensor({ 0, 2, 1, 3 }, { 1, 4 })
local okr, err = pcall(rl.resample, src, bad_times, tt)
assert(not okr and tostring(err):find("src_times", 1, true), "bad times: " .. tostring(err))
local tr = rl.trajectories { batch = 4, source_len = 64, target_len = 32, dim = 8, seed = 1 }
local c = rl.compare(rl.resample(tr.src, tr.src_times, tr.tgt_times, { backend = "cpu", threads = 2 }),
                     rl.resample(tr.src, tr.src_times, tr.tgt_times, { backend = "reference" }))
assert(c.ok and c.count == 4 * 32 * 8, "cpu vs reference")
rl.cli.no_write, rl.cli.quiet = true, true
local run = rl.scenario { name = "module", seeds = { 0, 1 }, warmup = 1, repeats = 3, roofline = false,
  axes = { shape = { { 4, 50, 8 } }, dtype = { "f32", "bf16" }, backend = { "cpu" } } }
assert(#run.results == 2 and run.results[1].status == "ok" and run.results[2].stats.n == 6, "scenario results")
print("module ok: " .. core_path .. ", " .. run.verdict)
EOF
if env -u ROBOLUA_PATH "$lua" "$tmp/module.lua" "$prefix" >"$tmp/module.out" 2>&1 && grep -q "^module ok: " "$tmp/module.out"; then
  ok "lua5.4: require \"robolua\", rl.resample checked, a scenario run ($(grep '^module ok' "$tmp/module.out" | sed 's/.*, //'))"
else
  bad "lua5.4 could not use the module"; cat "$tmp/module.out"
fi
# without the install tree on the path the module is not found (the check above used the prefix)
if LUA_PATH=";;" LUA_CPATH=";;" "$lua" -e 'require "robolua.core"' >/dev/null 2>&1 && [ ! -e /usr/local/lib/lua/5.4/robolua/core.so ]; then
  bad "robolua.core loads without the install tree"
fi
cd "$src" || exit 1
finish
