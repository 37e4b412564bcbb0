-- Scale-out without a cluster: shard assignment (a partition, balanced, stable), --shard / --list,
-- robolua merge (equals the unsharded run; refuses mixed definitions, commits, settings; missing and
-- duplicate shards), robolua recover, --devices on a machine without a GPU. The real-Slurm test is
-- tests/slurm.sh.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local lfs = require "lfs"
local record = require "robolua.record"
local shard = require "robolua.run.shard"
local describe, it = spec.describe, spec.it

local bin, tmp = spec.binary(), spec.tempdir()
local q = spec.quote
local function sh(cmd)
  local p = io.popen("cd " .. q(tmp) .. " && " .. cmd .. " 2>&1; echo \"exit=$?\"")
  local out = p:read("a")
  p:close()
  return tonumber(out:match("exit=(%d+)%s*$")), out
end
local function write(path, s)
  local f = assert(io.open(tmp .. "/" .. path, "w"))
  f:write(s)
  f:close()
end
local function one_run(dir)
  for e in lfs.dir(tmp .. "/" .. dir) do
    if e:match("%d+T%d+Z") then return tmp .. "/" .. dir .. "/" .. e end
  end
end

write("s.lua", [[
local rl = require "robolua"
local repeats = tonumber((...) or "") or 3
return rl.scenario { name = "so", seeds = { 0, 1 }, warmup = 0, repeats = repeats,
  axes = { shape = { { 2, 20, 4 }, { 3, 30, 8 }, { 2, 40, 16 }, { 4, 10, 4 } }, dtype = { "f32", "bf16" }, backend = { "cpu" } },
  gates = { rl.gate.variance { max_pct = 1e6 } } }
]])

describe("shard assignment", function()
  it("is a partition of the configurations for N = 1..7, balanced by cost, stable", function()
    local costs = {}
    for k = 1, 23 do costs[k] = (k * 7919) % 101 + 1 end
    for n = 1, 7 do
      local a, load = shard.assign(costs, n)
      local b = shard.assign(costs, n)
      local count = {}
      for k = 1, #costs do
        spec.truthy(a[k] >= 0 and a[k] < n, "shard index in range")
        spec.eq(a[k], b[k], "stable")
        count[a[k]] = (count[a[k]] or 0) + 1
      end
      local total, maxload = 0, 0
      for s = 0, n - 1 do total = total + load[s]; maxload = math.max(maxload, load[s]) end
      spec.truthy(maxload <= total / n + 101, "balanced within one configuration's cost (n = " .. n .. ")")
    end
  end)
  it("parses I/N and slurm; bad specs are errors", function()
    spec.eq(shard.parse("2/5").index, 2)
    spec.eq(shard.parse("slurm", function(k) return ({ SLURM_ARRAY_TASK_ID = "7", SLURM_ARRAY_TASK_COUNT = "3", SLURM_ARRAY_TASK_MIN = "5" })[k] end).index, 2)
    spec.eq((shard.parse("5/5")), nil)
    spec.eq((shard.parse("x/2")), nil)
    spec.eq((shard.parse("slurm", function() return nil end)), nil)
  end)
  it("--list prints every point with its shard; the shards cover the plan exactly once", function()
    local seen = {}
    for i = 0, 2 do
      local code, out = sh(q(bin) .. " --list --shard " .. i .. "/3 s.lua")
      spec.eq(code, 0, out)
      for s, key in out:gmatch("shard (%d+)%s+cpu%s+(shape=%S+ dtype=%S+)") do
        if tonumber(s) == i then
          spec.truthy(not seen[key], "in one shard only: " .. key)
          seen[key] = true
        end
      end
    end
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    spec.eq(n, 8, "all 8 configurations")
  end)
end)

describe("merge", function()
  for i = 0, 2 do sh(q(bin) .. " -q -o shards --shard " .. i .. "/3 s.lua") end
  sh(q(bin) .. " -q -o full s.lua")
  it("the merge of the shards equals the unsharded run's point set", function()
    local code, out = sh(q(bin) .. " merge merged shards")
    spec.eq(code, 0, out)
    local m, f = record.load(tmp .. "/merged"), record.load(one_run("full"))
    spec.eq(#m.results, #f.results, "records")
    for k, r in ipairs(f.results) do
      spec.eq(record.id(m.results[k]), record.id(r), "same order")
      spec.eq(m.results[k].stats.n, r.stats.n, "every sample")
    end
    spec.eq(#m.shards, 3, "shards kept")
  end)
  it("a missing shard fails the verdict and is named", function()
    sh("mkdir -p two && cp -r shards/* two/ && rm -rf \"$(ls -d two/* | head -1)\"")
    local code, out = sh(q(bin) .. " merge m2 two")
    spec.eq(code, 1, out)
    spec.truthy(out:find("missing shard", 1, true), out)
  end)
  it("a shard given twice is an error", function()
    local code, out = sh("d=$(ls -d shards/* | head -1); " .. q(bin) .. " merge m3 shards \"$d\"")
    spec.eq(code, 2, out)
  end)
  it("different settings or definitions are refused unless --force", function()
    sh(q(bin) .. " -q -o other --shard 0/3 s.lua 5")
    local code, out = sh("d=$(ls -d shards/* | sed -n 2,3p); " .. q(bin) .. " merge m4 other $d")
    spec.eq(code, 2, out)
    spec.truthy(out:find("refusing to merge", 1, true) and out:find("measured differently: repeats", 1, true)
      and out:find("another scenario definition", 1, true), out)
    code, out = sh("d=$(ls -d shards/* | sed -n 2,3p); " .. q(bin) .. " merge --force m5 other $d")
    spec.truthy(code == 0 or code == 1, out)
  end)
  it("different script arguments are refused, even where the definition comes out the same", function()
    -- s.lua's argument is its repeats, 3 by default: '3' measures what no argument does, and still the
    -- arguments are what the command said (another value could change what the script measures)
    sh(q(bin) .. " -q -o args --shard 0/2 s.lua; " .. q(bin) .. " -q -o args --shard 1/2 s.lua 3")
    local code, out = sh(q(bin) .. " merge m7 args")
    spec.eq(code, 2, out)
    spec.truthy(out:find("run with script arguments", 1, true), out)
    spec.truthy(not out:find("another scenario definition", 1, true), "the definitions are the same: " .. out)
  end)
  it("different commits are refused", function()
    sh("ROBOLUA_GIT_COMMIT=aaaa " .. q(bin) .. " -q -o ca --shard 0/2 s.lua; ROBOLUA_GIT_COMMIT=bbbb " .. q(bin) .. " -q -o ca --shard 1/2 s.lua")
    local code, out = sh(q(bin) .. " merge m6 ca")
    spec.eq(code, 2, out)
    spec.truthy(out:find("from commit", 1, true), out)
  end)
  it("an output folder that is not empty is refused", function()
    local code, out = sh(q(bin) .. " merge shards full")
    spec.eq(code, 2, out)
  end)
end)

describe("recover", function()
  it("rebuilds a run from plan.json and the journal after a SIGKILL", function()
    write("slow.lua", [[
local rl = require "robolua"
return rl.scenario { name = "slow", seeds = { 0 }, warmup = 0, repeats = 400000, controls = 0, interleave = 2000,
  axes = { shape = { { 2, 2000, 64 }, { 3, 2000, 64 } }, dtype = { "f32" }, backend = { "cpu" } } }
]])
    local code, out = sh(q(bin) .. " -q -o killed slow.lua & pid=$!; for i in $(seq 1 100); do " ..
      "ls killed/*/journal.jsonl >/dev/null 2>&1 && [ $(wc -l < $(ls killed/*/journal.jsonl)) -ge 2 ] && break; sleep 0.1; done; kill -9 $pid; wait $pid")
    local dir = one_run("killed")
    spec.truthy(dir and not lfs.attributes(dir .. "/results.json"), "no results.json after SIGKILL\n" .. out)
    code, out = sh(q(bin) .. " recover " .. q(dir))
    spec.eq(code, 2, "recovered, still an interrupted run\n" .. out)
    local doc = record.load(dir)
    spec.eq(doc.interrupted, true)
    local samples = #doc.results[1].seeds[1].samples_ms
    spec.truthy(samples > 0, "journaled samples kept")
    spec.truthy(lfs.attributes(dir .. "/report.md"), "reports written")
  end)
end)

describe("device against device", function()
  it("a table per configuration, ratios with the range the CIs allow, labelled as a comparison of devices", function()
    local function rec(gpu, center)
      local r = record.new { key = "shape=8x250x128", backend = "cuda", device = "cuda", gpu = { index = gpu, name = "H100" } }
      record.seed(r, 1, 0)
      local xs = {}
      for i = 1, 40 do xs[i] = center * (1 + ((i * 37) % 11 - 5) * 1e-3) end
      record.add_samples(r, 1, xs)
      return record.finalize(r, {})
    end
    local doc = { results = { rec(0, 1.0), rec(1, 1.0), rec(0, 2.0), rec(1, 2.5) }, env = {} }
    doc.results[3].key, doc.results[4].key = "shape=64x1000x512", "shape=64x1000x512"
    local md, compared = require("robolua.devices_compare").markdown(doc)
    spec.eq(compared, 2, "ratios compared")
    spec.truthy(md:find("a comparison of devices (not a regression verdict)", 1, true), md)
    spec.truthy(md:find("gpu1 H100 / gpu0 H100", 1, true), md)
    spec.truthy(md:find("| shape=8x250x128 | cuda |", 1, true) and md:find(" 1.000 [", 1, true), md)
    spec.truthy(md:find(" 1.250 [", 1, true), md)
    spec.truthy(md:find("1 of 2 ratios have 1.0 within", 1, true), md)
    spec.truthy(md:find("the medians differ by at most 25.0%", 1, true), md)
    -- every table row has as many cells as the header
    local cells
    for line in md:gmatch("[^\n]+") do
      if line:sub(1, 1) == "|" then
        local n = select(2, line:gsub("|", "|"))
        cells = cells or n
        spec.eq(n, cells, line)
      end
    end
  end)
  it("says how many devices measured CUDA points when there are fewer than two", function()
    local md, compared = require("robolua.devices_compare").markdown({ results = {}, env = {} })
    spec.truthy(md:find("No device measured CUDA points: nothing to compare.", 1, true), md)
    spec.eq(compared, 0, "nothing compared")
    local r = record.new { key = "k", backend = "cuda", device = "cuda", gpu = { index = 0, name = "H100" } }
    record.seed(r, 1, 0)
    record.add_samples(r, 1, { 1, 1.1, 0.9 })
    md, compared = require("robolua.devices_compare").markdown({ results = { record.finalize(r, {}) }, env = {} })
    spec.truthy(md:find("Only one device measured CUDA points: nothing to compare.", 1, true), md)
    spec.eq(compared, 0, "one device: nothing compared")
  end)
end)

describe("--devices", function()
  it("without a GPU: exit 1 (the machine, not the command), naming the reason", function()
    if rl.cuda.device_count() > 0 then spec.skip_case("a GPU is present") end
    local code, out = sh(q(bin) .. " --devices all -q s.lua")
    spec.eq(code, 1, out)
    spec.truthy(out:find("--devices all: no CUDA device", 1, true), out)
  end)
end)

spec.finish()
