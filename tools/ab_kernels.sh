#!/usr/bin/env bash
# A/B of kernel variants on a GPU machine (development aid, temporary).
set -uo pipefail
bin=${ROBOLUA:-build/robolua}
out=${OUT:-gpu-out}
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm --format=csv,noheader
echo "== spec_cuda (v4)"; "$bin" -o /tmp/sr tests/spec_cuda.lua > "$out/spec_cuda.log" 2>&1; echo "rc $?"; tail -n 2 "$out/spec_cuda.log"; grep -A5 FAIL "$out/spec_cuda.log" | head -30
echo "== spec_cuda (v3)"; ROBOLUA_CUDA_KERNEL=tiled "$bin" -o /tmp/sr tests/spec_cuda.lua 2>&1 | tail -n 1
for tool in memcheck racecheck; do
  compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin" tests/sanitize_cuda.lua >"$out/sanitizer-$tool.log" 2>&1
  echo "$tool exit $? : $(tail -n 1 "$out/sanitizer-$tool.log")"
done
for v in tiled default tiled default; do
  ROBOLUA_CUDA_KERNEL=$v "$bin" tools/gpu_quick.lua 2>&1 | tee -a "$out/quick.txt"
done
m=gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,sm__warps_active.avg.pct_of_peak_sustained_active
for v in tiled default; do
  for t in jitter uniform; do
    for dt in bf16 f32; do
      ROBOLUA_CUDA_KERNEL=$v ncu --clock-control none --metrics $m -k regex:resample --csv "$bin" tools/one_case.lua 64 1000 512 $dt $t 3 > "$out/ncu-$v-$dt-$t.csv" 2>&1
      echo "ncu $v $dt $t: $(grep -c gpu__time "$out/ncu-$v-$dt-$t.csv") rows"
    done
  done
done
