#!/usr/bin/env bash
# The binary carries Lua, LuaFileSystem and cjson inside: no shared Lua library may be needed.
set -u
bin=${1:?usage: static.sh path/to/robolua}
deps=$(ldd "$bin" 2>&1) || { echo "ldd failed: $deps"; echo "0 passed, 1 failed"; exit 1; }
echo "$deps"
if echo "$deps" | grep -qiE 'lua|cudart'; then
  echo "FAIL  the binary links a shared Lua or CUDA runtime library"
  echo "0 passed, 1 failed"
  exit 1
fi
# and it runs with an empty Lua search path: everything it needs is embedded
if ! LUA_PATH=';' LUA_CPATH=';' LUA_PATH_5_4=';' LUA_CPATH_5_4=';' "$bin" -e 'require "robolua.stats"; require "lfs"' ; then
  echo "FAIL  the binary needs Lua files from outside"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "1 passed, 0 failed"
