#!/usr/bin/env bash
# A/B of kernel variants on a GPU machine (development aid, temporary).
set -uo pipefail
bin=${ROBOLUA:-build/robolua}
out=${OUT:-gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
for v in default v4i v4t; do
  echo "== spec_cuda ($v): $(ROBOLUA_CUDA_KERNEL=$v "$bin" -o /tmp/sr tests/spec_cuda.lua 2>&1 | tail -n 1)"
  ROBOLUA_CUDA_KERNEL=$v compute-sanitizer --tool racecheck --error-exitcode 9 "$bin" tests/sanitize_cuda.lua >/dev/null 2>&1; echo "racecheck $v exit $?"
done
for round in 1 2; do
  for v in tiled default v4i v4t; do
    ROBOLUA_CUDA_KERNEL=$v "$bin" tools/gpu_quick.lua > "$out/quick-$v-$round.txt" 2>&1
  done
done
