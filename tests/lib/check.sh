# shellcheck shell=bash
# The shell tests' harness, sourced by tests/*.sh (after their `set -u`):
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
# It makes $tmp, a fresh folder removed at exit, and counts checks into $pass and $fail. Every check
# prints one line, "ok    NAME" or "FAIL  NAME: why", and finish prints "N passed, N failed" and exits
# 0, 1 (a check failed) or 77 (ctest's skip code, given a reason). A script that needs more cleanup
# registers it with at_exit instead of its own `trap ... EXIT`, which would replace this one.
tmp=$(mktemp -d)
pass=0
fail=0
check_exit_hooks=()

# at_exit COMMAND: run COMMAND (eval'd) at exit, before $tmp is removed; the last registered runs first.
at_exit() { check_exit_hooks+=("$1"); }
# shellcheck disable=SC2317 # (called by the trap)
check_on_exit() {
  local i
  for ((i = ${#check_exit_hooks[@]} - 1; i >= 0; i--)); do eval "${check_exit_hooks[i]}"; done
  rm -rf "$tmp"
}
trap check_on_exit EXIT

# show FILE: a file's content after a failure, its head and tail when it is long (a log's error is
# usually at its end, a report's missing line anywhere), so one failure cannot flood ctest's output.
show() {
  [ -s "${1:-}" ] || return 0
  local size
  size=$(wc -c <"$1")
  if [ "$size" -le 4000 ]; then
    cat "$1"
  else
    head -c 2000 "$1"
    printf '\n      [... %d bytes of %s left out ...]\n' $((size - 4000)) "$1"
    tail -c 2000 "$1"
  fi
  echo
}

ok() { pass=$((pass + 1)); echo "ok    $1"; }
bad() { fail=$((fail + 1)); echo "FAIL  $1"; }

# check NAME EXPECTED ACTUAL: exit codes. On a failure the file named by $check_log (when a script sets
# it: the log its commands write to) is shown.
check() {
  if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: exit $3, expected $2"; show "${check_log:-}"; fi
}
# contains NAME FILE FRAGMENT / lacks NAME FILE FRAGMENT: FRAGMENT (plain text) is / is not in FILE.
contains() {
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $2:"; show "$2"; fi
}
lacks() {
  [ -f "$2" ] || { bad "$1: $2 does not exist"; return; }
  if grep -qF -- "$3" "$2"; then bad "$1: '$3' is in $2:"; show "$2"; else ok "$1"; fi
}

# skip REASON: the whole test cannot run here (before any check).
skip() { echo "SKIP  $1"; exit 77; }
# finish [SKIP_REASON]: the counts; exit 1 if a check failed, else 77 when a part was skipped, else 0.
# shellcheck disable=SC2120 # (the reason is optional)
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" -eq 0 ] || exit 1
  [ -z "${1:-}" ] || skip "$1"
  exit 0
}
