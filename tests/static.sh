#!/usr/bin/env bash
# The binary carries Lua, LuaFileSystem and cjson inside: no shared Lua library may be needed.
set -u
bin=${1:?usage: static.sh path/to/robolua}
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
if ! deps=$(ldd "$bin" 2>&1); then bad "ldd failed: $deps"; finish; fi
echo "$deps"
if echo "$deps" | grep -qiE 'lua|cudart'; then
  bad "the binary links a shared Lua or CUDA runtime library"
else
  ok "no shared Lua or CUDA runtime library is linked"
fi
# and it runs with an empty Lua search path: everything it needs is embedded
if LUA_PATH=';' LUA_CPATH=';' LUA_PATH_5_4=';' LUA_CPATH_5_4=';' "$bin" -e 'require "robolua.stats"; require "lfs"'; then
  ok "it runs with an empty Lua search path"
else
  bad "the binary needs Lua files from outside"
fi
finish
