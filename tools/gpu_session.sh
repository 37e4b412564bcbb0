#!/usr/bin/env bash
# What runs on a GPU machine, in one go (used through the lent device; also fine by hand):
#   tools/gpu_session.sh check      GPU specs, compute-sanitizer, NVTX profile attribution, fusion and
#                                   softmax quick checks, both PyTorch peers, a --devices smoke run
#   tools/gpu_session.sh dod10      Nsight profile of the DoD, then ten consecutive DoD runs (verdict table)
#   tools/gpu_session.sh evidence   PyTorch peers + roofline, the DoD of the naive user kernel (+ profile),
#                                   the softmax example, cpu_roofline
#   tools/gpu_session.sh fusion     the fusion kernel A/B, robot_fusion with its PyTorch peers
#   tools/gpu_session.sh devices    --devices all runs of dod and roofline, then what sweep does
#   tools/gpu_session.sh sweep      the roofline sweep on one GPU vs one shard per GPU, merged (wall times)
# Expects build/robolua (or ROBOLUA) built from the commit in ROBOLUA_GIT_COMMIT; writes results/ and
# packs each new results/ folder into ${OUT:-gpu-out}/<folder>.tgz (a later timeout loses nothing).
# Nsight Systems' importer needs libdw: .nsys-libs/usr/lib/x86_64-linux-gnu is put on LD_LIBRARY_PATH.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
what=${1:-check}
final=${OUT:-gpu-out}
out=$(mktemp -d) # logs gather here; only two tarballs go to $OUT (the device returns at most 8 files)
mkdir -p "$final" results
bin=${ROBOLUA:-build/robolua}
export ROBOLUA="$bin"
[ -d .nsys-libs ] && export LD_LIBRARY_PATH="$PWD/.nsys-libs/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}"
NSYS=${NSYS:-$(command -v nsys || find /opt/nvidia -path '*target-linux-x64/nsys' -type f 2>/dev/null | head -1 || true)}
export NSYS
log() { echo "== $* ($(date -u +%T))"; }
ms() { date +%s%3N; }
wall() { printf 'wall %d.%03d s\n' $((($2 - $1) / 1000)) $((($2 - $1) % 1000)); }
# results/ folders that existed before this session are not packed (only what this session made)
before=" $(cd results && echo ./*/) "
pack() {
  local d new=()
  for d in results/*/; do
    d=$(basename "$d")
    case "$before" in *" ./$d/ "*) continue ;; esac
    new+=("$d")
  done
  [ ${#new[@]} -gt 0 ] && tar czf "$final/results-$what.tgz" -C results "${new[@]}"
  tar czf "$final/logs-$what.tgz" -C "$out" . 2>/dev/null
  return 0
}
nvidia-smi --query-gpu=index,name,uuid,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader
case "$what" in
check)
  log GPU specs
  for s in cuda user_cuda robot_cuda fuse_workload_cuda user_overhead generic scenario; do
    printf '%-22s ' "$s"
    ROBOLUA_TEST_BUILD=$PWD/build "$bin" -o /tmp/spec-results "tests/spec_$s.lua" >"$out/spec_$s.log" 2>&1
    rc=$?
    tail -n 1 "$out/spec_$s.log"
    [ $rc -eq 0 ] || grep -A6 FAIL "$out/spec_$s.log" | head -60
  done
  grep -h "user module" "$out/spec_user_overhead.log"
  log compute-sanitizer
  for tool in memcheck racecheck; do
    compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin" tests/sanitize_cuda.lua >"$out/sanitizer-$tool.log" 2>&1
    echo "$tool exit $? : $(tail -n 2 "$out/sanitizer-$tool.log" | tr '\n' ' ')"
  done
  log profile attribution by NVTX range
  tools/profile.sh tests/gpu/profile_check.lua 2>&1 | tail -n 2
  "$bin" -q tests/gpu/profile_check.lua >"$out/profile_check.log" 2>&1
  tail -n 8 "$out/profile_check.log"
  run=""
  for d in results/profile_check-*; do [ -f "$d/results.json" ] && run=$d; done
  "$bin" tests/gpu/check_attribution.lua "$run"
  pack
  log fusion quick
  "$bin" tools/fuse_quick.lua 64 256 2>&1 | tail -n 25
  log softmax example
  "$bin" -q examples/generic/softmax.lua 2>&1 | tail -n 8
  log PyTorch peers smoke
  "$bin" tools/export_fuse_cases.lua /tmp/fcases small-only >/dev/null &&
    python3 tools/torch_fuse_peer.py /tmp/fcases "$out/fuse_peers.json" >"$out/fuse_peers.txt" 2>&1
  echo "torch_fuse_peer exit $?: $(tail -n 1 "$out/fuse_peers.txt")"
  "$bin" tools/export_cases.lua /tmp/cases small bf16 >/dev/null && python3 tools/torch_peer.py /tmp/cases "$out/peers.json" >"$out/peers.txt" 2>&1
  echo "torch_peer exit $?: $(tail -n 1 "$out/peers.txt")"
  log devices smoke
  "$bin" --devices all -q scenarios/ci.lua 2>&1 | tail -n 6
  pack
  ;;
dod10)
  log profile of the DoD
  tools/profile.sh scenarios/dod.lua 2>&1 | tail -n 3
  pack
  for i in 1 2 3 4 5 6 7 8 9 10; do
    log "DoD run $i"
    "$bin" -q scenarios/dod.lua >"$out/dod-run-$i.txt" 2>&1
    echo "exit $?: $(tail -n 1 "$out/dod-run-$i.txt")"
  done
  pack
  ;;
evidence)
  log export cases and PyTorch peers
  peers="results/torch_peers-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$peers"
  "$bin" tools/export_cases.lua /tmp/cases bf16 f32 &&
    python3 tools/torch_peer.py /tmp/cases "$peers/peers.json" >"$peers/peers.txt" 2>&1
  tail -n 5 "$peers/peers.txt"
  echo "regenerate: build/robolua tools/export_cases.lua /tmp/cases bf16 f32 && python3 tools/torch_peer.py /tmp/cases $peers/peers.json" >"$peers/README.md"
  log roofline profile and scenario
  tools/profile.sh scenarios/roofline.lua 2>&1 | tail -n 2
  "$bin" -q scenarios/roofline.lua "peers=$peers/peers.json" 2>&1 | tail -n 12
  pack
  log the DoD of the naive user kernel
  tools/profile.sh scenarios/dod.lua dod -- kernel=examples/kernels/naive_resample.cu 2>&1 | tail -n 2
  "$bin" -q scenarios/dod.lua kernel=examples/kernels/naive_resample.cu 2>&1 | tail -n 16
  pack
  log softmax example
  "$bin" -q examples/generic/softmax.lua 2>&1 | tail -n 6
  log cpu roofline
  "$bin" -q scenarios/cpu_roofline.lua 2>&1 | tail -n 6
  pack
  ;;
fusion)
  log fusion kernel A/B
  "$bin" tools/fuse_ab.lua 2>&1 | tail -n 40
  log robot fusion
  fpeers="results/torch_fuse_peers-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$fpeers"
  "$bin" tools/export_fuse_cases.lua /tmp/fcases && python3 tools/torch_fuse_peer.py /tmp/fcases "$fpeers/peers.json" >"$fpeers/peers.txt" 2>&1
  tail -n 5 "$fpeers/peers.txt"
  "$bin" -q scenarios/robot_fusion.lua "peers=$fpeers/peers.json" 2>&1 | tail -n 12
  pack
  ;;
devices)
  for s in dod roofline; do
    log "--devices all: $s"
    t0=$(ms)
    "$bin" -q --devices all "scenarios/$s.lua" 2>&1 | tail -n 4
    wall "$t0" "$(ms)" | tee "$out/wall-$s-devices.txt"
    run=""
    for d in results/"$s"-devices-*; do [ -f "$d/results.json" ] && run=$d; done
    [ -n "$run" ] && "$bin" compare "$run" "$run" --devices --markdown "$run/devices.md" | tail -n 12
    pack
  done
  ;;&
devices | sweep)
  # The same sweep on one GPU, then split over the GPUs (one shard per GPU, in parallel) and merged:
  # the wall time a campaign saves by spreading over the machine's GPUs.
  n=$(nvidia-smi -L | wc -l)
  log "one GPU: roofline"
  t0=$(ms)
  CUDA_VISIBLE_DEVICES=0 "$bin" -q -o "$out/one" scenarios/roofline.lua 2>&1 | tail -n 1
  wall "$t0" "$(ms)" | tee "$out/wall-roofline-one-gpu.txt"
  log "$n GPUs: roofline as $n shards, one per GPU, then merged"
  t0=$(ms)
  for ((i = 0; i < n; i++)); do
    CUDA_VISIBLE_DEVICES=$i "$bin" -q -o "$out/shards" --shard "$i/$n" scenarios/roofline.lua >"$out/shard-$i.log" 2>&1 &
  done
  wait
  merged="results/roofline-$n-gpu-shards-$(date -u +%Y%m%dT%H%M%SZ)"
  "$bin" merge "$merged" "$out"/shards/* 2>&1 | tail -n 2
  wall "$t0" "$(ms)" | tee "$out/wall-roofline-$n-gpu-shards.txt"
  cp "$out"/wall-*.txt "$merged/" 2>/dev/null
  "$bin" compare "$out"/one/roofline-* "$merged" 2>&1 | tail -n 3
  pack
  ;;
*) echo "usage: tools/gpu_session.sh check|dod10|evidence|fusion|devices|sweep" >&2; exit 2 ;;
esac
