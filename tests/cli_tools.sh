#!/usr/bin/env bash
# The scenarios' and tools' own arguments: a bad one is a usage error (exit 2) naming it as it was typed,
# in one line without a traceback, found before anything is measured and before a GPU tool looks for a
# GPU (which it lacks here: exit 1; CUDA_VISIBLE_DEVICES= hides every GPU, so this holds on a GPU machine).
set -u
bin=${1:?usage: cli_tools.sh path/to/robolua}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") # (some checks run in another folder)
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
check_log="$tmp/out" # every command's output goes there: shown when its exit code is wrong
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$PWD

# refused NAME MESSAGE ARGS...: robolua ARGS is a usage error whose one line is "robolua: MESSAGE..."
refused() {
  local name=$1 message=$2
  shift 2
  CUDA_VISIBLE_DEVICES='' "$bin" "$@" >"$tmp/out" 2>&1; check "$name exits 2" 2 $?
  contains "$name is named" "$tmp/out" "robolua: $message"
  lacks "$name has no traceback" "$tmp/out" "stack traceback"
}
# no_gpu NAME TOOL ARGS...: good arguments reach the tool's GPU check: exit 1, its message alone
no_gpu() {
  local name=$1 tool=$2
  shift 2
  CUDA_VISIBLE_DEVICES='' "$bin" "tools/$tool.lua" "$@" >"$tmp/out" 2>&1; check "$name exits 1 without a GPU" 1 $?
  contains "$name says it needs a GPU" "$tmp/out" "robolua: $tool: needs a CUDA device ("
  lacks "$name has no traceback" "$tmp/out" "stack traceback"
}

# every scenario refuses a word it does not take, robolua's options placed after the script included
# (`scenarios/ci.lua --list` would otherwise measure everything); its own arguments still work
refused "ci: an unknown argument" "ci: unknown argument 'foo=1' (expected no arguments)" --dry-run scenarios/ci.lua foo=1
refused "ci: a bare word" "ci: argument 'junk' is not KEY=VALUE" --dry-run scenarios/ci.lua junk
refused "ci: an option after the script" "ci: unknown argument '--list' (robolua's options go before the script;" \
  --dry-run scenarios/ci.lua --list
refused "cpu_roofline: an unknown argument" "cpu_roofline: unknown argument 'foo=1'" --dry-run scenarios/cpu_roofline.lua foo=1
refused "dim_sweep: a second word" "dim_sweep: unknown argument 'extra' (expected cpu, cuda, reference)" \
  --dry-run scenarios/dim_sweep.lua cpu extra
refused "dim_sweep: a backend typo" "dim_sweep: unknown argument 'cudaa' (did you mean cuda?" --dry-run scenarios/dim_sweep.lua cudaa
"$bin" --list scenarios/dim_sweep.lua cuda >"$tmp/out" 2>&1; check "dim_sweep: its backend argument runs" 0 $?
contains "dim_sweep: its backend argument is read" "$tmp/out" "cuda"
lacks "dim_sweep: its backend argument replaces cpu" "$tmp/out" "cpu"
for s in roofline robot_fusion dod; do
  refused "$s: an unknown argument" "$s: unknown argument 'foo=1'" --dry-run "scenarios/$s.lua" foo=1
done

# peers= (the PyTorch timings of roofline and robot_fusion): a file that is missing, not JSON or not a peers
# document is named as given
printf '{bad' >"$tmp/bad.json"
printf '{}' >"$tmp/empty.json"
printf '{"device": "x", "torch": "2", "cases": [{"case": "8x250x128_bf16_jitter", "eager": {"median_ms": 1}}]}' >"$tmp/peers.json"
for s in roofline robot_fusion; do
  refused "$s: peers= missing" "$s: peers=$tmp/nope.json: cannot read the file (No such file or directory)" \
    --dry-run "scenarios/$s.lua" "peers=$tmp/nope.json"
  refused "$s: peers= not JSON" "$s: peers=$tmp/bad.json: not JSON (" --dry-run "scenarios/$s.lua" "peers=$tmp/bad.json"
  refused "$s: peers= without cases" "$s: peers=$tmp/empty.json: no cases list" --dry-run "scenarios/$s.lua" "peers=$tmp/empty.json"
  "$bin" --dry-run "scenarios/$s.lua" "peers=$tmp/peers.json" >"$tmp/out" 2>&1; check "$s: a peers file is read" 0 $?
done

# cpu= (a user's CPU library, dod.lua and every scenario reading robolua.user_args), as kernel= is: named as
# given when it cannot be opened, is no library or lacks the entries; a bare file name is the file here
lib=$(dirname "$bin")/tests/userlib/libmine.so
refused "dod: cpu= missing" "dod: cpu=/nonexist.so: cannot open the file" --dry-run scenarios/dod.lua cpu=/nonexist.so
refused "dod: cpu= not a library" "dod: cpu=README.md: invalid ELF header" --dry-run scenarios/dod.lua cpu=README.md
refused "dod: cpu= without the entries" "dod: cpu=$lib: no symbol 'mine_" --dry-run scenarios/dod.lua "cpu=$lib"
contains "dod: cpu= without the entries points to cpu_entry=" "$tmp/out" "name the functions' prefix with cpu_entry=BASE"
refused "dod: cpu_entry= without the entries" "dod: cpu=$lib: no symbol 'nope_" --dry-run scenarios/dod.lua "cpu=$lib" cpu_entry=nope
lacks "dod: cpu_entry= given is not suggested again" "$tmp/out" "name the functions' prefix"
cp "$lib" "$tmp/libmine.so"
(cd "$tmp" && "$bin" --list "$root/scenarios/dod.lua" cpu=libmine.so cpu_entry=mine_resample) >"$tmp/out" 2>&1
check "dod: cpu= a library in the current folder by its bare name" 0 $?
contains "dod: cpu= the library is a backend" "$tmp/out" "mine       shape=8x250x128"

# a backend's setting without the backend would be ignored (the run not the one asked for)
refused "dod: kernel_entry= without kernel=" "dod: kernel_entry= applies to a kernel= backend, and none is given" \
  --dry-run scenarios/dod.lua kernel_entry=foo
refused "dod: kernel_options= without kernel=" "dod: kernel_options= applies to a kernel= backend" \
  --dry-run scenarios/dod.lua kernel_options=-DX
refused "dod: cpu_entry= without cpu=" "dod: cpu_entry= applies to a cpu= backend" --dry-run scenarios/dod.lua cpu_entry=x
"$bin" --dry-run scenarios/dod.lua "cpu=$lib" cpu_entry=mine_resample >"$tmp/out" 2>&1; check "dod: cpu_entry= with cpu= runs" 0 $?

# export_cases' OUTDIR: empty, not makeable, a file, or a folder it cannot write in
refused "export_cases: an empty OUTDIR" "export_cases: OUTDIR is empty" tools/export_cases.lua "" small
refused "export_cases: an OUTDIR it cannot make" "export_cases: OUTDIR /proc/nope: " tools/export_cases.lua /proc/nope small
refused "export_cases: a file as OUTDIR" "export_cases: OUTDIR README.md: " tools/export_cases.lua README.md small
refused "export_cases: an OUTDIR it cannot write in" "export_cases: OUTDIR /proc: /proc/cases.txt: " tools/export_cases.lua /proc small
# export_fuse_cases: the same rules through script_args (flags small, small-only, list; scenario=)
refused "export_fuse_cases: no OUTDIR" "export_fuse_cases: no OUTDIR (usage: " tools/export_fuse_cases.lua small
refused "export_fuse_cases: two OUTDIRs" "export_fuse_cases: unknown argument 'b' (" tools/export_fuse_cases.lua "$tmp/a" b
refused "export_fuse_cases: list with an OUTDIR" "export_fuse_cases: list writes nothing" tools/export_fuse_cases.lua list "$tmp/a"
refused "export_fuse_cases: a flag given a value" "export_fuse_cases: unknown argument 'small=1'" tools/export_fuse_cases.lua "$tmp/a" small=1
refused "export_fuse_cases: a scenario it cannot read" "export_fuse_cases: scenario=$tmp/none.lua: " tools/export_fuse_cases.lua list "scenario=$tmp/none.lua"
refused "export_fuse_cases: a scenario of another workload" "export_fuse_cases: scenario=scenarios/ci.lua is not a scenario of the fuse workload" \
  tools/export_fuse_cases.lua list scenario=scenarios/ci.lua
refused "export_fuse_cases: an OUTDIR it cannot make" "export_fuse_cases: OUTDIR /proc/nope: " tools/export_fuse_cases.lua /proc/nope small-only
CUDA_VISIBLE_DEVICES='' "$bin" tools/export_fuse_cases.lua list >"$tmp/out" 2>&1; check "export_fuse_cases list exits 0" 0 $?
contains "export_fuse_cases list names the scenario's cases" "$tmp/out" "robot4_"

# the GPU tools check every argument before they look for a GPU. Which fused-kernel variants exist is the
# CUDA side's to say, which it does without a device; a build without the CUDA kernels checks the form only.
if "$bin" -e 'os.exit(robolua.core.build.cuda and 0 or 1)'; then
  refused "fuse_ab: an unknown variant" "fuse_ab: variants=v9: " tools/fuse_ab.lua variants=v9
  refused "fuse_ab: a block size the kernel lacks" "fuse_ab: variants=v2/129: " tools/fuse_ab.lua variants=v3,v2/129
fi
no_gpu "fuse_ab: good variants" fuse_ab variants=v3,v2/64

refused "fuse_by_stream: an unknown clock" "fuse_by_stream: clock= must be one of epoch_f64, epoch_i64, relative, got 'wall'" \
  tools/fuse_by_stream.lua clock=wall
no_gpu "fuse_by_stream: good arguments" fuse_by_stream clock=epoch_i64 batch=8

refused "fuse_once: an unknown clock" "fuse_once: clock= must be one of epoch_f64, epoch_i64, relative, got 'foo'" \
  tools/fuse_once.lua clock=foo
no_gpu "fuse_once: no arguments" fuse_once
no_gpu "fuse_once: good arguments" fuse_once clock=epoch_i64 kernel=v2/16 launches=1

refused "one_case: a bare word" "one_case: argument '64' is not KEY=VALUE (expected batch=, dim=, dtype=" tools/one_case.lua 64
refused "one_case: a word that is no number" "one_case: batch= must be an integer >= 1, got 'abc'" tools/one_case.lua batch=abc
refused "one_case: a zero size" "one_case: source_len= must be an integer >= 2, got '0'" tools/one_case.lua source_len=0
refused "one_case: an unknown dtype" "one_case: dtype= must be one of bf16, f16, f32, got 'bf99'" tools/one_case.lua dtype=bf99
refused "one_case: an unknown timing" "one_case: timing= must be one of jitter, uniform, got 'x'" tools/one_case.lua timing=x
no_gpu "one_case: no arguments" one_case
no_gpu "one_case: good arguments" one_case batch=8 source_len=250 dim=128 dtype=f16 timing=uniform launches=2

# verdict_table: its usage line alone (no arguments is an error, --help not), a run it cannot read, and
# runs of different scenarios (their gates are different gates) named
run_doc() { # DIR SCENARIO: a run folder with one gate
  mkdir -p "$1"
  printf '{"schema": "robolua.run/2", "scenario": "%s", "results": [], "verdict": "PASS",
  "gates": [{"name": "verified", "status": "pass"}]}\n' "$2" >"$1/results.json"
}
run_doc "$tmp/ci1" ci
run_doc "$tmp/ci2" ci
run_doc "$tmp/sweep" dim_sweep
mkdir "$tmp/bad" && printf '{bad' >"$tmp/bad/results.json"
refused "verdict_table: no arguments" "verdict_table: no RUN_DIR (usage: robolua tools/verdict_table.lua RUN_DIR..." \
  tools/verdict_table.lua
"$bin" tools/verdict_table.lua --help >"$tmp/out" 2>&1; check "verdict_table: --help exits 0" 0 $?
contains "verdict_table: --help shows the usage" "$tmp/out" "usage: robolua tools/verdict_table.lua RUN_DIR..."
refused "verdict_table: a missing run" "verdict_table: cannot read /nonexist" tools/verdict_table.lua "$tmp/ci1" /nonexist
refused "verdict_table: a run that is not JSON" "verdict_table: $tmp/bad/results.json is not JSON" tools/verdict_table.lua "$tmp/bad"
refused "verdict_table: runs of two scenarios" \
  "verdict_table: $tmp/sweep is a run of 'dim_sweep', $tmp/ci1 of 'ci' (the table compares runs of one scenario)" \
  tools/verdict_table.lua "$tmp/ci1" "$tmp/ci2" "$tmp/sweep"
"$bin" tools/verdict_table.lua "$tmp/ci1" "$tmp/ci2" >"$tmp/out" 2>&1; check "verdict_table: runs of one scenario" 0 $?
contains "verdict_table: the gate's row" "$tmp/out" "| verified | PASS | PASS | 0 |"

finish
