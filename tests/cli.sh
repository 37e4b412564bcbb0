#!/usr/bin/env bash
# The command line: exit codes, help, -e, script args (the tools' too), script errors with file:line and a
# traceback (a bad script argument without one).
set -u
bin=${1:?usage: cli.sh path/to/robolua}
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
check_log="$tmp/out" # every command's output goes there: shown when its exit code is wrong

"$bin" --help >"$tmp/out" 2>&1; check "--help exits 0" 0 $?
contains "--help shows usage" "$tmp/out" "usage: robolua"
contains "--help shows every compare option" "$tmp/out" "robolua compare BASE NEW [-o DIR] [--threshold PCT] [--alpha P] [--markdown FILE] [--json FILE] [--junit FILE] [--force] [--devices]"
"$bin" --version >"$tmp/out" 2>&1; check "--version exits 0" 0 $?
contains "--version names the version" "$tmp/out" "robolua 0."
"$bin" >"$tmp/out" 2>&1; check "no script is a usage error" 2 $?
"$bin" --bogus x.lua >"$tmp/out" 2>&1; check "unknown option exits 2" 2 $?
contains "unknown option is named" "$tmp/out" "unknown option '--bogus'"
"$bin" -o >"$tmp/out" 2>&1; check "-o without a directory exits 2" 2 $?
"$bin" -e 'assert(robolua.version == require("robolua").version)' >"$tmp/out" 2>&1; check "-e runs code" 0 $?
"$bin" -e 'error("boom")' >"$tmp/out" 2>&1; check "-e error exits 2" 2 $?
contains "-e error message" "$tmp/out" "boom"

printf 'local a, b = ...\nassert(arg[0]:find("args.lua"))\nassert(arg[1] == "x" and arg[2] == "y z")\nassert(a == "x" and b == "y z")\n' >"$tmp/args.lua"
"$bin" "$tmp/args.lua" x "y z" >"$tmp/out" 2>&1; check "script args reach arg and ..." 0 $?

printf 'local x = 1\n\nlocal function f() error("deliberate failure") end\nf()\n' >"$tmp/err.lua"
"$bin" "$tmp/err.lua" >"$tmp/out" 2>&1; check "script error exits 2" 2 $?
contains "script error has file:line" "$tmp/out" "err.lua:3: deliberate failure"
contains "script error has a traceback" "$tmp/out" "stack traceback"

# a bad script argument is a usage error: the message alone, no traceback, and a near key named
printf 'local o = require("robolua.script_args").parse("demo", { repeats = "5" }, { ... })\nprint(o.repeats)\n' >"$tmp/opts.lua"
"$bin" "$tmp/opts.lua" repaets=3 >"$tmp/out" 2>&1; check "a bad script argument exits 2" 2 $?
contains "a bad script argument is named, with the near key" "$tmp/out" "robolua: demo: unknown argument 'repaets=3' (did you mean repeats=? expected repeats=)"
lacks "a bad script argument has no traceback" "$tmp/out" "stack traceback"
"$bin" "$tmp/opts.lua" repeats=3 >"$tmp/out" 2>&1; check "a good script argument runs" 0 $?
contains "a good script argument is read" "$tmp/out" "3"

# the tools read their arguments the same way (flags included), before any GPU work
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tool_usage() { # NAME MESSAGE TOOL ARGS...: tools/TOOL ARGS is a usage error (exit 2), MESSAGE alone
  local name=$1 message=$2 tool=$3
  shift 3
  "$bin" "$root/tools/$tool" "$@" >"$tmp/out" 2>&1; check "$name exits 2" 2 $?
  contains "$name is named" "$tmp/out" "robolua: $message"
  lacks "$name has no traceback" "$tmp/out" "stack traceback"
}
tool_usage "gpu_quick: a key typo" "gpu_quick: unknown argument 'rotat=4' (did you mean rotate=? expected bf16, f32, rotate=)" \
  gpu_quick.lua bf16 rotat=4
tool_usage "gpu_quick: a flag typo" "gpu_quick: unknown argument 'bf61' (did you mean bf16?" gpu_quick.lua bf61
tool_usage "gpu_quick: a bad rotate" "gpu_quick: rotate= must be an integer >= 1, got '0'" gpu_quick.lua rotate=0
tool_usage "export_cases: a flag typo" "export_cases: unknown argument 'smal' (did you mean small? expected bf16, f16, f32, small)" \
  export_cases.lua "$tmp/cases" smal
tool_usage "export_cases: a flag twice" "export_cases: bf16 is given twice" export_cases.lua "$tmp/cases" bf16 bf16
tool_usage "export_cases: no OUTDIR" "export_cases: no OUTDIR (usage: robolua tools/export_cases.lua OUTDIR" export_cases.lua
"$bin" "$root/tools/export_cases.lua" "$tmp/cases" small f16 >"$tmp/out" 2>&1; check "export_cases: OUTDIR small f16 runs" 0 $?
contains "export_cases: small f16 are read" "$tmp/cases/cases.txt" "8x250x128_f16_uniform 8 250 125 128 f16 0 uniform"

# a machine without what a tool needs (a CUDA device) is exit 1 with the message alone: no traceback, not
# the usage code 2 (CUDA_VISIBLE_DEVICES= hides every GPU, so this holds on a GPU machine too)
"$bin" -e 'local ok, e = pcall(require("robolua.usage").unavailable, "no widget")
assert(not ok and e.robolua_exit == 1 and tostring(e) == "no widget")
require("robolua.usage").unavailable("no widget here")' >"$tmp/out" 2>&1; check "usage.unavailable exits 1" 1 $?
contains "usage.unavailable prints its message" "$tmp/out" "robolua: no widget here"
for tool in fuse_ab gpu_quick; do
  CUDA_VISIBLE_DEVICES='' "$bin" "$root/tools/$tool.lua" >"$tmp/out" 2>&1; check "$tool without a GPU exits 1" 1 $?
  contains "$tool without a GPU says so" "$tmp/out" "robolua: $tool: needs a CUDA device ("
  lacks "$tool without a GPU has no traceback" "$tmp/out" "stack traceback"
done

# run options a run could not honour are usage errors found before anything is measured (--dry-run finds
# them too): one line naming the option as typed, no traceback, no gate table
for name in tiny other; do
  printf 'return robolua.scenario { name = "%s", seeds = { 0 }, warmup = 0, repeats = 2, roofline = false,
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32" }, backend = { "cpu" } } }\n' $name >"$tmp/$name.lua"
done
run_usage() { # NAME MESSAGE ARGS...: robolua ARGS tiny.lua, measuring and as --dry-run, exits 2 with MESSAGE
  local name=$1 message=$2 how
  shift 2
  for how in -q --dry-run; do
    # (-o first: a later one in ARGS replaces it; a run that is not refused writes there, not in results/)
    "$bin" "$how" -o "$tmp/res" "$@" "$tmp/tiny.lua" >"$tmp/out" 2>&1; check "$name ($how) exits 2" 2 $?
    contains "$name ($how) is named" "$tmp/out" "robolua: $message"
    lacks "$name ($how) has no traceback" "$tmp/out" "stack traceback"
    lacks "$name ($how) measures nothing" "$tmp/out" "| gate |"
  done
}
"$bin" -q -o "$tmp/res" --save-baseline other "$tmp/other.lua" >"$tmp/out" 2>&1; check "a baseline of another scenario is saved" 0 $?
run_usage "-a an axis typo" "-a dtpye=f32: the scenario has no axis 'dtpye' (did you mean 'dtype'? it has: backend, dtype, shape)" \
  -a dtpye=f32
run_usage "-a a value the workload refuses" \
  "-a dtype=bf17: point shape=2x20x4 dtype=bf17: axis dtype: unknown or unsupported dtype 'bf17' (f32, bf16, f16)" -a dtype=bf17
run_usage "-a a shape part the workload refuses" \
  "-a shape=0x20x4: point shape=0x20x4 dtype=f32: axis shape: B (batch) expected a positive integer, got 0" -a shape=0x20x4
run_usage "-a a value listed twice" "-a dtype=f32,f32: the value f32 is listed twice" -a dtype=f32,f32
run_usage "-a an unknown backend" "-a backend=gpu: unknown backend 'gpu' (did you mean 'cpu'?)" -a backend=gpu
run_usage "-a an empty value" "-a backend=cpu,,: an empty value in the list" -a backend=cpu,,
run_usage "-a a size beyond an integer" "-a shape=99999999999999999999x2x2: 99999999999999999999 is not an integer this machine can hold" \
  -a shape=99999999999999999999x2x2
printf 'return robolua.scenario { name = "modes", seeds = { 0 }, warmup = 0, repeats = 2, roofline = false,
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32" }, mode = { "hot" }, backend = { "cpu" } } }\n' >"$tmp/modes.lua"
"$bin" -q --dry-run -a mode=hott "$tmp/modes.lua" >"$tmp/out" 2>&1; check "-a mode= a mode the runner lacks exits 2" 2 $?
contains "-a mode= a mode the runner lacks is named as typed" "$tmp/out" \
  "robolua: -a mode=hott: point shape=2x20x4 dtype=f32 mode=hott: axis mode: unknown mode 'hott' (hot, cold, graph)"
# scenario definitions that would lose seeds, values or gates, or weaken a gate, in silence: usage errors
# naming the scenario's line and the key, before anything is measured (--dry-run), no traceback
tiny_axes='{ shape = { { 2, 20, 4 } }, dtype = { "f32" }, backend = { "cpu" } }'
def_usage() { # NAME MESSAGE FIELDS: a scenario with FIELDS (and AXES, default tiny_axes) exits 2 with MESSAGE
  printf 'local rl = require "robolua"\nreturn rl.scenario { name = "defs", warmup = 0, repeats = 2, roofline = false,
  axes = %s,\n  %s }\n' "${AXES:-$tiny_axes}" "$3" >"$tmp/defs.lua"
  "$bin" -q --dry-run "$tmp/defs.lua" >"$tmp/out" 2>&1; check "$1: exit 2" 2 $?
  contains "$1: at the scenario's line" "$tmp/out" "robolua: $tmp/defs.lua:"
  contains "$1: named" "$tmp/out" ": $2"
  lacks "$1: no traceback" "$tmp/out" "stack traceback"
}
def_usage "a nil in seeds" "scenario: seeds[2] is nil (a nil in a list ends it: the values after it would be dropped)" "seeds = { 0, nil, 2 }"
def_usage "a nil in gates" "scenario: gates[2] is nil" "gates = { rl.gate.verified(), nil, rl.gate.variance { max_pct = 5 } }"
AXES='{ shape = { { 2, 20, 4 } }, dtype = { "f32", nil, "bf16" }, backend = { "cpu" } }' \
  def_usage "a nil in an axis" "scenario: axes.dtype[2] is nil" "seeds = { 0 }"
def_usage "a key in seeds that is no index" "scenario: seeds: unexpected key 'x' in a list" "seeds = { 0, x = 1 }"
def_usage "a misspelt gate option" "gate.variance: unknown key 'maxpct' (did you mean 'max_pct'?)" "gates = { rl.gate.variance { maxpct = 50 } }"
def_usage "a gate option of the wrong kind" "gate.variance: max_pct: expected a finite number >= 0, got '5'" \
  "gates = { rl.gate.variance { max_pct = '5' } }"
def_usage "a NaN gate threshold" "gate.roofline: min_pct: expected a finite number >= 0, got " "gates = { rl.gate.roofline { min_pct = 0 / 0 } }"
def_usage "a gate's where not a function" "gate.latency: where: expected a function(config, record) -> boolean, got 5" \
  "gates = { rl.gate.latency { max_ms = 1, where = 5 } }"
def_usage "a gate's required option missing" "gate.latency: max_ms is required (a finite number > 0)" "gates = { rl.gate.latency { backend = 'cpu' } }"
def_usage "a gate naming a backend the scenario lacks" \
  "scenario: gates[1] (latency: median <= 1 ms (gpu)): backend: the scenario has no backend 'gpu' (did you mean 'cpu'?) (axes.backend: cpu)" \
  "gates = { rl.gate.latency { max_ms = 1, backend = 'gpu' } }"
def_usage "an Nsight gate's option out of its set" "rl.profile.gate_dram: against: expected \"copy\" or \"peak\", got 'cpy'" \
  "gates = { rl.profile.gate_dram { against = 'cpy' } }"
def_usage "a skip function that raises" "scenario: point shape=2x20x4 dtype=f32: skip(point) raised: $tmp/defs.lua:4: no skip today" \
  "seeds = { 0 }, skip = function(p) error('no skip today') end"
def_usage "a misspelt stopping rule key" "scenario: stop: unknown key 'precison_pct' (did you mean 'precision_pct'?)" \
  "seeds = { 0 }, stop = { precison_pct = 1 }"
def_usage "speedup_base naming a backend the scenario lacks" "scenario: speedup_base: the scenario has no backend 'nosuch'" "speedup_base = 'nosuch'"
printf 'local rl = require "robolua"\nreturn rl.scenario { name = "defs", warmup = 0, repeats = 2, roofline = false,
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32" }, backend = { "cpu", "cuda" } },
  gates = { rl.gate.speedup { base = "cpu", cand = "cuda", min = 1 }, rl.gate.variance(), rl.gate.throttle { max_pct = 5 } } }\n' >"$tmp/defs.lua"
"$bin" -q --dry-run --backend cpu "$tmp/defs.lua" >"$tmp/out" 2>&1
check "gates naming the scenario's backends are valid, also with --backend leaving one out" 0 $?
printf 'return robolua.scenario { name = "defs", warmup = 0, repeats = 2, roofline = false, speedup_base = "cpu",
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32" }, backend = { "cuda" } } }\n' >"$tmp/defs.lua"
"$bin" -q --dry-run "$tmp/defs.lua" >"$tmp/out" 2>&1
check "speedup_base written out as its default is valid on a scenario without a cpu backend (as when left out)" 0 $?

printf 'return robolua.scenario { name = "noaxes", seeds = { 0 }, warmup = 0, repeats = 2, roofline = false,
  case = function() error("no data here") end }\n' >"$tmp/noaxes.lua"
"$bin" -q -o "$tmp/res" "$tmp/noaxes.lua" >"$tmp/out" 2>&1; check "a case that raises in a scenario without axes exits 2" 2 $?
contains "... and its point is named even without axes" "$tmp/out" "robolua: the point (the scenario has no axes): $tmp/noaxes.lua:2: no data here"
"$bin" -q --dry-run --backend cpu,cpu "$tmp/tiny.lua" >"$tmp/out" 2>&1; check "--backend with a backend twice exits 2" 2 $?
contains "... naming it" "$tmp/out" "robolua: --backend: backend 'cpu' listed twice"
"$bin" compare --threshold 5 --threshold 10 a b >"$tmp/out" 2>&1; check "compare with an option twice exits 2" 2 $?
contains "... naming it" "$tmp/out" "robolua compare: --threshold given twice"
SLURM_ARRAY_TASK_ID=abc SLURM_ARRAY_TASK_COUNT=2 "$bin" -q --dry-run --shard slurm "$tmp/tiny.lua" >"$tmp/out" 2>&1
check "--shard slurm with a task id that is no integer exits 2" 2 $?
contains "... naming the variable and its value" "$tmp/out" "robolua: --shard slurm: SLURM_ARRAY_TASK_ID is 'abc', not an integer"
for spec in a,b -1 0,,1 '0,'; do
  run_usage "--devices $spec (malformed: the command's fault on any machine, exit 2 not 1)" \
    "--devices: '$spec' is not 'all' or a list of device indices (0,1,...)" --devices "$spec"
done

long=$(printf 'x%.0s' $(seq 1 300))
run_usage "--save-baseline of a name too long for a folder" "--save-baseline: the name is 300 characters long, at most 128" \
  --save-baseline "$long"
run_usage "--save-baseline .." "--save-baseline: a name of letters, digits, '_', '-', '.' (not '.' or '..')" --save-baseline ..
printf 'return robolua.scenario { name = "%s", seeds = { 0 }, warmup = 0, repeats = 2, roofline = false,
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32" }, backend = { "cpu" } } }\n' "$long" >"$tmp/longname.lua"
"$bin" -q --dry-run "$tmp/longname.lua" >"$tmp/out" 2>&1; check "a scenario name too long for a folder: --dry-run finds it (exit 2)" 2 $?
contains "... naming the length" "$tmp/out" "scenario: name is 300 characters long, at most 128"
run_usage "--require of a backend the run lacks" "--require nope: the run has no backend 'nope' (it has: cpu)" --require nope
run_usage "--baseline of no saved run" \
  "--baseline nonexist: no baseline $tmp/res/baselines/nonexist/ (--save-baseline nonexist saves one)" -o "$tmp/res" --baseline nonexist
run_usage "--baseline of another scenario" "--baseline other: a baseline of scenario 'other', not of 'tiny'" -o "$tmp/res" --baseline other
run_usage "-o in /proc" "-o /proc/nope: cannot create a folder in /proc: " -o /proc/nope
run_usage "--out under a file" "--out $tmp/tiny.lua/x: $tmp/tiny.lua is not a folder" --out "$tmp/tiny.lua/x"
run_usage "--save-baseline in /proc" "--save-baseline b: cannot create a folder in /proc: " --no-write -o /proc/nope --save-baseline b
"$bin" -q --no-write -o /proc/nope "$tmp/tiny.lua" >"$tmp/out" 2>&1; check "-o is not checked with --no-write" 0 $?
"$bin" -q -o "$tmp/res" "$tmp/tiny.lua" >"$tmp/out" 2>&1; check "a tiny run" 0 $?
run="$(ls -d "$tmp"/res/tiny-*)"
"$bin" merge /proc/nope/m "$run" >"$tmp/out" 2>&1; check "merge OUT in /proc exits 2" 2 $?
contains "merge OUT in /proc is named" "$tmp/out" "robolua merge: OUT /proc/nope/m: cannot create a folder in /proc: "
lacks "merge OUT in /proc has no traceback" "$tmp/out" "stack traceback"
"$bin" merge "$tmp/tiny.lua" "$run" >"$tmp/out" 2>&1; check "merge OUT a file exits 2" 2 $?
contains "merge OUT a file is named" "$tmp/out" "robolua merge: OUT $tmp/tiny.lua: $tmp/tiny.lua is not a folder"

# robolua recover of what is no run folder: one line naming it
recover_usage() { # NAME MESSAGE DIR
  "$bin" recover "$3" >"$tmp/out" 2>&1; check "recover $1 exits 2" 2 $?
  contains "recover $1 is named" "$tmp/out" "robolua recover: $2"
  lacks "recover $1 has no traceback" "$tmp/out" "stack traceback"
}
mkdir -p "$tmp/badplan" && printf '{"schema": ' >"$tmp/badplan/plan.json"
recover_usage "of a missing folder" "$tmp/nonexist: no such folder" "$tmp/nonexist"
recover_usage "of a file" "$tmp/tiny.lua is not a folder" "$tmp/tiny.lua"
recover_usage "of a folder with no run" "$tmp/res/baselines: neither results.json nor plan.json" "$tmp/res/baselines"
recover_usage "of a plan.json that is not JSON" "$tmp/badplan/plan.json: " "$tmp/badplan"
# a run that stopped before its first point: recovered, but nothing measured is never a PASS
cp -r "$run" "$tmp/stopped" && rm "$tmp/stopped/results.json" "$tmp/stopped/journal.jsonl"
"$bin" recover "$tmp/stopped" >"$tmp/out" 2>&1; check "recover of a run that measured nothing exits 2 (interrupted)" 2 $?
contains "... its verdict says nothing was measured" "$tmp/out" \
  "robolua: INCONCLUSIVE: nothing was measured (interrupted: results are partial)"
lacks "... and is no PASS" "$tmp/out" "PASS"

# robolua compare and tools/compare.lua: a bad word is named as the user typed it, in one line (no traceback,
# no Lua file:line)
compare_usage() { # NAME MESSAGE ARGS...: robolua ARGS exits 2 with MESSAGE
  local name=$1 message=$2
  shift 2
  "$bin" "$@" >"$tmp/out" 2>&1; check "$name exits 2" 2 $?
  contains "$name is named" "$tmp/out" "$message"
  lacks "$name has no traceback" "$tmp/out" "stack traceback"
  lacks "$name names no Lua file" "$tmp/out" ".lua:"
}
compare_usage "compare --threshold -5" "robolua compare: --threshold: expected a number in (0, 1000), got '-5'" \
  compare "$run" "$run" --threshold -5
compare_usage "compare --alpha 0" "robolua compare: --alpha: expected a number in (0, 1), got '0'" compare "$run" "$run" --alpha 0
compare_usage "compare with a third run" "robolua compare: unexpected argument 'extra'" compare "$run" "$run" extra
compare_usage "compare with one run" "robolua compare: needs BASE and NEW" compare "$run"
contains "compare's usage says where -o looks up named baselines" "$tmp/out" \
  "-o, --out DIR  a BASE or NEW that is no path names a baseline saved as DIR/baselines/NAME (default results)"
compare_usage "compare with a missing run" "robolua compare: $tmp/nope: no such run folder or results.json" \
  compare "$run" "$tmp/nope"
compare_usage "compare with an unknown baseline name" \
  "robolua compare: nosuch: no such run folder or results.json, nor a baseline saved as $tmp/res/baselines/nosuch" \
  compare -o "$tmp/res" "$run" nosuch
mkdir -p "$tmp/emptyrun"
compare_usage "compare with a folder without results.json" \
  "robolua compare: cannot read $tmp/emptyrun/results.json: No such file or directory" compare "$run" "$tmp/emptyrun"
compare_usage "tools/compare.lua threshold=" "robolua: compare: threshold= has an empty value" \
  "$root/tools/compare.lua" "$run" "$run" threshold=
compare_usage "tools/compare.lua force=1" "robolua: compare: unknown argument 'force=1' (expected alpha=, markdown=, threshold=)" \
  "$root/tools/compare.lua" "$run" "$run" force=1
compare_usage "tools/compare.lua thresold=5" "robolua: compare: unknown argument 'thresold=5' (did you mean threshold=?" \
  "$root/tools/compare.lua" "$run" "$run" thresold=5
compare_usage "tools/compare.lua threshold=-5" "robolua: compare: threshold= must be a number in (0, 1000), got '-5'" \
  "$root/tools/compare.lua" "$run" "$run" threshold=-5
compare_usage "tools/compare.lua with a third run" "robolua compare: unexpected argument 'extra'" \
  "$root/tools/compare.lua" "$run" "$run" extra
compare_usage "compare --markdown in /proc" "robolua compare: --markdown: cannot write /proc/nope/x.md: " \
  compare "$run" "$run" --markdown /proc/nope/x.md
compare_usage "compare --devices --markdown in /proc" "robolua compare: --markdown: cannot write /proc/nope/x.md: " \
  compare "$run" "$run" --devices --markdown /proc/nope/x.md
"$bin" "$root/tools/compare.lua" "$run" "$run" threshold=50 alpha=0.05 markdown="$tmp/cmp.md" >"$tmp/out" 2>&1
check "tools/compare.lua threshold= alpha= markdown= run" 0 $?
contains "tools/compare.lua reads threshold= and alpha=" "$tmp/cmp.md" "change beyond 50% and Mann-Whitney p < 0.05"

printf 'local x = \n' >"$tmp/syntax.lua"
"$bin" "$tmp/syntax.lua" >"$tmp/out" 2>&1; check "syntax error exits 2" 2 $?
contains "syntax error has file:line" "$tmp/out" "syntax.lua:2:"

"$bin" "$tmp/missing.lua" >"$tmp/out" 2>&1; check "missing script exits 2" 2 $?
contains "missing script is named" "$tmp/out" "missing.lua"

printf 'robolua.core.set_exit_code(1)\n' >"$tmp/code.lua"
"$bin" "$tmp/code.lua" >"$tmp/out" 2>&1; check "a gate failure exit code reaches the shell" 1 $?

printf 'local t = robolua.tensor({1,2,3}, {3})\nt:close()\nt:close()\ncollectgarbage()\nprint(#robolua.tensor(nil,{4}))\n' >"$tmp/gc.lua"
"$bin" "$tmp/gc.lua" >"$tmp/out" 2>&1; check "double close and GC are safe" 0 $?

"$bin" -e 'local lfs = require "lfs"; local cj = require "cjson"; assert(lfs.attributes(".", "mode") == "directory"); assert(cj.decode("[1,2]")[2] == 2)' >"$tmp/out" 2>&1
check "lfs and cjson are built in" 0 $?

# embedded modules carry their source paths as chunk names; ROBOLUA_PATH overrides them for development
"$bin" -e 'assert(robolua.core.embedded_chunkname("robolua.stats") == "@lua/robolua/stats.lua")' >"$tmp/out" 2>&1
check "embedded chunk names point at lua/ files" 0 $?
# (stats raises at its caller's line, so the module's own file:line is looked for in the traceback)
"$bin" -e 'local ok, e = xpcall(robolua.stats.quantile, debug.traceback, {}, 0.5); assert(not ok and e:find("lua/robolua/stats.lua:%d+"), e)' >"$tmp/out" 2>&1
check "errors inside embedded modules name lua/robolua/<file>:<line>" 0 $?
mkdir -p "$tmp/override/robolua"
printf 'return { overridden = true }\n' >"$tmp/override/robolua/fmt.lua"
ROBOLUA_PATH="$tmp/override" "$bin" -e 'assert(require("robolua.fmt").overridden)' >"$tmp/out" 2>&1
check "ROBOLUA_PATH overrides an embedded module" 0 $?
"$bin" -e 'assert(not require("robolua.fmt").overridden)' >"$tmp/out" 2>&1
check "without ROBOLUA_PATH the embedded module is used" 0 $?

# Ctrl-C inside a coroutine that never yields: the hook of the main thread does not run there, so each
# coroutine carries its own (a busy coroutine.wrap and coroutine.create loop both stop with exit 2)
# (the signal is sent once the coroutine runs: the script writes a file just before it loops; timeout runs
# in the foreground: otherwise it passes the SIGINT on to the child and again to its process group, and a
# child scheduled between the two sees a second Ctrl-C, which ends robolua at once with 130, by design)
for how in wrap create; do
  ready='io.open(os.getenv("READY"), "w"):close()'
  if [ $how = wrap ]; then body="coroutine.wrap(function() $ready local x = 0 while true do x = x + 1 end end)()"
  else body="coroutine.resume(coroutine.create(function() $ready local x = 0 while true do x = x + 1 end end)) while true do end"; fi
  printf '%s\n' "$body" >"$tmp/co.lua"
  rm -f "$tmp/ready"
  READY="$tmp/ready" timeout --foreground 60 "$bin" "$tmp/co.lua" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 400); do [ -e "$tmp/ready" ] && break; sleep 0.05; done
  sleep 0.1
  kill -INT $pid
  wait $pid
  check "SIGINT stops a busy coroutine ($how) with exit 2" 2 $?
done
# the replaced create/wrap behave as Lua's: values through yield/resume, errors raised by wrap
"$bin" -e 'local w = coroutine.wrap(function(a) local b = coroutine.yield(a * 2) return b + 1 end)
assert(w(21) == 42 and w(1) == 2); local ok, e = pcall(coroutine.wrap(function() error({code = 7}) end))
assert(not ok and e.code == 7); local t = coroutine.create(function() error("boom") end)
local ok2, e2 = coroutine.resume(t); assert(not ok2 and e2:find("boom") and coroutine.status(t) == "dead")' >"$tmp/out" 2>&1
check "coroutine.create and coroutine.wrap keep Lua's behaviour" 0 $?

# precompiled chunks are refused everywhere a script loads code, not only as the script itself
T="$tmp" "$bin" -e 'local f = assert(io.open(os.getenv("T") .. "/bin.lua", "wb")) f:write(string.dump(function() return 7 end)) f:close()' \
  >"$tmp/out" 2>&1
T="$tmp" "$bin" -e 'local bin = os.getenv("T") .. "/bin.lua"
assert(io.open(bin, "rb"):read(1) == "\27", "the dump was written")
local f, e = load(string.dump(function() return 1 end)); assert(not f and e:find("binary chunk"), e)
f, e = loadfile(bin); assert(not f and e:find("binary chunk"), e)
local ok; ok, e = pcall(dofile, bin); assert(not ok and e:find("binary chunk"), e)
package.path = os.getenv("T") .. "/?.lua;" .. package.path
ok, e = pcall(require, "bin"); assert(not ok and e:find("binary chunk"), e)
assert(load("return 1 + 1")() == 2 and load("return x", "n", "t", { x = 5 })() == 5 and load("return print")() == print)' \
  >"$tmp/out" 2>&1
check "load, loadfile, dofile and require refuse precompiled chunks; text still loads" 0 $?

finish
