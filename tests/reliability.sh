#!/usr/bin/env bash
# Reliability of a run around its measurements (issue 14), one section per ctest entry:
#   diskfull    a 20 KiB tmpfs (mounted here; root only, else skipped with exit 77): a run that fills it
#               exits 2 naming the file and the OS reason, leaves no truncated or temporary file, and an
#               atomic replace that cannot be written keeps the previous content
#   concurrent  runs with the same -o never share a folder (every stamp of the coming seconds taken in
#               advance; two at once; two rl.scenario calls in one script), and every run keeps its results
#   bytecode    a precompiled chunk (luac5.4, else string.dump) is refused with exit 2, also damaged, no crash
#   signals     SIGINT/SIGTERM at seeded random moments of a many-point CPU scenario: exit 2, every report
#               written, interrupted = true, every journaled sample in results.json; a second SIGINT ends
#               the process at once with the journal intact and recoverable
#   stdout      --report json > /dev/full and a script's output to /dev/full fail; -o "" is a usage error
# usage: reliability.sh path/to/robolua SECTION
set -u
bin=${1:?usage: reliability.sh path/to/robolua SECTION}
section=${2:?usage: reliability.sh path/to/robolua SECTION}
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"

# signal_and_time NAME SIGNAL PID CODE MAX_MS: sends SIGNAL to the background process PID and checks that
# it exits with CODE within MAX_MS milliseconds of the signal. It waits at most 30 s (then a watchdog kills
# the process, exit 137: one that ignores its signal fails the checks instead of hanging the test until
# ctest's timeout). Returns 1, checking nothing, when the process had already ended (no signal sent).
signal_and_time() {
  local t0 code ms watchdog
  t0=$(date +%s%N)
  kill -"$2" "$3" 2>/dev/null || return 1
  rm -f "$tmp/watchdog.stop"
  ( for _ in $(seq 300); do sleep 0.1; [ -e "$tmp/watchdog.stop" ] && exit 0; done; kill -KILL "$3" ) >/dev/null 2>&1 &
  watchdog=$!
  wait "$3"
  code=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  touch "$tmp/watchdog.stop" # (the watchdog leaves within 0.1 s; no sleep outlives the test)
  wait "$watchdog" 2>/dev/null
  check "$1: exit $4" "$4" "$code"
  if [ "$ms" -lt "$5" ]; then ok "$1: ... ${ms} ms after the signal"; else bad "$1: exited ${ms} ms after the signal (limit $5 ms)"; fi
}

# A CPU scenario of N points (dims 1..N) with R repeats and 2 seeds: scenario NAME N R SOURCE_LEN [EXTRA]
scenario() {
  cat >"$tmp/$1.lua" <<EOF
local rl = require "robolua"
local dims = {}
for i = 1, $2 do dims[i] = i end
return rl.scenario { name = "$1", seeds = { 0, 1 }, warmup = 1, repeats = $3, ${5:-}
  axes = { dim = dims, batch = { 4 }, source_len = { $4 }, backend = { "cpu" } } }
EOF
}

# Checks a run folder from inside robolua: every report there, results.json parseable, and every sample
# of the journal in results.json. Args: DIR, then "interrupted" or "complete". Exit 0 or an error.
cat >"$tmp/check_run.lua" <<'EOF'
local dir, want = ...
local cjson = require "cjson"
local function read(p)
  local f = assert(io.open(dir .. "/" .. p, "rb"), p .. " missing")
  local s = f:read("a")
  f:close()
  assert(#s > 0, p .. " is empty")
  return s
end
for _, f in ipairs { "results.csv", "report.md", "report.html", "env.json", "plan.json" } do read(f) end
local doc = cjson.decode(read("results.json"))
if want == "interrupted" then
  assert(doc.interrupted == true, "results.json: interrupted is not true")
  assert(read("report.md"):find("interrupted", 1, true), "report.md does not say interrupted")
else
  assert(doc.interrupted == nil or doc.interrupted == cjson.null, "a complete run is marked interrupted")
end
local kept, states = 0, {}
for _, r in ipairs(doc.results) do
  assert(r.status == "ok" or r.status == "interrupted", r.key .. ": status " .. tostring(r.status))
  states[r.status] = true
  for _, s in ipairs(r.seeds or {}) do kept = kept + #s.samples_ms end
end
local journaled = 0
for line in read("journal.jsonl"):gmatch("[^\n]+") do
  local e = cjson.decode(line)
  if e.t == "samples" then journaled = journaled + #e.samples_ms end
end
assert(kept == journaled, string.format("results.json has %d samples, the journal %d", kept, journaled))
io.write(kept, "\n")
EOF

no_tmp_files() { # name, dir: no temporary file of an atomic write is left behind
  if find "$2" -name '*.tmp.*' | grep -q .; then bad "$1: temporary files left: $(find "$2" -name '*.tmp.*')"; else ok "$1"; fi
}

case $section in
diskfull)
  if [ "$(id -u)" != 0 ]; then skip "the disk-full test mounts a tmpfs: it needs root"; fi
  mkdir "$tmp/tiny"
  if ! mount -t tmpfs -o size=20k tmpfs "$tmp/tiny" 2>"$tmp/mount.err"; then
    skip "cannot mount a tmpfs here: $(cat "$tmp/mount.err")"
  fi
  at_exit "umount $(printf %q "$tmp/tiny") 2>/dev/null" # (before $tmp, which holds it, is removed)
  scenario full 12 5 64
  "$bin" -q -o "$tmp/tiny" "$tmp/full.lua" >"$tmp/out" 2>&1
  check "a run that fills the disk exits 2" 2 $?
  contains "the error names the OS reason" "$tmp/out" "No space left on device"
  contains "the error names a file on the full disk" "$tmp/out" "cannot write $tmp/tiny/"
  lacks "a write error names no robolua source line" "$tmp/out" "lua/robolua/files.lua"
  run=$(find "$tmp/tiny" -mindepth 1 -maxdepth 1 -type d | head -1)
  if [ -n "$run" ] && [ -z "$(find "$run" -type f -empty)" ]; then ok "no empty (truncated) file in the run folder"; else bad "empty files: $(find "$tmp/tiny" -type f -empty)"; fi
  no_tmp_files "no temporary file left on the full disk" "$tmp/tiny"
  if [ -f "$run/results.json" ]; then
    "$bin" -e "assert(require('cjson').decode(io.open('$run/results.json'):read('a')))" >"$tmp/out" 2>&1
    check "a results.json that was written is complete" 0 $?
  else
    ok "no results.json (it did not fit), rather than a truncated one"
  fi
  # the last good version survives a replace that cannot be written
  rm -rf "${tmp:?}/tiny/"*
  "$bin" -e "require('robolua.files').write('$tmp/tiny/good.json', '{\"good\": true}')" >"$tmp/out" 2>&1
  check "a small file fits" 0 $?
  dd if=/dev/zero of="$tmp/tiny/filler" bs=1k count=64 >/dev/null 2>&1
  "$bin" -e "require('robolua.files').write('$tmp/tiny/good.json', string.rep('x', 65536))" >"$tmp/out" 2>&1
  check "replacing it on a full disk is an error" 2 $?
  contains "the replace error names the file" "$tmp/out" "cannot write $tmp/tiny/good.json: No space left on device"
  if [ "$(cat "$tmp/tiny/good.json")" = '{"good": true}' ]; then ok "the previous content is kept"; else bad "good.json changed: $(head -c 100 "$tmp/tiny/good.json")"; fi
  no_tmp_files "the failed replace leaves no temporary file" "$tmp/tiny"
  "$bin" -e "require('robolua.files').append('$tmp/tiny/j.jsonl', string.rep('x', 65536), true)" >"$tmp/out" 2>&1
  check "a journal append on a full disk is an error" 2 $?
  contains "the append error names the file" "$tmp/out" "$tmp/tiny/j.jsonl: No space left on device"
  ;;
concurrent)
  scenario conc 6 3 32 "roofline = false,"
  out="$tmp/results"
  mkdir -p "$out"
  # every folder name the runs below can pick (stamps of the coming 5 s) exists already: runs must not reuse one
  now=$(date -u +%s)
  for k in 0 1 2 3 4 5; do
    s=$(date -u -d "@$((now + k))" +%Y%m%dT%H%M%S)
    (cd "$out" && mkdir -p "conc-$s"{000..999}Z)
  done
  taken=$(find "$out" -mindepth 1 -maxdepth 1 | wc -l)
  "$bin" -q -o "$out" "$tmp/conc.lua" >"$tmp/a" 2>&1 &
  pa=$!
  "$bin" -q -o "$out" "$tmp/conc.lua" >"$tmp/b" 2>&1 &
  pb=$!
  wait $pa; ca=$?
  wait $pb; cb=$?
  check "first of two concurrent runs succeeds" 0 $ca
  check "second of two concurrent runs succeeds" 0 $cb
  used=$(find "$out" -mindepth 1 -maxdepth 1 -name 'conc-*Z' ! -empty | head -3)
  if [ -z "$used" ]; then ok "no existing folder was reused"; else bad "files written into existing folders: $used"; fi
  mapfile -t new < <(find "$out" -mindepth 1 -maxdepth 1 -name '*Z-*')
  check "each run made a new folder (base-2, base-3, ...)" 2 "${#new[@]}"
  if [ "$(find "$out" -mindepth 1 -maxdepth 1 | wc -l)" = $((taken + 2)) ]; then ok "exactly two folders were added"; else bad "folders added: $(($(find "$out" -mindepth 1 -maxdepth 1 | wc -l) - taken))"; fi
  for d in "${new[@]}"; do
    "$bin" "$tmp/check_run.lua" "$d" complete >"$tmp/c" 2>&1
    check "both runs keep their results: $(basename "$d")" 0 $?
  done
  # two at once into a fresh folder (no stamps taken), five times, and two scenarios of one script
  for k in 1 2 3 4 5; do
    "$bin" -q -o "$tmp/fresh" "$tmp/conc.lua" >/dev/null 2>&1 &
    "$bin" -q -o "$tmp/fresh" "$tmp/conc.lua" >/dev/null 2>&1 &
    wait
  done
  n=0
  for d in "$tmp/fresh"/*; do "$bin" "$tmp/check_run.lua" "$d" complete >/dev/null 2>&1 && n=$((n + 1)); done
  check "ten runs started in pairs: ten complete folders" 10 "$n"
  printf 'local rl = require "robolua"\nfor _ = 1, 2 do\n  rl.scenario { name = "twice", seeds = {0}, warmup = 0, repeats = 2, roofline = false,\n    axes = { dim = {2}, batch = {1}, source_len = {8}, backend = {"cpu"} } }\nend\n' >"$tmp/twice.lua"
  "$bin" -q -o "$tmp/twice" "$tmp/twice.lua" >/dev/null 2>&1
  check "a script with two rl.scenario calls succeeds" 0 $?
  n=0
  for d in "$tmp/twice"/*; do "$bin" "$tmp/check_run.lua" "$d" complete >/dev/null 2>&1 && n=$((n + 1)); done
  check "two rl.scenario calls in one script: two complete folders" 2 "$n"
  ;;
bytecode)
  printf 'print("should not run")\n' >"$tmp/hello.lua"
  if command -v luac5.4 >/dev/null; then
    luac5.4 -o "$tmp/hello.luac" "$tmp/hello.lua"
  else
    "$bin" -e "local f = assert(io.open('$tmp/hello.luac', 'wb')); f:write(string.dump(assert(loadfile('$tmp/hello.lua')))); f:close()"
  fi
  "$bin" "$tmp/hello.luac" >"$tmp/out" 2>&1
  check "a precompiled script is refused with exit 2" 2 $?
  contains "the refusal names the file" "$tmp/out" "$tmp/hello.luac: a precompiled (binary) chunk is refused"
  lacks "the bytecode did not run" "$tmp/out" "should not run"
  "$bin" - <"$tmp/hello.luac" >"$tmp/out" 2>&1
  check "precompiled code on stdin is refused with exit 2" 2 $?
  size=$(stat -c %s "$tmp/hello.luac")
  crashed=0
  for k in $(seq 1 40); do # one damaged byte at a time, over the whole file: refused, never executed
    cp "$tmp/hello.luac" "$tmp/bad.luac"
    off=$(((k * 7919) % size))
    printf '%b' "\\x$(printf %02x $(((k * 37 + 1) % 256)))" | dd of="$tmp/bad.luac" bs=1 seek=$off conv=notrunc 2>/dev/null
    "$bin" "$tmp/bad.luac" >"$tmp/out" 2>&1
    code=$?
    if [ $code != 2 ]; then crashed=$((crashed + 1)); echo "      damaged at byte $off: exit $code"; fi
  done
  check "40 damaged copies: every one refused with exit 2 (no crash)" 0 $crashed
  ;;
signals)
  scenario sigs 120 20 256
  RANDOM=14 # the moments are random but the same in every run of this test
  out="$tmp/sig"
  mkdir -p "$out"
  new_folder() { comm -13 <(echo "$before") <(find "$out" -mindepth 1 -maxdepth 1 | sort) | head -1; }
  measured=0
  for trial in $(seq 1 10); do
    sig=INT
    if [ $((trial % 2)) = 0 ]; then sig=TERM; fi
    before=$(find "$out" -mindepth 1 -maxdepth 1 | sort)
    "$bin" -q -o "$out" "$tmp/sigs.lua" >"$tmp/out" 2>&1 &
    pid=$!
    if [ $((trial % 3)) = 0 ]; then # a moment from the start (startup, run folder, rooflines): < 450, 900, 1350 ms
      ms=$((RANDOM % (trial * 150)))
      moment="$ms ms after the start"
      sleep "$((ms / 1000)).$(printf %03d $((ms % 1000)))"
    else # a moment in the measurements: after the k-th journal line, plus up to 50 ms
      lines=$((1 + RANDOM % 2000))
      moment="after journal line $lines"
      for _ in $(seq 1 1500); do
        dir=$(new_folder)
        if [ -n "$dir" ] && [ -f "$dir/journal.jsonl" ] && [ "$(wc -l <"$dir/journal.jsonl")" -ge $lines ]; then break; fi
        kill -0 $pid 2>/dev/null || break
        sleep 0.01
      done
      sleep "0.$(printf %03d $((RANDOM % 50)))"
    fi
    if ! signal_and_time "trial $trial: SIG$sig $moment" $sig $pid 2 2000; then
      wait $pid
      echo "      trial $trial: the run had finished before SIG$sig ($moment)"
      continue
    fi
    dir=$(new_folder)
    if [ -z "$dir" ]; then
      contains "trial $trial: stopped before a run folder existed, and says so" "$tmp/out" "robolua: interrupted"
      continue
    fi
    if "$bin" "$tmp/check_run.lua" "$dir" interrupted >"$tmp/c" 2>&1; then
      ok "trial $trial: every report written, interrupted = true, all $(cat "$tmp/c") journaled samples kept"
      if [ "$(cat "$tmp/c")" -gt 0 ]; then measured=$((measured + 1)); fi
    else
      bad "trial $trial: $(cat "$tmp/c")"
    fi
    no_tmp_files "trial $trial: no temporary file left" "$dir"
  done
  if [ $measured -ge 5 ]; then ok "$measured of 10 interrupts came after samples were measured"; else bad "only $measured of 10 interrupts came after samples were measured: the moments miss the measurements"; fi

  # inside the CPU copy-bandwidth probe (1 GiB buffers: first touch, warm-up and timed copies take
  # seconds): the run still ends within a second
  cat >"$tmp/probe.lua" <<'EOF2'
local rl = require "robolua"
return rl.scenario { name = "probe", seeds = {0}, warmup = 0, repeats = 2, cpu_copy_bytes = 2 ^ 30,
  axes = { dim = {4}, batch = {1}, source_len = {16}, backend = {"cpu"} } }
EOF2
  "$bin" -q -o "$tmp/probe" "$tmp/probe.lua" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 1000); do [ -n "$(find "$tmp/probe" -name plan.json 2>/dev/null)" ] && break; sleep 0.01; done
  sleep 0.3
  signal_and_time "SIGINT inside the copy-bandwidth probe" INT $pid 2 1000 || bad "the copy probe's run had ended before its SIGINT"

  # outside a scenario, an interrupt that the script's own pcall swallows still ends the run with exit 2
  printf 'io.open("%s/busy.flag", "w"):close()\nlocal t0 = os.clock()\npcall(function() while os.clock() - t0 < 20 do end end)\nprint("after")\n' "$tmp" >"$tmp/busy.lua"
  "$bin" "$tmp/busy.lua" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 1000); do [ -e "$tmp/busy.flag" ] && break; sleep 0.01; done
  kill -INT $pid
  wait $pid
  check "SIGINT swallowed by a script's pcall: exit 2" 2 $?
  contains "... and the run says it was interrupted" "$tmp/out" "robolua: interrupted"

  # a second SIGINT ends the process at once: the first waits for a sample that never ends
  cat >"$tmp/stuck.lua" <<EOF
local rl = require "robolua"
return rl.scenario { name = "stuck", seeds = {0}, warmup = 0, repeats = 3,
  axes = { dim = { 4, 8, 16 }, batch = {1}, source_len = {10}, backend = {"cpu"} },
  case = function(c, seed)
    if c.dim == 8 then io.open("$tmp/stuck.flag", "w"):close(); while true do end end
    return rl.trajectories { batch = c.batch, source_len = c.source_len, dim = c.dim, seed = seed }
  end }
EOF
  "$bin" -q -o "$tmp/stuck" "$tmp/stuck.lua" >"$tmp/out" 2>&1 &
  pid=$!
  for _ in $(seq 1 1000); do [ -e "$tmp/stuck.flag" ] && break; sleep 0.01; done
  kill -INT $pid
  sleep 0.5
  if kill -0 $pid 2>/dev/null; then ok "the first SIGINT waits for the current sample"; else bad "the first SIGINT ended the process"; fi
  signal_and_time "the second SIGINT ends the process by SIGINT, at once" INT $pid 130 1000 || bad "the process had ended before the second SIGINT"
  dir=$(find "$tmp/stuck" -mindepth 1 -maxdepth 1 -type d | head -1)
  "$bin" -e "local n = 0; for l in io.lines('$dir/journal.jsonl') do assert(require('cjson').decode(l)); n = n + 1 end; assert(n >= 2, n)" >"$tmp/out" 2>&1
  check "the journal is intact (every line parses, the first point's record is there)" 0 $?
  "$bin" recover "$dir" >"$tmp/out" 2>&1
  check "robolua recover rebuilds the interrupted run (exit 2)" 2 $?
  if "$bin" "$tmp/check_run.lua" "$dir" interrupted >"$tmp/c" 2>&1 && [ "$(cat "$tmp/c")" -gt 0 ]; then ok "the recovered run has every report and the first point's $(cat "$tmp/c") samples"; else bad "recovered run: $(cat "$tmp/c")"; fi
  ;;
stdout)
  scenario small 3 3 32 "roofline = false,"
  "$bin" -q --no-write --report json "$tmp/small.lua" >/dev/full 2>"$tmp/out"
  code=$?
  if [ $code != 0 ]; then ok "--report json > /dev/full fails (exit $code)"; else bad "--report json > /dev/full exits 0"; fi
  contains "... and says stdout could not be written" "$tmp/out" "cannot write the json report to stdout"
  "$bin" -e 'print(string.rep("x", 100))' >/dev/full 2>"$tmp/out"
  check "a script whose output is lost exits 2" 2 $?
  contains "... and says so" "$tmp/out" "cannot write to stdout"
  mkdir "$tmp/cwd"
  for opt in -o --out; do
    (cd "$tmp/cwd" && "$bin" $opt "" "$tmp/small.lua") >"$tmp/out" 2>&1
    check "$opt \"\" is a usage error" 2 $?
    contains "$opt \"\" names the option" "$tmp/out" "$opt: the value is empty"
  done
  (cd "$tmp/cwd" && "$bin" --report pdf "$tmp/small.lua") >"$tmp/out" 2>&1
  check "--report pdf is a usage error" 2 $?
  if [ -z "$(ls -A "$tmp/cwd")" ] && [ -z "$(find / -maxdepth 1 -name 'small-*')" ]; then ok "the refused runs wrote nothing (here or in /)"; else bad "files written: $(ls -A "$tmp/cwd")"; fi
  "$bin" -e 'io.write("a")' -e 'io.write("b")' >"$tmp/out" 2>&1
  if [ "$(cat "$tmp/out")" = ab ]; then ok "two -e run both, in order"; else bad "two -e printed '$(cat "$tmp/out")'"; fi
  ;;
*)
  echo "unknown section '$section'"; exit 2 ;;
esac
finish
