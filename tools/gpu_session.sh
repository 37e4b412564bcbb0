#!/usr/bin/env bash
# What runs on a GPU machine, in one go (used through the lent device; also fine by hand):
#   tools/gpu_session.sh check     specs (CUDA included), compute-sanitizer, quick kernel timings
#   tools/gpu_session.sh evidence  PyTorch peers, Nsight profiles, roofline + dod + cpu_roofline runs
# Expects build/robolua (or ROBOLUA); writes into ${OUT:-gpu-out}. Nsight Systems' importer needs
# libdw: put it on LD_LIBRARY_PATH (tools/profile.sh says so when it is missing).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
what=${1:-check}
out=${OUT:-gpu-out}
mkdir -p "$out"
bin=${ROBOLUA:-build/robolua}
export ROBOLUA="$bin"
log() { echo "== $* ($(date -u +%T))"; }
# packs every results/ folder not yet packed into $out/<folder>.tgz (so a later timeout loses nothing)
pack() {
  local d
  for d in results/*/; do
    d=${d%/}
    [ -f "$out/$(basename "$d").tgz" ] || tar czf "$out/$(basename "$d").tgz" -C results "$(basename "$d")"
  done
}
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,memory.total --format=csv,noheader
case "$what" in
check)
  log specs
  for s in tests/spec_*.lua; do
    printf '%-28s ' "$s"
    "$bin" -o "$out/spec-results" "$s" >"$out/$(basename "$s" .lua).log" 2>&1
    rc=$?
    tail -n 1 "$out/$(basename "$s" .lua).log"
    [ $rc -eq 0 ] || grep -A4 FAIL "$out/$(basename "$s" .lua).log" | head -40
  done
  log compute-sanitizer
  for tool in memcheck racecheck; do
    compute-sanitizer --tool "$tool" --error-exitcode 9 "$bin" tests/sanitize_cuda.lua >"$out/sanitizer-$tool.log" 2>&1
    echo "$tool exit $? : $(tail -n 2 "$out/sanitizer-$tool.log" | tr '\n' ' ')"
  done
  log quick timings
  "$bin" tools/gpu_quick.lua 2>&1 | tee "$out/gpu_quick.txt"
  ;;
evidence)
  log export cases and PyTorch peers
  peers="results/torch_peers-$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$peers"
  "$bin" tools/export_cases.lua /tmp/cases bf16 f32 &&
    python3 tools/torch_peer.py /tmp/cases "$peers/peers.json" 2>&1 | tee "$peers/peers.txt" | tail -n 40
  echo "regenerate: build/robolua tools/export_cases.lua /tmp/cases bf16 f32 && python3 tools/torch_peer.py /tmp/cases $peers/peers.json" >"$peers/README.md"
  log profiles
  for s in roofline dod; do tools/profile.sh "scenarios/$s.lua" 2>&1 | tail -n 3; done
  pack
  log roofline scenario
  "$bin" scenarios/roofline.lua "peers=$peers/peers.json" 2>/dev/null | tail -n 20
  pack
  log dod scenario
  "$bin" scenarios/dod.lua 2>/dev/null | tail -n 25
  pack
  log cpu roofline
  "$bin" scenarios/cpu_roofline.lua 2>/dev/null | tail -n 12
  pack
  ;;
*) echo "usage: tools/gpu_session.sh check|evidence" >&2; exit 2 ;;
esac
