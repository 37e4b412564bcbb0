#!/usr/bin/env bash
# Runs a scenario as a Slurm job array, one shard per task, and queues a merge job after it:
#   tools/slurm/submit.sh [--shards N] [--gpus G] [--partition P] [--time T] [--out DIR] [--] SCENARIO [args]
# Prints the two job ids; the merged run folder is DIR/merged (default DIR: results/slurm-<UTC stamp>).
# The binary is ROBOLUA (default build/robolua, made absolute); extra sbatch options: SBATCH_EXTRA.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: tools/slurm/submit.sh [--shards N] [--gpus G] [--partition P] [--time T] [--out DIR] [--] SCENARIO [args]" >&2; exit 2; }
shards=4 gpus=0 partition="" limit="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) [ $# -ge 2 ] || usage; shards=$2; shift 2 ;;
    --gpus) [ $# -ge 2 ] || usage; gpus=$2; shift 2 ;;
    --partition) [ $# -ge 2 ] || usage; partition=$2; shift 2 ;;
    --time) [ $# -ge 2 ] || usage; limit=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --) shift; break ;;
    -*) echo "submit.sh: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
scenario=$1; shift
[ -f "$scenario" ] || { echo "submit.sh: scenario '$scenario' not found" >&2; exit 2; }
case "$shards" in ''|*[!0-9]*) echo "submit.sh: --shards must be a positive integer" >&2; exit 2 ;; esac
case "$gpus" in ''|*[!0-9]*) echo "submit.sh: --gpus must be a non-negative integer" >&2; exit 2 ;; esac
[ "$shards" -ge 1 ] || { echo "submit.sh: --shards must be >= 1" >&2; exit 2; }
robolua=${ROBOLUA:-build/robolua}
[ -x "$robolua" ] || { echo "submit.sh: robolua binary '$robolua' not found (build it, or set ROBOLUA)" >&2; exit 2; }
robolua=$(cd "$(dirname "$robolua")" && pwd)/$(basename "$robolua")
out=${out:-results/slurm-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out/shards"
out=$(cd "$out" && pwd)
common=(--parsable --chdir "$PWD" --export "ALL,ROBOLUA=$robolua,ROBOLUA_OUT=$out,ROBOLUA_SCENARIO=$scenario")
[ -n "$partition" ] && common+=(--partition "$partition")
[ -n "$limit" ] && common+=(--time "$limit")
# shellcheck disable=SC2206
extra=(${SBATCH_EXTRA:-})
gpu_opts=()
[ "$gpus" -gt 0 ] && gpu_opts=(--gpus-per-task "$gpus")
array=$(sbatch "${common[@]}" "${extra[@]}" "${gpu_opts[@]}" --array "0-$((shards - 1))" --output "$out/shard-%a.out" \
  "$here/robolua-shard.sbatch" "$@")
array=${array%%;*}
merge=$(sbatch "${common[@]}" "${extra[@]}" --dependency "afterok:$array" --output "$out/merge.out" "$here/robolua-merge.sbatch")
merge=${merge%%;*}
echo "array job $array ($shards shards) -> $out/shards"
echo "merge job $merge (after every shard succeeded) -> $out/merged"
