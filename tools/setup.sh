#!/usr/bin/env bash
# Installs what robolua needs on Debian/Ubuntu (if missing) and builds build/robolua.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs="build-essential cmake liblua5.4-dev lua-filesystem-dev lua-cjson-dev"
missing=""
for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  echo "installing:$missing"
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
echo "built: build/robolua ($(build/robolua --version))"
