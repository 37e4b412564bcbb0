-- A/B of the fused resampler's CUDA kernels in one run (kernels/NOTES.md, "fusion kernel"): every variant
-- x batch x clock x mode (hot = back-to-back launches, graph = a CUDA graph of 20), the same streams with
-- one launch each (per-stream, under v1, v2 and v3), and a same-size cudaMemcpy timed by the same loop; inputs
-- rotated over 4 copies. Every variant's output is first checked byte for byte against the CPU pass (a
-- variant that differs is reported and not timed; the run then exits 1).
--   robolua tools/fuse_ab.lua [variants=v1,v2,v3,v3/32,v3/64,v3/128] [batches=64,256] [repeats=100]
-- A variant is a kernel name, or vK/N for v2 or v3 with N targets per block (lua/robolua/fuse_variant.lua). Bytes: the
-- fuse workload's minimum (lua/robolua/workloads/fuse.lua, min_bytes); floor = bytes / the 1 GiB copy
-- rate. Last, a diagnostic: the same episodes without the quaternion (no slerp), which prices the slerp.
local rl = require "robolua"
local fuse = require "robolua.workloads.fuse"
local copy_like = require("robolua.run.roofline").copy_like

local script_args = require "robolua.script_args"
local fuse_variant = require "robolua.fuse_variant"
local usage = require "robolua.usage"
local opts = script_args.parse("fuse_ab", { variants = "v1,v2,v3,v3/32,v3/64,v3/128", batches = "64,256", repeats = "100" }, { ... })
local function list(key, s)
  local out = {}
  for x in s:gmatch("[^,]+") do out[#out + 1] = x end
  if #out == 0 then usage.raise("fuse_ab: " .. key .. "= names nothing") end
  return out
end
local variants, repeats = list("variants", opts.variants), script_args.integer("fuse_ab", "repeats", opts.repeats, 5)
-- a typo, a name or block size the CUDA side refuses (v4, v2/129) fails here, before the GPU check
for _, v in ipairs(variants) do fuse_variant.check("fuse_ab", "variants", v) end
local batches = {}
for _, b in ipairs(list("batches", opts.batches)) do batches[#batches + 1] = script_args.integer("fuse_ab", "batches", b, 1) end

usage.needs_cuda("fuse_ab")
local default_kernel, default_targets = rl.cuda.fuse_kernel()
local function select_variant(v) fuse_variant.select("fuse_ab", "variants", v) end

local info = rl.cuda.info()
local big = rl.cuda.copy_bandwidth { bytes = 1 << 30, repeats = 20 }
print(string.format("%s (%d SMs), copy %.0f GB/s (1 GiB, read + write); default kernel %s; %d samples per median",
  info.name, info.sm_count, big.bytes_per_s / 1e9, default_kernel, repeats))

local function median(xs) return rl.stats.summary(xs).median end
local function time(d, mode, launch)
  return median(rl.bench.fuse(d, { backend = "cuda", mode = mode, launch = launch, warmup = 20, repeats = repeats, rotate = 4 }).samples_ms) * 1e3
end

-- One case: byte checks, then per mode every variant, per-stream (v1, v2) and the copy. -> rows, failures
local function run_case(label, e, vs)
  local bytes = fuse.min_bytes(e, "f32")
  local cpu = rl.fuse(e):bytes()
  local d = fuse.to_device(e, "cuda")
  local good, failures = {}, 0
  local checked = { v1 = true, v2 = true, v3 = true } -- the per-stream columns run these
  for _, v in ipairs(vs) do checked[v] = true end
  for v in pairs(checked) do
    select_variant(v)
    d.backend = "cuda"
    local fused = rl.fuse(d):to("cpu"):bytes()
    d.launch = "per_stream"
    local per = rl.fuse(d):to("cpu"):bytes()
    d.launch, d.backend = nil, nil
    good[v] = fused == cpu and per == cpu
    if not good[v] then
      failures = failures + 1
      print(string.format("FAIL  %s %s: output differs from the CPU pass (fused %s, per-stream %s); not timed", label, v,
        fused == cpu and "same" or "differs", per == cpu and "same" or "differs"))
    end
  end
  local rows = {}
  for _, mode in ipairs { "hot", "graph" } do
    local row = { label = label .. " " .. mode, mb = bytes / 1e6, floor = bytes / big.bytes_per_s * 1e6, t = {} }
    row.copy = copy_like(rl, bytes, { mode = mode, warmup = 5, repeats = repeats, rotate = 4 }).median_ms * 1e3
    for _, v in ipairs(vs) do
      if good[v] then
        select_variant(v)
        row.t[v] = time(d, mode, "fused")
      end
    end
    for _, v in ipairs { "v1", "v2", "v3" } do
      if good[v] then
        select_variant(v)
        row.t["ps:" .. v] = time(d, mode, "per_stream")
      end
    end
    rows[#rows + 1] = row
  end
  for _, t in ipairs(fuse.tensors(d)) do t:close() end
  rl.cuda.fuse_kernel(default_kernel, default_targets)
  return rows, failures
end

local columns = {}
for _, v in ipairs(variants) do columns[#columns + 1] = v end
columns[#columns + 1] = "ps:v1"
columns[#columns + 1] = "ps:v2"
columns[#columns + 1] = "ps:v3"

local function print_table(rows)
  local head = string.format("%-22s %7s %7s %7s", "case", "MB", "floor", "copy")
  for _, c in ipairs(columns) do head = head .. string.format(" %8s", c) end
  print(head .. "   (us; below: % of the same-size copy)")
  for _, r in ipairs(rows) do
    local line = string.format("%-22s %7.1f %7.2f %7.2f", r.label, r.mb, r.floor, r.copy)
    local pct = string.format("%-22s %7s %7s %7s", "", "", "", "")
    for _, c in ipairs(columns) do
      local t = r.t[c]
      line = line .. (t and string.format(" %8.2f", t) or string.format(" %8s", "-"))
      pct = pct .. (t and string.format(" %7.1f%%", 100 * r.copy / t) or string.format(" %8s", ""))
    end
    print(line)
    print(pct)
  end
end

local all, failed = {}, 0
for _, B in ipairs(batches) do
  for _, clock in ipairs { "relative", "epoch_i64" } do
    local e = rl.robot_episodes { batch = B, duration_s = 10, seed = 0, clock = clock, ragged = true }
    local rows, f = run_case(string.format("B=%d %s", B, clock == "relative" and "rel" or "i64"), e, variants)
    for _, r in ipairs(rows) do all[#all + 1] = r end
    failed = failed + f
    collectgarbage()
  end
end
print_table(all)

-- Summary per case and mode: the best variant against the copy and against the per-stream launches.
print("\nbest fused variant per case: % of the same-size copy (goal >= 90%), and the fastest per-stream launches / fused (goal > 1)")
for _, r in ipairs(all) do
  local best, bt
  for _, v in ipairs(variants) do if r.t[v] and (not bt or r.t[v] < bt) then best, bt = v, r.t[v] end end
  if best then
    local ps
    for _, v in ipairs { "ps:v1", "ps:v2", "ps:v3" } do if r.t[v] and (not ps or r.t[v] < ps) then ps = r.t[v] end end
    print(string.format("  %-22s %-7s %8.2f us  %5.1f%% of copy  per-stream %s", r.label, best, bt, 100 * r.copy / bt,
      ps and string.format("%.2fx", ps / bt) or "-"))
  end
end

-- Diagnostic: no quaternion (the IMU's 10 channels all linear): what the slerp costs each kernel.
local streams = {}
for k, s in ipairs(fuse.presets.robot4) do
  streams[k] = { name = s.name, rate = s.rate, dim = s.dim, discrete = s.discrete }
end
local B = batches[#batches]
local e = rl.robot_episodes { batch = B, duration_s = 10, seed = 0, clock = "relative", ragged = true, streams = streams }
local diag = { "v1", "v2", "v3" }
local rows, f = run_case(string.format("B=%d rel no-slerp", B), e, diag)
failed = failed + f
print("\ndiagnostic, no slerp (compare with the same rows above):")
for _, r in ipairs(rows) do
  local line = string.format("  %-26s copy %7.2f us", r.label, r.copy)
  for _, v in ipairs(diag) do line = line .. string.format("  %s %8.2f us", v, r.t[v] or 0 / 0) end
  print(line)
end
if failed > 0 then
  print(string.format("%d variant checks FAILED", failed))
  os.exit(1)
end
