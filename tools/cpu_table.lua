-- The CPU resampler's bandwidth against memcpy's, per dtype, shape, thread count and instruction-set
-- path, as one Markdown table (the table of core/engine/NOTES.md):
--   robolua tools/cpu_table.lua [rounds=3] [repeats=10]
-- Each round runs memcpy (1 thread and all threads) and then, for each path (generic, avx2, avx512 up
-- to what the CPU has), a child process with ROBOLUA_CPU_ISA set that times every case; the table
-- shows the median over rounds of each case's median time, so a noisy neighbour in one round does not
-- decide a number. Bytes: src + src_times + tgt_times read once, output written once; memcpy counts
-- bytes read + written (1 GiB buffers).
local rl = require "robolua"
local args = { ... }

local SHAPES = { { 64, 1000, 512 }, { 256, 2000, 512 } } -- B, S, D; T = S / 2
local DTYPES = { "bf16", "f16", "f32" }
local all = rl.env and rl.env().logical_cpus or 2
local THREADS = all > 1 and { 1, all } or { 1 }

-- the resampler workload's own minimum-bytes formula (one definition for the runner and this table)
local function moved_bytes(B, S, D, dtype)
  return require("robolua.workloads.resample").bytes { batch = B, source_len = S, dim = D, target_len = S // 2, dtype = dtype }
end

local function median(xs)
  local t = {}
  for i, x in ipairs(xs) do t[i] = x end
  table.sort(t)
  local n = #t
  if n == 0 then return 0 / 0 end
  return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
end

if args[1] == "--child" then -- one path (ROBOLUA_CPU_ISA is set by the parent): time every case
  local repeats = tonumber(args[2]) or 10
  for _, sh in ipairs(SHAPES) do
    local B, S, D = sh[1], sh[2], sh[3]
    for _, dt in ipairs(DTYPES) do
      local tr = rl.trajectories { batch = B, source_len = S, target_len = S // 2, dim = D, dtype = dt, seed = 0 }
      local out = rl.empty({ B, S // 2, D }, dt)
      for _, th in ipairs(THREADS) do
        local r = rl.bench.resample(tr.src, tr.src_times, tr.tgt_times,
          { threads = th, warmup = 2, repeats = repeats, out = out })
        print(string.format("case %s %dx%dx%d %d %.6f", dt, B, S, D, th, median(r.samples_ms)))
      end
      out:close()
      tr.src:close()
    end
  end
  os.exit(0)
end

local rounds, repeats = tonumber(args[1]) or 3, tonumber(args[2]) or 10
local lowest = 0
while arg[lowest - 1] do lowest = lowest - 1 end
local bin, script = arg[lowest], arg[0]
local function q(x) return "'" .. x:gsub("'", "'\\''") .. "'" end

-- the paths this CPU has: a child reports what it was capped to
local PATHS = { "generic" }
for _, isa in ipairs { "avx2", "avx512" } do
  local p = io.popen("ROBOLUA_CPU_ISA=" .. isa .. " " .. q(bin) .. " -e 'print(robolua.env().cpu_isa)' 2>/dev/null")
  local got = p and p:read("l")
  if p then p:close() end
  if got == isa then PATHS[#PATHS + 1] = isa end
end

-- CPU time other processes took during a round (% of one CPU) and the hypervisor's steal: a round
-- that shared the machine is flagged, since two threads then do not get two cores.
local function cpu_ticks()
  local f = io.open("/proc/stat")
  if not f then return nil end
  local l = f:read("l")
  f:close()
  local v = {}
  for n in l:gmatch("%d+") do v[#v + 1] = tonumber(n) end
  local total = 0
  for i = 1, math.min(#v, 8) do total = total + v[i] end
  return { busy = total - v[4] - (v[5] or 0), steal = v[8] or 0 }
end
local function own_ticks()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local l = f:read("l")
  f:close()
  local fields = {}
  for x in l:gsub("^.*%) ", ""):gmatch("%S+") do fields[#fields + 1] = x end
  -- after "pid (comm) ": state is field 1, utime 12, stime 13, cutime 14, cstime 15
  return tonumber(fields[12]) + tonumber(fields[13]) + tonumber(fields[14]) + tonumber(fields[15])
end
local others = {}

local copy = {}   -- [threads] = { GB/s per round }
local times = {}  -- [path .. case] = { ms per round }
for round = 1, rounds do
  local c0, o0, t0 = cpu_ticks(), own_ticks(), rl.clock()
  for _, th in ipairs(THREADS) do
    local c = rl.bench.copy_bandwidth_cpu { bytes = 2 ^ 30, threads = th, repeats = 10 }
    copy[th] = copy[th] or {}
    table.insert(copy[th], c.bytes_per_s / 1e9)
  end
  for _, path in ipairs(PATHS) do
    local p = assert(io.popen("ROBOLUA_CPU_ISA=" .. path .. " " .. q(bin) .. " " .. q(script) .. " --child " .. repeats))
    for line in p:lines() do
      local dt, shape, th, ms = line:match("^case (%S+) (%S+) (%d+) (%S+)$")
      if dt then
        local key = table.concat({ path, dt, shape, th }, " ")
        times[key] = times[key] or {}
        table.insert(times[key], tonumber(ms))
      end
    end
    assert(p:close(), "child for " .. path .. " failed")
  end
  local c1, o1, wall = cpu_ticks(), own_ticks(), rl.clock() - t0
  if c0 and c1 and o0 and o1 then
    local other = 100 * ((c1.busy - c0.busy) - (o1 - o0)) / (wall * 100) -- USER_HZ = 100
    others[round] = string.format("%.0f%% (steal %.0f%%)", math.max(other, 0), 100 * (c1.steal - c0.steal) / (wall * 100))
  end
  io.stderr:write(string.format("round %d/%d done, other processes: %s of a CPU\n", round, rounds,
    others[round] or "?"))
end

local e = rl.env and rl.env() or {}
print(string.format("CPU: %s, %d logical CPUs; %d rounds x %d repeats; paths: %s", tostring(e.cpu_model),
  all, rounds, repeats, table.concat(PATHS, ", ")))
print("CPU time taken by other processes in each round (of one CPU): " .. table.concat(others, ", "))
print()
local head = { "case", "threads", "memcpy GB/s" }
for _, path in ipairs(PATHS) do
  head[#head + 1] = path .. " ms"
  head[#head + 1] = path .. " GB/s (% memcpy)"
end
print("| " .. table.concat(head, " | ") .. " |")
print("|" .. string.rep("---|", #head))
for _, sh in ipairs(SHAPES) do
  local B, S, D = sh[1], sh[2], sh[3]
  local shape = string.format("%dx%dx%d", B, S, D)
  for _, dt in ipairs(DTYPES) do
    local bytes = moved_bytes(B, S, D, dt)
    for _, th in ipairs(THREADS) do
      local cbw = median(copy[th])
      local row = { string.format("%s T=%d %s (%.0f MB)", shape, S // 2, dt, bytes / 1e6), tostring(th),
        string.format("%.1f", cbw) }
      for _, path in ipairs(PATHS) do
        local ms = median(times[table.concat({ path, dt, shape, th }, " ")] or {})
        local gbps = bytes / (ms * 1e-3) / 1e9
        row[#row + 1] = string.format("%.2f", ms)
        row[#row + 1] = string.format("%.1f (%.0f%%)", gbps, 100 * gbps / cbw)
      end
      print("| " .. table.concat(row, " | ") .. " |")
    end
  end
end
