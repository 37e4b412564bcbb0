#!/usr/bin/env bash
# The CI examples (examples/ci/*.yml: GitHub Actions and GitLab) run as written: every robolua command line in them
# (a line starting with build/robolua) is checked with --dry-run, then the workflows' sequences are run
# for real in a scratch folder laid out like a checkout (build/ and scenarios/): robolua.yml saves the
# baseline "main" and gates a second run against it; sharded.yml runs every shard of its matrix and the
# merge; each job-summary step is run with GITHUB_STEP_SUMMARY set, and every uploaded path must exist.
# With Python's yaml (Debian: python3-yaml) the files are also parsed: every robolua line of every run
# step is one this test found, and the summary steps are taken from the parsed workflow.
# Usage: workflows.sh BUILD_DIR (run from the source root).
set -u
build=${1:?usage: workflows.sh BUILD_DIR}
src=$(pwd)
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
# shellcheck disable=SC2016 # GitHub expressions, literally
shard_expr='${{ matrix.shard }}' open_expr='${{'
py=""
for cand in python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import yaml' 2>/dev/null; then py=$cand; break; fi
done

# robolua command lines of a workflow, one per line (leading blanks, "- " and "run: " removed)
commands() { sed -n 's/^[[:space:]]*\(- \)\{0,1\}\(run: \)\{0,1\}\(build\/robolua\( .*\)\{0,1\}\)$/\3/p' "$1"; }
# runs one command line from the scratch checkout; the exit code is the result
run_line() { (cd "$work" && eval "$1") >>"$tmp/log" 2>&1; }
# the parsed workflow: "check FILE" prints robolua lines found in run steps; "step FILE NAME" its script
yaml_tool() {
  "$py" - "$@" <<'EOF'
import sys, yaml
mode, path = sys.argv[1], sys.argv[2]
wf = yaml.safe_load(open(path))
assert isinstance(wf.get("jobs"), dict) and wf["jobs"], "no jobs"
for name, job in wf["jobs"].items():
    assert "runs-on" in job and isinstance(job.get("steps"), list), name + ": no runs-on or steps"
    for st in job["steps"]:
        assert ("run" in st) != ("uses" in st), name + ": a step needs run or uses: %r" % st
        if mode == "check" and "run" in st:
            for line in st["run"].splitlines():
                if line.strip().startswith("build/robolua"):
                    print(line.strip())
        if mode == "step" and st.get("name") == sys.argv[3]:
            print(st["run"], end="")
        if mode == "paths" and st.get("uses", "").startswith("actions/upload-artifact@"):
            print(st["with"]["path"])
EOF
}
new_checkout() { # a scratch folder laid out like the checkout the workflow runs in
  work="$tmp/$1"
  mkdir -p "$work/build"
  ln -s "$build/robolua" "$work/build/robolua"
  ln -s "$src/scenarios" "$work/scenarios"
}

for wf in examples/ci/robolua.yml examples/ci/sharded.yml; do
  commands "$wf" >"$tmp/lines"
  n=$(wc -l <"$tmp/lines")
  if [ "$n" -gt 0 ]; then ok "$wf: $n robolua command lines"; else bad "$wf: no robolua command line found"; fi
  if [ -n "$py" ]; then
    if yaml_tool check "$wf" >"$tmp/parsed" 2>"$tmp/yaml.err"; then
      if diff <(sort "$tmp/parsed") <(sort "$tmp/lines") >/dev/null; then ok "$wf parses; every robolua line of its run steps is checked"
      else bad "$wf: robolua lines differ between the YAML and the extraction"; diff <(sort "$tmp/parsed") <(sort "$tmp/lines"); fi
    else
      bad "$wf is not a valid workflow"; cat "$tmp/yaml.err"
    fi
  fi
  if grep -q "uses: actions/upload-artifact@v4" "$wf"; then ok "$wf uploads with actions/upload-artifact"; else bad "$wf: no actions/upload-artifact"; fi
  # every line through the option parser and the definition check: --dry-run (or --help for subcommands)
  new_checkout "dry-$(basename "$wf" .yml)"
  while IFS= read -r line; do
    line=${line//"$shard_expr"/0}
    case "$line" in *"$open_expr"*) bad "unsubstituted expression in: $line"; continue ;; esac
    case "$line" in
      "build/robolua merge "* | "build/robolua compare "* | "build/robolua --version"*) dry=$line ;;
      *) dry="build/robolua --dry-run ${line#build/robolua }" ;;
    esac
    case "$dry" in "build/robolua merge "*) continue ;; esac # needs the shards: run for real below
    # (the workflow runs it once the baseline exists, which --dry-run reads: checked below, after the save)
    case "$dry" in *" --baseline "*) continue ;; esac
    if run_line "$dry"; then ok "valid: $line"; else bad "exit $? from: $dry"; tail -5 "$tmp/log"; fi
  done <"$tmp/lines"
done

summary() { # workflow, checkout, step name: runs the step's script as Actions would (sh -e)
  if [ -z "$py" ]; then echo "      (python3-yaml missing: '$3' not run)"; return; fi
  : >"$tmp/summary.md"
  yaml_tool step "$1" "$3" >"$tmp/step.sh"
  if [ -s "$tmp/step.sh" ] && (cd "$2" && GITHUB_STEP_SUMMARY="$tmp/summary.md" sh -e "$tmp/step.sh") && grep -q "$4" "$tmp/summary.md"; then
    ok "$1: '$3' writes the job summary"
  else
    bad "$1: '$3' did not write '$4' to the job summary"
  fi
}
uploads() { # workflow, checkout: every uploaded path exists
  [ -n "$py" ] || return
  while IFS= read -r p; do
    if [ -e "$2/$p" ]; then ok "$1 uploads $p (exists)"; else bad "$1 uploads $p, which does not exist"; fi
  done < <(yaml_tool paths "$1")
}

# robolua.yml: the run on main saves the baseline, the pull request's run gates against it
wf=examples/ci/robolua.yml
new_checkout ci
save=$(commands "$wf" | grep -e "--save-baseline main")
gate=$(commands "$wf" | grep -e "--baseline main")
run_line "$save"
code=$?
if [ "$code" = 0 ] && [ -f "$work/bench/baselines/main/results.json" ]; then ok "main: baseline saved (exit 0)"; else bad "main: exit $code, no bench/baselines/main"; tail -20 "$tmp/log"; fi
dry="build/robolua --dry-run ${gate#build/robolua }"
if run_line "$dry"; then ok "valid once main is saved: $gate"; else bad "exit $? from: $dry"; tail -5 "$tmp/log"; fi
run_line "$gate"
code=$?
cmp_md=$(find "$work/bench" -name compare-main.md | head -1)
if [ "$code" -le 1 ] && [ -n "$cmp_md" ] && grep -q "| configuration | backend |" "$cmp_md"; then
  ok "pull request: gated against main (exit $code), compare-main.md written"
else
  bad "pull request: exit $code, compare-main.md: ${cmp_md:-none}"; tail -20 "$tmp/log"
fi
summary "$wf" "$work" "Job summary" "| configuration | backend |"
uploads "$wf" "$work"

# sharded.yml: every shard of the matrix, then the merge
wf=examples/ci/sharded.yml
new_checkout sharded
shard_line=$(commands "$wf" | grep -e "--shard")
values=$(sed -n 's/^[[:space:]]*shard: \[\([0-9, ]*\)\].*/\1/p' "$wf" | tr -d ' ' | tr ',' ' ')
count=0
for i in $values; do
  run_line "${shard_line//"$shard_expr"/$i}" || bad "shard $i: exit $?"
  count=$((count + 1))
done
if [ "$count" -gt 1 ]; then ok "$count shards run (matrix: $values)"; else bad "no shard matrix found"; fi
run_line "$(commands "$wf" | grep "^build/robolua merge ")"
code=$?
if [ "$code" -le 1 ] && grep -q "every shard present ($count) | PASS" "$work/merged/report.md" 2>/dev/null; then
  ok "merged $count shards (exit $code), every shard present"
else
  bad "merge: exit $code"; tail -20 "$tmp/log"
fi
summary "$wf" "$work" "Job summary" "every shard present"
uploads "$wf" "$work"

# gitlab-ci.yml: the default branch saves the baseline, another branch gates against it (and, before any
# baseline, measures without one); the junit report's path matches each run folder's junit.xml, and each
# agrees with its results.json (tests/junit_check.py)
wf=examples/ci/gitlab-ci.yml
commands "$wf" >"$tmp/lines"
n=$(wc -l <"$tmp/lines")
if [ "$n" = 3 ]; then ok "$wf: $n robolua command lines"; else bad "$wf: $n robolua command lines, expected 3"; fi
junit_glob=$(sed -n 's/^[[:space:]]*junit: //p' "$wf")
if [ -n "$py" ]; then
  if "$py" - "$wf" "$junit_glob" >"$tmp/yaml.err" 2>&1 <<'PY'
import sys, yaml
job = yaml.safe_load(open(sys.argv[1]))["bench"]
assert isinstance(job["script"], list) and isinstance(job["before_script"], list), "script lists"
assert job["artifacts"]["when"] == "always" and job["artifacts"]["reports"]["junit"] == sys.argv[2], "artifacts"
assert "bench/baselines/" in job["cache"]["paths"], "the baseline cache"
PY
  then ok "$wf parses: job bench, its junit report $junit_glob, the baseline cache"; else bad "$wf is not the GitLab job this test expects"; cat "$tmp/yaml.err"; fi
fi
new_checkout gitlab
save=$(grep -e "--save-baseline main" "$tmp/lines")
gate=$(grep -e "--baseline main" "$tmp/lines")
plain=$(grep -v -e "--save-baseline" -e "--baseline" "$tmp/lines")
for line in "$plain" "$save"; do
  if run_line "build/robolua --dry-run ${line#build/robolua }"; then ok "valid: $line"; else bad "exit $? from --dry-run of: $line"; fi
done
run_line "$plain" || bad "no baseline yet: exit $?"
run_line "$save"
code=$?
if [ "$code" = 0 ] && [ -f "$work/bench/baselines/main/results.json" ]; then ok "default branch: baseline saved (exit 0)"; else bad "default branch: exit $code"; tail -20 "$tmp/log"; fi
run_line "$gate"
code=$?
if [ "$code" -le 1 ]; then ok "merge request: gated against main (exit $code)"; else bad "merge request: exit $code"; tail -20 "$tmp/log"; fi
mapfile -t reports < <(cd "$work" && eval "ls -d $junit_glob" 2>/dev/null)
if [ "${#reports[@]}" = 3 ]; then ok "the junit report path matches the 3 runs' junit.xml"; else bad "$junit_glob matches ${#reports[@]} files, expected 3"; fi
py3=$(command -v python3 || true)
if [ -n "$py3" ]; then
  for r in "${reports[@]}"; do
    if "$py3" tests/junit_check.py "$work/$(dirname "$r")" >"$tmp/jc" 2>&1; then ok "$r agrees with its results.json"; else bad "$r"; cat "$tmp/jc"; fi
  done
  gated=$(cd "$work" && grep -l 'name="ci: baseline main"' "${reports[@]}" | head -1)
  if [ -n "$gated" ]; then ok "the gated run's junit.xml holds the comparison suite"; else bad "no junit.xml with the comparison suite"; fi
fi

finish
