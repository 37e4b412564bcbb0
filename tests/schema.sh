#!/usr/bin/env bash
# The JSON Schema of the run document (schema/run.schema.json) against real documents: a run of
# scenarios/ci.lua; a run with every kind of record (ok, skipped, failed verification, error) and gate
# (pass, fail, skip, inconclusive), sharded, merged, recovered and saved as a named baseline; every committed
# results/**/results.json of schema robolua.run/2. Then deliberately broken copies must fail.
# Usage: schema.sh path/to/robolua BUILD_DIR (run from the source root). Skipped (exit 77) without
# Python's jsonschema (Debian: python3-jsonschema).
set -u
bin=${1:?usage: schema.sh path/to/robolua BUILD_DIR}
build=${2:?usage: schema.sh path/to/robolua BUILD_DIR}
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
py=""
for cand in python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'from jsonschema import Draft202012Validator' 2>/dev/null; then py=$cand; break; fi
done
if [ -z "$py" ]; then skip "no python3 with jsonschema (Draft 2020-12): apt-get install python3-jsonschema"; fi
schema=schema/run.schema.json
checker=tests/schema_check.py
run_check() { # name, command...: counts the helper's lines
  local name=$1; shift
  if "$@" >"$tmp/check.out" 2>&1; then ok "$name"; else bad "$name"; fi
  sed 's/^/      /' "$tmp/check.out"
}

# 1. a run of the CI scenario (exit 0, or 1 when a gate fails on a noisy machine: the document is the point)
"$bin" -q -o "$tmp/ci" scenarios/ci.lua >"$tmp/ci.log" 2>&1
code=$?
ci_doc=$(find "$tmp/ci" -path "*/ci-*/results.json" | head -1)
if [ -n "$ci_doc" ] && [ "$code" -le 1 ]; then ok "scenarios/ci.lua wrote results.json (exit $code)"; else bad "scenarios/ci.lua: exit $code, no results.json"; cat "$tmp/ci.log"; fi

# 2. every status and gate outcome, a script argument, a stopping rule, pinned threads; sharded and merged
cat >"$tmp/edge.lua" <<EOF
local rl = require "robolua"
local lib = "$build/tests/userlib/"
return rl.scenario {
  name = "edge", seeds = { 0, 1 }, warmup = 1, repeats = 3, interleave = 1, pin = true, roofline = false,
  stop = { precision_pct = 50, max_repeats = 5 },
  axes = { shape = { { 2, 20, 4 } }, dtype = { "f32", "bf16" }, backend = { "cpu", "wrong", "failing", "cuda" }, tag = { "a" } },
  backends = {
    wrong = rl.cpu.library { path = lib .. "libwrong.so", name = { f32 = "wrong_resample_f32" } },
    failing = rl.cpu.library { path = lib .. "libfailing.so", name = { f32 = "failing_resample_f32" } },
  },
  skip = function(p) if p.dtype == "bf16" and p.backend ~= "cpu" then return "no bf16 library" end end,
  gates = { function() return { skip = true, msg = "nothing to judge" } end,
            function() return { inconclusive = true, msg = "too noisy" } end },
}
EOF
"$bin" -q -o "$tmp/edge" --save-baseline edge "$tmp/edge.lua" some-arg >"$tmp/edge.log" 2>&1
code=$?
edge_doc=$(find "$tmp/edge" -path "*/edge-*/results.json" | head -1)
if [ -n "$edge_doc" ] && [ "$code" = 1 ]; then ok "the edge scenario fails its verification gate (exit 1)"; else bad "edge scenario: exit $code (expected 1)"; cat "$tmp/edge.log"; fi
for i in 0 1; do "$bin" -q -o "$tmp/shards" --shard "$i/2" "$tmp/edge.lua" >"$tmp/shard$i.log" 2>&1; done
"$bin" merge "$tmp/merged" "$tmp/shards" >"$tmp/merge.log" 2>&1
code=$?
if [ "$code" = 1 ] && [ -f "$tmp/merged/results.json" ]; then ok "the shards merge (exit 1: the wrong library)"; else bad "merge: exit $code"; cat "$tmp/merge.log"; fi
if "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["script_args"] == ["some-arg"], d["script_args"]
d=json.load(open(sys.argv[2])); assert d["script_args"] == [] and len(d["shards"]) == 2, d["script_args"]' "$edge_doc" "$tmp/merged/results.json"; then
  ok "script_args is an array, empty or not"
else
  bad "script_args is not an array"
fi

# a recovered run: the edge run's folder copied without results.json and with only the journal's first
# line (as a crash in the first point leaves it), rebuilt by robolua recover from plan.json and the journal
cp -r "$(dirname "$edge_doc")" "$tmp/crashed"
rm "$tmp/crashed/results.json"
head -n 1 "$(dirname "$edge_doc")/journal.jsonl" >"$tmp/crashed/journal.jsonl"
"$bin" recover "$tmp/crashed" >"$tmp/recover.log" 2>&1
code=$?
if [ "$code" = 2 ] && [ -f "$tmp/crashed/results.json" ]; then ok "robolua recover rebuilds the run (exit 2: partial)"; else bad "recover: exit $code"; cat "$tmp/recover.log"; fi
# a run stopped by a first SIGINT journals its unmeasured points as interrupted records: still partial
cp -r "$(dirname "$edge_doc")" "$tmp/stopped"
rm "$tmp/stopped/results.json"
"$py" - "$tmp/stopped/journal.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
for i, line in enumerate(lines):
    d = json.loads(line)
    if d.get("t") == "record" and d["record"]["status"] == "ok":
        d["record"]["status"], d["record"]["reason"] = "interrupted", "not measured: the run was interrupted"
        lines[i] = json.dumps(d)
        break
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
PY
"$bin" recover "$tmp/stopped" >"$tmp/recover.log" 2>&1
code=$?
if [ "$code" = 2 ] && grep -q "interrupted: results are partial" "$tmp/recover.log"; then
  ok "recover of a journal with an interrupted record: partial (exit 2)"
else
  bad "recover of a journal with an interrupted record: exit $code"; cat "$tmp/recover.log"
fi
# a journal with every point's record lost only the reports: the recovery is the run (exit 1: its
# verification gate fails, as the run's did), not partial; an unreadable results.json is set aside
cp -r "$(dirname "$edge_doc")" "$tmp/complete"
: >"$tmp/complete/results.json"
"$bin" recover "$tmp/complete" >"$tmp/recover.log" 2>&1
code=$?
if [ "$code" = 1 ] && [ -s "$tmp/complete/results.json" ] && [ -f "$tmp/complete/results.json.unreadable" ] &&
  ! grep -q "interrupted" "$tmp/recover.log"; then
  ok "recover of a complete journal beside an emptied results.json: set aside, the run rebuilt whole (exit 1, its gate)"
else
  bad "recover of a complete journal: exit $code"; cat "$tmp/recover.log"
fi

# 3. documents written now validate against the schema without its legacy allowances
fresh=("$ci_doc" "$edge_doc" "$tmp"/shards/edge-*/results.json "$tmp/merged/results.json" "$tmp/edge/baselines/edge/results.json"
  "$tmp/crashed/results.json" "$tmp/complete/results.json")
run_check "${#fresh[@]} documents written now validate (strict)" "$py" "$checker" "$schema" valid --strict "${fresh[@]}"

# 3b. junit.xml (lua/robolua/reports/junit.lua) in each of those folders agrees with its results.json:
#     counts, one case per gate and per result with the outcome its status maps to, medians as times; the
#     edge run's every outcome by name; a --baseline run's comparison suite
junit=tests/junit_check.py
edge_dir=$(dirname "$edge_doc")
run_check "the edge run's junit.xml: every gate and point outcome" "$py" "$junit" "$edge_dir" \
  --expect gates:failure:verified --expect gates:skipped:"custom gate #2" --expect gates:skipped:"custom gate #3" \
  --expect points:failure:"f32 tag=a [wrong@cpu]" --expect points:error:"f32 tag=a [failing@cpu]" \
  --expect points:skipped:"[cuda]" --expect points:passed:"f32 tag=a [cpu]"
for d in "$(dirname "$ci_doc")" "$tmp"/shards/edge-* "$tmp/merged" "$tmp/crashed" "$tmp/complete" "$tmp/stopped"; do
  run_check "junit.xml agrees with results.json in ${d#"$tmp"/}" "$py" "$junit" "$d"
done
run_check "a recovered run's junit.xml has the error 'the run finished'" "$py" "$junit" "$tmp/crashed" --expect "gates:error:the run finished"
mkdir -p "$tmp/edge-cmp" && cp -r "$tmp/edge/baselines" "$tmp/edge-cmp/" # (a folder of its own: one run folder in it)
"$bin" -q -o "$tmp/edge-cmp" --baseline edge "$tmp/edge.lua" some-arg >"$tmp/edge-cmp.log" 2>&1
cmp_dir=$(dirname "$(find "$tmp/edge-cmp" -maxdepth 2 -path "$tmp/edge-cmp/edge-*/results.json" | head -1)")
run_check "a --baseline run's junit.xml has the comparison suite (the verdict depends on the machine's noise)" "$py" "$junit" "$cmp_dir" --expect "baseline:any:f32 tag=a [cpu]"
if "$bin" -q --no-write --report junit "$tmp/edge.lua" 2>/dev/null | "$py" -c 'import sys, xml.etree.ElementTree as E; r = E.fromstring(sys.stdin.read()); assert r.tag == "testsuites"'; then
  ok "--report junit prints the document alone on stdout"
else
  bad "--report junit: stdout is not one JUnit document"
fi

# 4. committed runs: every robolua.run/2 document validates. robolua.run/1 documents (results/dev-2core,
#    before records had device/point, gates a verdict line, verification its own shape) predate the
#    schema; record.from_doc reads them into run/2's shape, and they are only listed here.
committed=()
while IFS= read -r f; do
  s=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("schema"))' "$f")
  case "$s" in
    robolua.run/2) committed+=("$f") ;;
    robolua.run/1) echo "      (not validated: $f is robolua.run/1)" ;;
    *) bad "$f: unknown schema $s" ;;
  esac
done < <(find results -name results.json | sort)
if [ "${#committed[@]}" -gt 0 ]; then
  run_check "${#committed[@]} committed robolua.run/2 documents validate" "$py" "$checker" "$schema" valid "${committed[@]}"
else
  echo "      (no committed robolua.run/2 documents)"
fi

# 5. broken copies of the edge document are rejected, one breakage at a time
run_check "every deliberately broken document is rejected" "$py" "$checker" "$schema" broken "$edge_doc"

finish
