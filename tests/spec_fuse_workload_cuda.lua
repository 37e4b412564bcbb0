-- The fuse workload on CUDA: its cuda (one launch) and cuda_per_stream backends verify against the float64
-- reference and write the CPU pass's bytes, device input sets refill in place, the timing entry point in
-- hot and graph mode with rotated inputs, and a small scenario through the runner (every CUDA record
-- verified, timed, with its same-size copy). Skipped (exit 77) without a usable GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local w = require "robolua.workloads.fuse"
local describe, it = spec.describe, spec.it

local ok, why = rl.cuda.available()
if not ok then spec.skip("no usable CUDA device: " .. tostring(why)) end

local function close_all(set) for _, t in ipairs(w.tensors(set)) do t:close() end end

describe("cuda and cuda_per_stream through the workload", function()
  for _, p in ipairs {
    { batch = 5, duration_s = 1 },
    { batch = 6, duration_s = 1, ragged = true, clock = "epoch_i64" },
    { batch = 4, duration_s = 1.5, ragged = true, clock = "epoch_f64", dtype = "bf16", out_dtype = "bf16" },
  } do
    local c = w.config(p)
    c.mode = "hot"
    it(w.label(c) .. ": verified, the CPU's bytes, timed", function()
      local host = w.inputs(c, 3)
      local ref = w.reference(host, c)
      local cpu = w.output(c, host, "cpu")
      w.run("cpu", host, cpu, c, {})
      local dev = w.to_device(host, "cuda")
      for _, t in ipairs(w.tensors(dev)) do spec.eq(t.device, "cuda", "inputs on the device") end
      for _, b in ipairs { "cuda", "cuda_per_stream" } do
        local out = w.output(c, host, "cuda")
        w.poison(out)
        w.run(b, dev, out, c, {})
        local r = w.compare(out, ref, c)
        spec.truthy(r.ok, b .. ": " .. tostring(r.bad) .. " of " .. tostring(r.count) .. " wrong")
        spec.eq(out:to("cpu"):bytes(), cpu:bytes(), b .. ": the CPU pass's bytes")
        for _, mode in ipairs { "hot", "graph" } do
          c.mode = mode
          local s = w.time(b, dev, out, c, { warmup = 2, repeats = 5, rotate = 2, graph_batch = 3, nvtx = "spec/" .. b })
          spec.eq(#s.samples_ms, 5, b .. " " .. mode .. " samples")
          spec.eq(#s.sm_clock_mhz, 5, b .. " " .. mode .. " clocks")
          spec.truthy(s.samples_ms[1] > 0, "positive times")
        end
        c.mode = "hot"
        out:close()
      end
      local other = w.inputs(c, 4)
      local refilled = w.to_device(other, "cuda", dev)
      spec.eq(refilled, dev, "the same device set")
      local a, b = w.tensors(other), w.tensors(refilled)
      for i = 1, #a do spec.eq(b[i]:to("cpu"):bytes(), a[i]:bytes(), "tensor " .. i .. " refilled") end
      close_all(dev)
      close_all(other)
      close_all(host)
    end)
  end
end)

describe("a small scenario with both CUDA backends", function()
  local code, out, dir = spec.run_scenario("fusion_cuda", [[
local rl = require "robolua"
return rl.scenario {
  name = "fusion_cuda", workload = "fuse", seeds = { 0, 1 }, warmup = 2, repeats = 5, rotate = "auto",
  axes = { batch = { 16 }, duration_s = { 2 }, ragged = { false, true }, clock = { "relative", "epoch_i64" },
    mode = { "hot", "graph" }, backend = { "cpu", "cuda", "cuda_per_stream" } },
  speedup_base = "cuda_per_stream",
  gates = { rl.gate.roofline { backend = "cuda", against = "same_size", min_pct = 0 } },
}
]], "-q")
  it("exits 0; every CUDA record verified, timed, with a same-size copy and a speedup over per-stream", function()
    spec.eq(code, 0, "exit code\n" .. out)
    local doc = require("robolua.json").decode(spec.read(dir .. "/results.json"))
    local n = 0
    for _, r in ipairs(doc.results) do
      if r.device == "cuda" then
        n = n + 1
        spec.eq(r.status, "ok", r.key .. " " .. r.backend .. ": " .. tostring(r.reason))
        spec.truthy(r.copy_same and r.copy_same.median_ms, "same-size copy")
        spec.truthy(r.copy_same_pct, "% of the same-size copy")
        spec.truthy(r.speedup, "speedup over cuda_per_stream")
        spec.truthy(r.rotate >= 1, "input sets")
      end
    end
    spec.eq(n, 16, "4 cases x 2 modes x 2 CUDA backends")
  end)
end)

describe("your own streams on CUDA (examples/robot/own_streams.lua: a case's fuse spec)", function()
  local root = (arg[0]:match("(.*)/[^/]+$") or ".") .. "/.."
  local tmp = spec.workdir()
  local code, out = spec.sh(string.format("cd %s && %s -q -o %s examples/robot/own_streams.lua 2>&1", spec.quote(root),
    spec.quote(spec.binary()), spec.quote(tmp .. "/own")))
  it("exits 0; the CPU, the fused kernel and one launch per stream verified and timed", function()
    spec.eq(code, 0, out)
    local _, path = spec.sh("ls -d " .. spec.quote(tmp .. "/own") .. "/own_streams-* | head -1")
    local doc = require("robolua.json").decode(spec.read((path:gsub("%s+$", "")) .. "/results.json"))
    local n = 0
    for _, r in ipairs(doc.results) do
      n = n + 1
      spec.eq(r.status, "ok", r.key .. " " .. r.backend .. ": " .. tostring(r.reason))
    end
    spec.eq(n, 6, "2 episode counts x 3 backends")
  end)
end)

spec.finish()
