#!/usr/bin/env bash
# Named baselines, round trip: --save-baseline NAME stores a run as OUT/baselines/NAME; --baseline NAME
# runs and compares in one command (exit 1 on SLOWER, 0 otherwise, 2 when nothing matched or the
# baseline is missing); compare-NAME.md in the run folder; `robolua compare` resolves names. The
# SLOWER/FASTER cases use copies of the saved baseline with every sample scaled (4x), so the verdicts do
# not depend on the machine's noise.
# Usage: baseline.sh path/to/robolua (run from the source root).
set -u
bin=${1:?usage: baseline.sh path/to/robolua}
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
check_log="$tmp/log" # every command's stderr goes there: shown when its exit code is wrong
out="$tmp/out"
cat >"$tmp/bl.lua" <<'EOF'
local rl = require "robolua"
return rl.scenario { name = "bl", seeds = { 0, 1 }, warmup = 1, repeats = 10, roofline = false,
  axes = { shape = { { 4, 200, 16 } }, dtype = { "f32" }, backend = { "cpu" } } }
EOF

# run 1: saved as "base" (not quiet: the run says where)
"$bin" -o "$out" --save-baseline base "$tmp/bl.lua" >"$tmp/log" 2>&1
check "run 1 with --save-baseline base" 0 $?
contains "the run says where the baseline went" "$tmp/log" "baseline saved: $out/baselines/base/"
base="$out/baselines/base/results.json"
"$bin" -e "local d = require('robolua.record').load('$base'); assert(d.scenario == 'bl' and #d.results == 1 and d.results[1].status == 'ok')" >"$tmp/log" 2>&1
check "the baseline is a readable run document" 0 $?

# copies of the baseline with every sample scaled: "fast" (x0.25) and "slow" (x4)
for spec in fast:0.25 slow:4; do
  name=${spec%%:*} factor=${spec##*:}
  mkdir -p "$out/baselines/$name"
  "$bin" -e "
    local json, files = require 'robolua.json', require 'robolua.files'
    local d = json.decode(files.read('$base'))
    for _, r in ipairs(d.results) do
      for _, s in ipairs(r.seeds) do
        for i, v in ipairs(s.samples_ms) do s.samples_ms[i] = v * $factor end
      end
    end
    files.write('$out/baselines/$name/results.json', json.encode(d))" >"$tmp/log" 2>&1
  check "baseline '$name' written (samples x$factor)" 0 $?
done

# run 2 gated against each: the same baseline (SAME or a noise verdict, never a failure to compare),
# one 4x faster (this run is SLOWER: exit 1), one 4x slower (this run is FASTER: exit 0)
"$bin" -q -o "$out" --baseline base "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
code=$?
case "$code" in 0 | 1) check "run 2 gated against base: compared (exit $code: SAME, or noise)" "$code" "$code" ;;
  *) check "run 2 gated against base: compared" "0 or 1" "$code" ;; esac
contains "the comparison is printed" "$tmp/gate.md" "| configuration | backend | base median (ms) |"
contains "the gated row is the configuration" "$tmp/gate.md" "shape=4x200x16 dtype=f32"
md=$(find "$out" -path "*/bl-*/compare-base.md" | head -1)
if [ -n "$md" ]; then check "compare-base.md is written in the run folder" 0 0; else check "compare-base.md in the run folder" 0 1; fi
"$bin" -q -o "$out" --baseline fast "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "against a 4x faster baseline: exit 1" 1 $?
contains "... and the row is SLOWER" "$tmp/gate.md" "SLOWER"
contains "... while the gates pass" "$tmp/gate.md" "robolua: PASS"
contains "... and the last line says so, not a bare PASS" "$tmp/gate.md" "robolua: PASS; against baseline fast: 1 slower"
run_json=$(find "$out" -path "*/bl-*/compare-fast.md" -newer "$tmp/bl.lua" | head -1)
"$bin" -e "local d = require('robolua.record').load('$(dirname "$run_json")')
  assert(d.baseline.name == 'fast' and d.baseline.exit_code == 1 and d.baseline.counts.slower == 1, 'results.json records it')" >"$tmp/log" 2>&1
check "... and results.json records the comparison (baseline: name, exit_code, counts)" 0 $?
"$bin" -q -o "$out" --report json --baseline fast "$tmp/bl.lua" >"$tmp/gate.json" 2>"$tmp/gate.err"
check "--report json --baseline fast: exit 1" 1 $?
"$bin" -e "local d = require('robolua.json').decode(require('robolua.files').read('$tmp/gate.json'))
  assert(d and d.baseline.counts.slower == 1, 'stdout is one JSON document')" >"$tmp/log" 2>&1
check "... and stdout is the JSON document alone (the comparison went to stderr)" 0 $?
contains "... the comparison is on stderr" "$tmp/gate.err" "SLOWER"
"$bin" -q -o "$out" --shard 0/2 --baseline fast "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "a shard (--shard 0/2) against a 4x faster baseline: exit 1 (a comparison is not a provisional gate)" 1 $?
# --save-baseline of a run that measured nothing (every point skipped) keeps the previous baseline; one
# that failed a gate is saved, with a warning (a comparison is about relative speed)
cat >"$tmp/bl_none.lua" <<'EOF2'
local rl = require "robolua"
return rl.scenario { name = "bl", seeds = { 0, 1 }, warmup = 1, repeats = 10, roofline = false,
  skip = function() return "skipped on purpose" end,
  axes = { shape = { { 4, 200, 16 } }, dtype = { "f32" }, backend = { "cpu" } } }
EOF2
cp "$out/baselines/fast/results.json" "$tmp/fast.before"
"$bin" -q -o "$out" --save-baseline fast "$tmp/bl_none.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "--save-baseline fast of a run that measured nothing: exit 1" 1 $?
contains "... says the baseline was not saved" "$tmp/log" "robolua: --save-baseline fast: not saved: nothing was measured (the previous baseline is kept)"
contains "... and the last line says so" "$tmp/gate.md" "baseline fast not saved"
if cmp -s "$tmp/fast.before" "$out/baselines/fast/results.json"; then check "... the previous baseline is kept" 0 0
else check "... the previous baseline is kept" 0 1; fi
cat >"$tmp/bl_fail.lua" <<'EOF2'
local rl = require "robolua"
return rl.scenario { name = "bl", seeds = { 0, 1 }, warmup = 1, repeats = 10, roofline = false,
  gates = { rl.gate.verified(), rl.gate.latency { max_ms = 1e-9 } },
  axes = { shape = { { 4, 200, 16 } }, dtype = { "f32" }, backend = { "cpu" } } }
EOF2
"$bin" -q -o "$out" --save-baseline failing "$tmp/bl_fail.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "--save-baseline failing of a run that failed a gate: exit 1 (the gate)" 1 $?
contains "... saved, with a warning" "$tmp/log" "robolua: --save-baseline failing: warning: saved a run that failed 1 gate"
if [ -f "$out/baselines/failing/results.json" ]; then check "... and the baseline exists" 0 0; else check "... and the baseline exists" 0 1; fi
# (900%: this run may be up to 2.5x slower than the baseline's run and still read about +300%; the
# tiny CPU point's run-to-run spread on a busy 2-vCPU machine went past 25%, which --threshold 400 missed)
"$bin" -q -o "$out" --baseline fast --threshold 900 "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "against a 4x faster baseline with --threshold 900 (a ~300% change is SAME): exit 0" 0 $?
contains "... and the row is SAME" "$tmp/gate.md" "SAME"
"$bin" -q -o "$out" --threshold 5 "$tmp/bl.lua" >"$tmp/log" 2>&1
check "--threshold without --baseline is a usage error" 2 $?
contains "... naming the option" "$tmp/log" "--threshold applies to --baseline"
"$bin" -q -o "$out" --baseline fast --alpha 2 "$tmp/bl.lua" >"$tmp/log" 2>&1
check "--alpha out of (0, 1) is a usage error" 2 $?
contains "... naming the option" "$tmp/log" "--alpha: expected a number in (0, 1), got '2'"
"$bin" -q -o "$out" --baseline slow "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "against a 4x slower baseline: exit 0" 0 $?
contains "... and the row is FASTER" "$tmp/gate.md" "FASTER"

# a changed configuration: nothing matches the baseline, exit 2
"$bin" -q -o "$out" -a dtype=bf16 --baseline base "$tmp/bl.lua" >"$tmp/gate.md" 2>"$tmp/log"
check "a changed configuration (-a dtype=bf16) against base: exit 2" 2 $?
contains "... says nothing was compared" "$tmp/gate.md" "Nothing was compared"
contains "... lists the configuration only in base" "$tmp/gate.md" "Only in base: shape=4x200x16 dtype=f32"
changed=$(find "$out" -path "*/bl-*/compare-base.md" -exec grep -l "dtype=bf16" {} + | head -1)
if [ -n "$changed" ]; then
  "$bin" compare -o "$out" base "$(dirname "$changed")" >"$tmp/cmp.md" 2>"$tmp/log"
  check "robolua compare base <changed run>: exit 2" 2 $?
else
  check "the changed run's folder has compare-base.md" 0 1
fi

# robolua compare resolves names under -o; direction matters
"$bin" compare -o "$out" fast base >"$tmp/cmp.md" 2>"$tmp/log"
check "robolua compare fast base (names; base's samples are 4x fast's, so SLOWER): exit 1" 1 $?
"$bin" compare -o "$out" fast base --json "$tmp/cmp.json" >"$tmp/cmp.md" 2>"$tmp/log"
check "robolua compare --json FILE: the same exit (1)" 1 $?
"$bin" -e "local d = require('robolua.json').decode(require('robolua.files').read('$tmp/cmp.json'))
  assert(d.schema == 'robolua.compare/1' and d.exit_code == 1 and d.counts.slower == 1, 'counts and exit code')
  local r = d.rows[1]
  assert(r.key == 'shape=4x200x16 dtype=f32' and r.backend == 'cpu' and r.verdict == 'SLOWER' and r.ratio > 1, 'the row')
  assert(type(d.missing) == 'table' and #d.missing == 0 and d.base.scenario == 'bl', 'lists and sides')" >"$tmp/log" 2>&1
check "... the JSON has the verdicts per configuration, the counts and the exit code" 0 $?
json_run=$(find "$out" -name compare-fast.json | head -1)
if [ -n "$json_run" ]; then check "--baseline fast writes compare-fast.json in the run folder" 0 0; else check "--baseline fast writes compare-fast.json" 0 1; fi
"$bin" compare -o "$out" fast base --devices --json "$tmp/x.json" >"$tmp/log" 2>&1
check "--json with --devices is a usage error (a device table has no verdicts)" 2 $?
"$bin" compare -o "$out" fast base --junit "$tmp/cmp.xml" >"$tmp/cmp.md" 2>"$tmp/log"
check "robolua compare --junit FILE: the same exit (1)" 1 $?
contains "... the JUnit suite counts the SLOWER row as a failure" "$tmp/cmp.xml" 'tests="1" failures="1" errors="0" skipped="0"'
contains "... and names it" "$tmp/cmp.xml" '<testcase classname="robolua.bl.compare" name="shape=4x200x16 dtype=f32 [cpu]">'
contains "... with the verdict as the failure's message" "$tmp/cmp.xml" '<failure message="SLOWER: new / base median'
"$bin" compare -o "$out" slow base --junit "$tmp/cmp.xml" >"$tmp/cmp.md" 2>"$tmp/log"
contains "a FASTER row is a passing case" "$tmp/cmp.xml" 'tests="1" failures="0" errors="0" skipped="0"'
"$bin" compare -o "$out" fast base --devices --junit "$tmp/x.xml" >"$tmp/log" 2>&1
check "--junit with --devices is a usage error" 2 $?
"$bin" compare -o "$out" fast base --junit "$tmp/no/such/dir/x.xml" >"$tmp/log" 2>&1
check "--junit into a folder that does not exist: exit 2" 2 $?
contains "... naming the option" "$tmp/log" "robolua compare: --junit: "
"$bin" -o "$out" compare fast base >"$tmp/cmp.md" 2>"$tmp/log"
check "robolua -o DIR compare fast base (-o before the subcommand, as for a run): exit 1" 1 $?
"$bin" compare -o "$out" slow base >"$tmp/cmp.md" 2>"$tmp/log"
check "robolua compare slow base (names; FASTER): exit 0" 0 $?
contains "... FASTER" "$tmp/cmp.md" "FASTER"

# a malformed baseline is refused before anything is measured (--dry-run finds it)
mkdir -p "$out/baselines/broken"
"$bin" -e "
  local json, files = require 'robolua.json', require 'robolua.files'
  local d = json.decode(files.read('$base'))
  d.results[1].seeds[1].samples_ms[1] = 'fast'
  files.write('$out/baselines/broken/results.json', json.encode(d))" >"$tmp/log" 2>&1
"$bin" -q --dry-run -o "$out" --baseline broken "$tmp/bl.lua" >"$tmp/log" 2>&1
check "--baseline of a malformed baseline: a usage error before measuring (--dry-run, exit 2)" 2 $?
contains "... naming the record and the sample" "$tmp/log" "--baseline broken: $out/baselines/broken/results.json: result 'shape=4x200x16 dtype=f32 | cpu': seeds[1].samples_ms[1]"
# hand-edited documents: compare and merge refuse each one naming the field, instead of failing inside a
# report (they did: a string gpu, a string script_args, no env) or merging records compare then refuses
corrupt() { # NAME LUA MESSAGE: base's document changed by LUA (d is the document) must be refused by both
  mkdir -p "$tmp/corrupt/$1"
  "$bin" -e "local json, files = require 'robolua.json', require 'robolua.files'
    local d = json.decode(files.read('$base')); $2
    files.write('$tmp/corrupt/$1/results.json', json.encode(d))" >"$tmp/log" 2>&1
  "$bin" compare "$base" "$tmp/corrupt/$1" >"$tmp/log" 2>&1
  check "compare refuses a document with $1 (exit 2)" 2 $?
  contains "... naming the file" "$tmp/log" "robolua compare: $tmp/corrupt/$1/results.json: "
  contains "... and the field" "$tmp/log" "$3"
  lacks "... without a traceback" "$tmp/log" "stack traceback"
  "$bin" merge "$tmp/merged-$1" "$tmp/corrupt/$1" >"$tmp/log" 2>&1
  check "merge refuses it too (exit 2)" 2 $?
  contains "... naming the field" "$tmp/log" "$3"
}
corrupt "a string gpu" "d.results[1].gpu = 'x'" "results[1].gpu is the string \"x\", expected an object with an integer index"
corrupt "a string script_args" "d.script_args = 'x'" "script_args is the string \"x\", expected an array"
corrupt "a string env" "d.env = 'x'" "env is the string \"x\", expected an object"
corrupt "a string env.host" "d.env.host = 'x'" "env.host is the string \"x\", expected an object"
corrupt "samples as an object" "d.results[1].seeds[1].samples_ms = { a = 1 }" "results[1].seeds[1].samples_ms: unexpected key 'a' in a list"
corrupt "an unknown status" "d.results[1].status = 'weird'" "status is 'weird', expected one of"
corrupt "a negative sample" "d.results[1].seeds[1].samples_ms[1] = -1" "seeds[1].samples_ms[1] is -1, expected a finite number >= 0"

# a document without its environment (a tool's, a hand edit) is read, and the reports say so (merge failed
# inside the Markdown report)
mkdir -p "$tmp/noenv"
"$bin" -e "local json, files = require 'robolua.json', require 'robolua.files'
  local d = json.decode(files.read('$base')); d.env = nil
  files.write('$tmp/noenv/results.json', json.encode(d))" >"$tmp/log" 2>&1
"$bin" merge "$tmp/merged-noenv" "$tmp/noenv" >"$tmp/log" 2>&1
code=$?
if [ "$code" -le 1 ]; then check "merge of a document without env (exit $code)" 0 0; else check "merge of a document without env" 0 "$code"; cat "$tmp/log"; fi
contains "... its report says the commit is unknown" "$tmp/merged-noenv/report.md" "- git commit: \`unknown\`"

# different script arguments are flagged (they change what a script measures, not its definition's hash)
"$bin" -q -o "$out" --baseline base "$tmp/bl.lua" extra-arg >"$tmp/gate.md" 2>"$tmp/log"
contains "a run with other script arguments than the baseline's is flagged" "$tmp/gate.md" "the script arguments differ: '' -> 'extra-arg'"

# errors: a missing baseline, a name that is not a plain name
"$bin" -q -o "$out" --baseline nosuch "$tmp/bl.lua" >"$tmp/log" 2>&1
check "--baseline nosuch: exit 2" 2 $?
contains "... naming it" "$tmp/log" "--baseline nosuch"
"$bin" -q -o "$out" --save-baseline ../escape "$tmp/bl.lua" >"$tmp/log" 2>&1
check "--save-baseline ../escape: a usage error" 2 $?
if [ -e "$out/escape" ]; then check "nothing written outside baselines/ (OUT/baselines/../escape)" 0 1; fi

finish
