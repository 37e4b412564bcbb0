#!/usr/bin/env bash
# A/B of kernel variants on a GPU machine (development aid, temporary).
set -uo pipefail
bin=${ROBOLUA:-build/robolua}
out=${OUT:-gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
echo "== spec_cuda: $("$bin" -o /tmp/sr tests/spec_cuda.lua 2>&1 | tail -n 1)"
ROBOLUA_RPB=64 ROBOLUA_CAP=1 "$bin" -o /tmp/sr tests/spec_cuda.lua 2>&1 | tail -n 1
for tool in memcheck racecheck synccheck; do
  compute-sanitizer --tool $tool --error-exitcode 9 "$bin" tests/sanitize_cuda.lua >/dev/null 2>&1; echo "$tool exit $?"
done
for round in 1 2; do
  ROBOLUA_CUDA_KERNEL=tiled "$bin" tools/gpu_quick.lua > "$out/quick-tiled-$round.txt" 2>&1
  for cfg in 32:0 64:0 128:0 32:1; do
    ROBOLUA_RPB=${cfg%:*} ROBOLUA_CAP=${cfg#*:} "$bin" tools/gpu_quick.lua > "$out/quick-r${cfg%:*}c${cfg#*:}-$round.txt" 2>&1
  done
done
