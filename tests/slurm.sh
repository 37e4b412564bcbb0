#!/usr/bin/env bash
# A real single-node Slurm (Debian's slurm-wlm and munge), started here in a temp folder: a 3-task job
# array of a CPU scenario plus the dependent merge job, queued through tools/slurm/submit.sh; the merged
# run must hold exactly the point set of an unsharded run, every point verified and every sample there.
# Every daemon started is stopped by PID. Skipped (77) without root or without slurmctld/slurmd/munged.
set -u
bin=${1:?usage: slurm.sh path/to/robolua}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
# shellcheck source=lib/check.sh source-path=SCRIPTDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/check.sh"
for tool in slurmctld slurmd munged sbatch squeue sinfo; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (Debian: slurm-wlm munge)"
done
[ "$(id -u)" = 0 ] || skip "a private Slurm needs root here"
pids=()
# shellcheck disable=SC2317 # (run at exit: at_exit below)
stop() {
  for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
    [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null
  done
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 1
  for f in "$tmp/slurmd.pid" "$tmp/slurmctld.pid" "$tmp/munged.pid"; do
    [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
  done
}
at_exit stop # (the daemons keep their files in $tmp: stopped before it is removed)
abort() { bad "$*"; for l in "$tmp"/*.log; do echo "--- $l"; tail -n 20 "$l"; done; finish; }

host=$(hostname -s)
port=$((20000 + RANDOM % 20000))
mkdir -p "$tmp/state" "$tmp/spool" "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 700 "$tmp/munge"; chmod 400 "$tmp/munge/munge.key"
munged --key-file="$tmp/munge/munge.key" --socket="$tmp/munge/munge.sock" --pid-file="$tmp/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munge/seed" --force || abort "munged did not start"
cat >"$tmp/slurm.conf" <<CONF
ClusterName=robolua-test
SlurmctldHost=$host
SlurmUser=root
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.sock
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -c -f "$SLURM_CONF" || abort "slurmctld did not start"
slurmd -f "$SLURM_CONF" || abort "slurmd did not start"
for _ in $(seq 1 60); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T | grep -q idle || abort "the node did not come up"

cd "$tmp" || exit 1
cat >scenario.lua <<'LUA'
local rl = require "robolua"
return rl.scenario { name = "slurmtest", seeds = { 0, 1 }, warmup = 1, repeats = 4,
  axes = { shape = { { 2, 30, 8 }, { 3, 40, 16 }, { 4, 50, 8 }, { 2, 64, 32 }, { 5, 20, 4 } }, dtype = { "f32", "bf16" },
    backend = { "cpu" } },
  gates = { rl.gate.variance { max_pct = 1000 } } }
LUA
ROBOLUA="$bin" bash "$OLDPWD/tools/slurm/submit.sh" --shards 3 --out "$tmp/out" scenario.lua >submit.log 2>&1 || abort "submit.sh failed: $(cat submit.log)"
cat submit.log
for _ in $(seq 1 240); do
  [ -f "$tmp/out/merged/results.json" ] && [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.5
done
[ -f "$tmp/out/merged/results.json" ] || abort "no merged run after 120 s (squeue: $(squeue -h 2>&1))"
"$bin" -q -o "$tmp/full" scenario.lua >full.log 2>&1 || abort "the unsharded run failed"
full=$(ls -d "$tmp"/full/slurmtest-*)
MERGED="$tmp/out/merged" FULL="$full" "$bin" -e '
  local record = require "robolua.record"
  local m, f = record.load(os.getenv("MERGED")), record.load(os.getenv("FULL"))
  local function set(doc)
    local s, n = {}, 0
    for _, r in ipairs(doc.results) do s[record.id(r)] = r; n = n + 1 end
    return s, n
  end
  local ms, mn = set(m)
  local fs, fn = set(f)
  assert(mn == fn, string.format("merged has %d records, unsharded %d", mn, fn))
  for id, r in pairs(fs) do
    local x = ms[id]
    assert(x, "missing in the merge: " .. id)
    assert(x.status == r.status, id .. ": status " .. x.status .. " vs " .. r.status)
    if r.status == "ok" then
      assert(x.stats.n == r.stats.n, id .. ": n " .. x.stats.n .. " vs " .. r.stats.n)
      assert(#x.seeds == #r.seeds, id .. ": seed entries")
      for i, s in ipairs(x.seeds) do
        assert(#s.samples_ms == #r.seeds[i].samples_ms, id .. ": samples of entry " .. i)
        assert(s.verification and s.verification.ok, id .. ": verified")
      end
    end
  end
  assert(#m.shards == 3, "three shards kept")
  local envs = 0
  for _, s in ipairs(m.shards) do if s.env and s.env.host then envs = envs + 1 end end
  assert(envs == 3, "each shard keeps its environment")
  local present
  for _, g in ipairs(m.gates) do if g.name:find("every shard present", 1, true) then present = g.status end end
  assert(present == "pass", "the shard gate passes")
  print("merged point set equals the unsharded one: " .. mn .. " records")
' || abort "the merged run differs from the unsharded one"
for f in results.csv report.md report.html; do [ -f "$tmp/out/merged/$f" ] || abort "merged $f missing"; done
ok "3-task array + merge on a real Slurm equals the unsharded run"
finish
