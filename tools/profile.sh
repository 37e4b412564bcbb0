#!/usr/bin/env bash
# Regenerates the Nsight evidence of a scenario in one command:
#   tools/profile.sh SCENARIO [name] [-- script args]  ->  results/<name>-<UTC stamp>/profile/
# Nsight Systems: timeline.nsys-rep, timeline.sqlite, nsys stats CSVs (kernels, memory ops, NVTX).
# Nsight Compute: ncu_kernels.ncu-rep of every kernel (--nvtx, --clock-control none, --cache-control
# none) and ncu_kernels.csv with duration, DRAM throughput, DRAM bytes, L2 hit rate, occupancy and the
# NVTX range each kernel ran in: robolua matches kernels to (configuration, backend) by that range.
# summary.md: both, with the exact commands. Tools are found on PATH or through NSYS / NCU; the
# binary through ROBOLUA (default build/robolua). A missing tool is named and the rest still runs.
# Exit: 0 all produced; 3 something could not be produced (said why); 2 usage.
set -u
usage() { echo "usage: tools/profile.sh SCENARIO [name] [-- script args]   (env: NSYS, NCU, ROBOLUA, ROBOLUA_OUT)" >&2; exit 2; }
[ $# -ge 1 ] || usage
scenario=$1
shift
[ -f "$scenario" ] || { echo "profile.sh: scenario '$scenario' not found" >&2; exit 2; }
name=$(basename "$scenario" .lua)
if [ $# -ge 1 ] && [ "$1" != "--" ]; then name=$1; shift; fi
[ $# -ge 1 ] && [ "$1" = "--" ] && shift
script_args=("$@")
robolua=${ROBOLUA:-build/robolua}
[ -x "$robolua" ] || { echo "profile.sh: robolua binary '$robolua' not found (build it: tools/setup.sh, or set ROBOLUA)" >&2; exit 2; }
nsys=${NSYS:-$(command -v nsys || true)}
ncu=${NCU:-$(command -v ncu || true)}
if [ -z "$nsys" ] && [ -z "$ncu" ]; then
  echo "profile.sh: neither Nsight Systems (nsys) nor Nsight Compute (ncu) was found." >&2
  echo "  put them on PATH or set NSYS=/path/to/nsys NCU=/path/to/ncu; nothing was profiled." >&2
  exit 3
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="${ROBOLUA_OUT:-results}/$name-$stamp/profile"
mkdir -p "$out"
# ROBOLUA_GIT_COMMIT wins (a shipped tree may carry a stale .git), as in lua/robolua/env.lua
commit=${ROBOLUA_GIT_COMMIT:-$(git rev-parse --verify -q HEAD 2>/dev/null || echo unknown)}
echo "$commit" >"$out/commit.txt"
status=0
notes=()
run_cmd=("$robolua" --profile --quiet "$scenario" "${script_args[@]}")
metrics="gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed,dram__bytes_read.sum,dram__bytes_write.sum,lts__t_sector_hit_rate.pct,sm__warps_active.avg.pct_of_peak_sustained_active,launch__grid_size,launch__block_size,launch__registers_per_thread"
{
  echo "# Nsight profile: $name"
  echo
  echo "- scenario: \`$scenario\` run with \`${run_cmd[*]}\` (each point verified, then launched 3 times inside the NVTX range scenario/key/backend/profile, a same-size copy kernel in .../copy; no timing loop)"
  echo "- commit: \`$commit\`; time (UTC): $stamp; regenerate: \`tools/profile.sh $scenario $name\`"
} >"$out/summary.md"

# ---- Nsight Systems ----------------------------------------------------------------------------------
if [ -z "$nsys" ]; then
  notes+=("Nsight Systems: nsys not found on PATH and NSYS is unset: no timeline.")
  status=3
else
  nsys_cmd=("$nsys" profile "--trace=cuda,nvtx" --force-overwrite=true --output "$out/timeline" "${run_cmd[@]}")
  echo "profile.sh: ${nsys_cmd[*]}" >&2
  "${nsys_cmd[@]}" >"$out/nsys.log" 2>&1
  if [ -f "$out/timeline.nsys-rep" ]; then
    "$nsys" export --type sqlite --force-overwrite=true --output "$out/timeline.sqlite" "$out/timeline.nsys-rep" >>"$out/nsys.log" 2>&1 ||
      notes+=("nsys export to SQLite failed (see nsys.log).")
    "$nsys" stats --force-export=true --report cuda_gpu_kern_sum,cuda_gpu_mem_time_sum,cuda_gpu_mem_size_sum,nvtx_sum \
      --format csv --output "$out/nsys" "$out/timeline.nsys-rep" >>"$out/nsys.log" 2>&1 ||
      notes+=("nsys stats failed (see nsys.log).")
    {
      echo
      echo "## Nsight Systems"
      echo
      echo "\`${nsys_cmd[*]}\`, then \`nsys export --type sqlite\` and \`nsys stats --report cuda_gpu_kern_sum,cuda_gpu_mem_time_sum,cuda_gpu_mem_size_sum,nvtx_sum --format csv\`"
      echo
      for f in "$out"/nsys_cuda_gpu_kern_sum.csv "$out"/nsys_nvtx_sum.csv; do
        [ -f "$f" ] && { echo "### $(basename "$f")"; echo; echo '```'; head -n 20 "$f"; echo '```'; echo; }
      done
    } >>"$out/summary.md"
  elif ls "$out"/timeline*.qdstrm >/dev/null 2>&1; then
    notes+=("Nsight Systems recorded timeline.qdstrm but could not import it into a .nsys-rep: its importer (QdstrmImporter) needs libdw.so.1 (Debian: libdw1) on LD_LIBRARY_PATH. The .qdstrm is kept.")
    status=3
  else
    notes+=("Nsight Systems produced no report (see nsys.log).")
    status=3
  fi
fi

# ---- Nsight Compute ----------------------------------------------------------------------------------
if [ -z "$ncu" ]; then
  notes+=("Nsight Compute: ncu not found on PATH and NCU is unset: no kernel metrics.")
  status=3
else
  # --cache-control none: each profiled launch finds the L2 as the launch before left it (its dirty
  # output included), as back-to-back launches do; with the default flush, ncu's window leaves out up
  # to an L2's worth of output write-back (measured on an H100: 13 of 32.8 MB written at 64x1000x512
  # bf16 with the flush, 31 MB without; kernels/NOTES.md).
  ncu_cmd=("$ncu" --nvtx --clock-control none --cache-control none --metrics "$metrics" --force-overwrite --export "$out/ncu_kernels" "${run_cmd[@]}")
  echo "profile.sh: ${ncu_cmd[*]}" >&2
  "${ncu_cmd[@]}" >"$out/ncu.log" 2>&1
  if [ -f "$out/ncu_kernels.ncu-rep" ]; then
    "$ncu" --import "$out/ncu_kernels.ncu-rep" --csv --page raw --metrics "$metrics" >"$out/ncu_kernels.csv" 2>>"$out/ncu.log" ||
      notes+=("ncu CSV export failed (see ncu.log).")
    {
      echo
      echo "## Nsight Compute"
      echo
      echo "\`${ncu_cmd[*]}\`, then \`ncu --import ncu_kernels.ncu-rep --csv --page raw --metrics ...\`"
      echo
      NCU_CSV="$out/ncu_kernels.csv" "$robolua" -e 'local p = require "robolua.profile"
        local ks, err = p.read_ncu_csv(os.getenv("NCU_CSV"))
        if not ks then print("could not read the ncu CSV: " .. err) return end
        print("| # | NVTX range | kernel | grid | block | duration (us) | DRAM throughput (% of peak) | DRAM GB/s | L2 hit % | achieved occupancy % |")
        print("|---:|---|---|---|---|---:|---:|---:|---:|---:|")
        for i, k in ipairs(ks) do
          print(string.format("| %d | %s | %s | %s | %s | %.2f | %.1f | %.0f | %.1f | %.1f |", i, k.ranges[#k.ranges] or "-", p.short_name(k.name),
            k.grid or "", k.block or "", k.duration_ns / 1e3, k.dram_pct or 0, k.gbps or 0, k.l2_hit_pct or 0, k.occupancy_pct or 0))
        end' 2>&1
    } >>"$out/summary.md" 
  else
    notes+=("Nsight Compute produced no report (see ncu.log).")
    status=3
  fi
fi

if [ ${#notes[@]} -gt 0 ]; then
  { echo; echo "## What is missing"; echo; for n in "${notes[@]}"; do echo "- $n"; done; } >>"$out/summary.md"
  for n in "${notes[@]}"; do echo "profile.sh: $n" >&2; done
fi
echo "profile.sh: wrote $out/ (summary.md)" >&2
exit $status
