-- The CUDA backend: vs the float64 reference and bit-equal to the CPU path, on poisoned outputs, odd
-- shapes, every dtype; device tensors; timing primitives; errors. Skipped (exit 77) without a GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local describe, it, fails = spec.describe, spec.it, spec.fails

local ok, why = rl.cuda.available()
if not ok then spec.skip("no usable CUDA device: " .. tostring(why)) end

local shapes = { -- B, S, T, D
  { 1, 1, 5, 3 }, { 1, 2, 7, 8 }, { 3, 17, 9, 5 }, { 2, 50, 130, 7 }, { 8, 250, 125, 128 },
  { 5, 33, 100, 13 }, { 2, 1000, 500, 24 }, { 7, 64, 32, 1 }, { 3, 129, 257, 67 }, { 2, 2000, 1000, 512 },
  { 1, 3000, 4000, 64 }, { 4, 40, 20, 4 }, { 2, 31, 33, 33 },
  { 2, 9000, 700, 64 }, { 300, 40, 3000, 16 }, -- S over the shared-memory limit: the warp kernel; a full grid
  -- a block's rows span more batch rows than one shared-memory stage holds (several stages per block),
  -- T below a warp's group of 4 rows (groups cross batch rows), S at the shared-memory limit
  { 40, 4096, 3, 16 }, { 64, 3000, 1, 8 }, { 33, 8192, 5, 8 }, { 9, 7, 2, 16 },
}

describe("cuda resampler", function()
  for _, dtype in ipairs { "f32", "bf16", "f16" } do
    for si, sh in ipairs(shapes) do
      local B, S, T, D = sh[1], sh[2], sh[3], sh[4]
      it(string.format("%s %dx%dx%d T=%d", dtype, B, S, D, T), function()
        local h = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, seed = 77 + si }
        local d = { src = h.src:to("cuda"), src_times = h.src_times:to("cuda"), tgt_times = h.tgt_times:to("cuda") }
        local out = rl.empty({ B, T, D }, dtype, { device = "cuda" }):fill(0 / 0) -- poison
        rl.resample(d.src, d.src_times, d.tgt_times, { backend = "cuda", out = out })
        local got = out:to("cpu")
        local ref = rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })
        local c = rl.compare(got, ref)
        spec.truthy(c.ok, string.format("vs reference: bad=%d nonfinite=%d max_abs=%g first #%s", c.bad, c.nonfinite,
          c.max_abs_err, tostring(c.first_bad)))
        local cpu = rl.resample(h.src, h.src_times, h.tgt_times)
        spec.truthy(got:bytes() == cpu:bytes(), "bit-equal to the CPU path")
      end)
    end
  end
  it("misaligned rows take the scalar path and stay correct (D*2 bytes not a multiple of 16)", function()
    local h = rl.trajectories { batch = 3, source_len = 100, target_len = 77, dim = 9, dtype = "bf16", seed = 5 }
    local out = rl.resample(h.src:to("cuda"), h.src_times:to("cuda"), h.tgt_times:to("cuda"), { backend = "cuda" })
    spec.truthy(out:to("cpu"):bytes() == rl.resample(h.src, h.src_times, h.tgt_times):bytes(), "bit-equal")
  end)
  it("trajectories{device='cuda'} gives the host data on the device", function()
    local p = { batch = 2, source_len = 64, dim = 16, dtype = "bf16", seed = 3 }
    local h = rl.trajectories(p)
    p.device = "cuda"
    local d = rl.trajectories(p)
    spec.eq(d.src.device, "cuda")
    spec.truthy(d.src:to("cpu"):bytes() == h.src:bytes(), "same bytes")
    spec.truthy(d.tgt_times:to("cpu"):bytes() == h.tgt_times:bytes(), "same targets")
  end)
end)

describe("cuda errors", function()
  local h = rl.trajectories { batch = 2, source_len = 10, dim = 8, seed = 1 }
  it("mixing host and device tensors", function()
    fails(function() rl.resample(h.src:to("cuda"), h.src_times, h.tgt_times, { backend = "cuda" }) end, "one device")
  end)
  it("host tensors on the cuda backend", function()
    fails(function() rl.resample(h.src, h.src_times, h.tgt_times, { backend = "cuda" }) end, "cuda tensors")
  end)
  it("device tensors on the cpu backend", function()
    local d = { h.src:to("cuda"), h.src_times:to("cuda"), h.tgt_times:to("cuda") }
    fails(function() rl.resample(d[1], d[2], d[3]) end, "cpu tensors")
  end)
  it("bad device times are caught by validation", function()
    local bad = rl.tensor({ 0, 1, 2, 1, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 2, 10 }, "f32", { device = "cuda" })
    fails(function() rl.resample(h.src:to("cuda"), bad, h.tgt_times:to("cuda"), { backend = "cuda" }) end, "src_times", "index 3")
  end)
  it("out of device memory is a Lua error and the engine goes on", function()
    fails(function() rl.empty({ 2 ^ 20, 2 ^ 20, 2 ^ 10 }, "f32", { device = "cuda" }) end, "cannot allocate", "device memory")
    local t = rl.empty({ 1024 }, "f32", { device = "cuda" })
    spec.eq(t.device, "cuda", "allocations still work")
  end)
  it("totable on a device tensor", function()
    fails(function() h.src:to("cuda"):totable() end, "to(\"cpu\")")
  end)
end)

describe("gpu timing primitives", function()
  local h = rl.trajectories { batch = 8, source_len = 250, dim = 128, dtype = "bf16", seed = 0, device = "cuda" }
  for _, mode in ipairs { "hot", "cold", "graph" } do
    it(mode .. " mode returns positive per-launch samples and clocks", function()
      local r = rl.bench.resample(h.src, h.src_times, h.tgt_times,
        { backend = "cuda", mode = mode, warmup = 2, repeats = 7, batch = 5 })
      spec.eq(#r.samples_ms, 7, "sample count")
      for i = 1, 7 do spec.truthy(r.samples_ms[i] > 0 and r.samples_ms[i] < 100, "sample " .. i .. " in (0, 100) ms") end
      spec.eq(#r.sm_clock_mhz, 7, "clock per sample")
    end)
  end
  for _, mode in ipairs { "hot", "cold", "graph" } do
    it("copy bandwidth is measured in " .. mode .. " mode", function()
      local bw = rl.cuda.copy_bandwidth { bytes = 64 * 2 ^ 20, repeats = 5, mode = mode, batch = 3 }
      spec.eq(bw.mode, mode)
      spec.eq(#bw.samples_ms, 5, "samples")
      spec.truthy(bw.bytes_per_s > 1e11, "more than 100 GB/s")
      spec.near(bw.bytes_per_s, 2 * bw.bytes / (bw.median_ms * 1e-3), 1e-6 * bw.bytes_per_s, "read + write bytes over the median")
    end)
  end
  for _, mode in ipairs { "hot", "cold", "graph" } do
    it(mode .. " mode with rotated inputs (copies made and freed by the loop)", function()
      local r = rl.bench.resample(h.src, h.src_times, h.tgt_times,
        { backend = "cuda", mode = mode, warmup = 2, repeats = 7, batch = 5, rotate = 3 })
      spec.eq(#r.samples_ms, 7, "sample count")
      for i = 1, 7 do spec.truthy(r.samples_ms[i] > 0 and r.samples_ms[i] < 100, "sample " .. i) end
    end)
  end
  it("copy bandwidth: a buffer larger than the device is a Lua error and the engine goes on", function()
    spec.fails(function() rl.cuda.copy_bandwidth { bytes = 2 ^ 40, repeats = 1 } end, "cuda.copy_bandwidth", "cudaMalloc")
    spec.truthy(rl.cuda.copy_bandwidth { bytes = 2 ^ 20, repeats = 2 }.bytes_per_s > 0, "still works")
  end)
  it("copy bandwidth with rotated buffer pairs", function()
    local bw = rl.cuda.copy_bandwidth { bytes = 2 ^ 20, repeats = 5, rotate = 3, mode = "graph", batch = 4 }
    spec.eq(#bw.samples_ms, 5, "samples")
    spec.truthy(bw.bytes_per_s > 1e10, "a plausible rate")
  end)
  it("copy bandwidth rejects a bad mode", function()
    spec.fails(function() rl.cuda.copy_bandwidth { bytes = 2 ^ 20, mode = "warm" } end, "opts.mode", "warm")
  end)
  it("device info", function()
    local i = rl.cuda.info()
    spec.truthy(#i.name > 0 and i.sm_count > 0 and i.l2_bytes > 0 and i.global_mem_bytes > 0, "fields")
    spec.truthy(i.runtime_version > 0 and i.driver_version > 0, "versions")
  end)
  it("nvtx range pops even when its function fails", function()
    spec.fails(function() rl.nvtx.range("x", function() error("inner") end) end, "inner")
    spec.eq(rl.nvtx.range("y", function(a, b) return a + b end, 2, 3), 5, "returns results")
  end)
end)

describe("scenario runner on the GPU", function()
  local cjson = require "cjson"
  local bin, tmp = spec.binary(), spec.tempdir()
  local function run_json(extra)
    local path = tmp .. "/gpu_tiny.lua"
    local f = assert(io.open(path, "w"))
    f:write(string.format([[
local rl = require "robolua"
return rl.scenario { name = "gpu_tiny", seeds = {0}, warmup = 1, repeats = 5, %s
  axes = { batch = {4}, source_len = {64}, dim = {32}, dtype = {"bf16"}, mode = {"hot", "graph"}, backend = {"cuda"} } }
]], extra))
    f:close()
    local p = io.popen(string.format("'%s' --quiet --no-write --report json '%s' 2>/dev/null", bin, path))
    local out = p:read("a")
    p:close()
    local ok, doc = pcall(cjson.decode, out)
    spec.truthy(ok, "json report\n" .. out)
    return doc
  end
  it("each CUDA result gets a same-size copy timed in its own mode", function()
    local doc = run_json("")
    spec.eq(#doc.results, 2)
    for _, r in ipairs(doc.results) do
      spec.eq(r.status, "ok")
      spec.eq(r.copy_same.mode, r.config.mode, "same mode")
      spec.eq(r.copy_same.bytes, (r.bytes + 1) // 2, "half the result's bytes")
      spec.truthy(r.copy_same.median_ms > 0 and r.copy_same_pct > 0, "timed and compared")
      spec.near(r.copy_same_pct, 100 * r.copy_same.median_ms * (r.bytes / (2 * r.copy_same.bytes)) / r.stats.median,
        1e-6 * r.copy_same_pct, "% of the copy = copy time / kernel time (same bytes)")
    end
  end)
  it("rotate = \"auto\" cycles enough input sets to move 4x the L2 (at most 64)", function()
    local doc = run_json("rotate = \"auto\",")
    local l2 = rl.cuda.info().l2_bytes
    for _, r in ipairs(doc.results) do
      spec.eq(r.rotate, math.max(1, math.min(64, math.ceil(4 * l2 / r.bytes))), "sets for " .. r.bytes .. " bytes")
      spec.eq(r.copy_same.rotate, r.rotate, "the same-size copy rotates as many buffer pairs")
    end
    spec.eq(doc.settings.rotate, "auto", "recorded")
  end)
  it("same_size_copy = false leaves it out", function()
    local doc = run_json("same_size_copy = false,")
    spec.eq(doc.results[1].copy_same, nil)
  end)
end)

spec.finish()
