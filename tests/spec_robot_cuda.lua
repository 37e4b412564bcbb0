-- The fused resampler on CUDA, each kernel (v3, v2, each with odd blocks, v1: rl.cuda.fuse_kernel): bit-identical
-- to the CPU pass (same arithmetic, fuse_math.h) on every time type, mode, output dtype, ragged and dense
-- rows, wide and narrow outputs, unsorted and NaN targets; within tolerance of the float64 reference;
-- padding never read (poisoned on the device); per-stream launches equal the fused one; the timing entry
-- point; the kernel choice; device errors. Skipped (exit 77) without a usable GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local ref = require "fuse_ref"
local rl = require "robolua"
local describe, it, fails, eq = spec.describe, spec.it, spec.fails, spec.eq

local ok, why = rl.cuda.available()
if not ok then spec.skip("no usable CUDA device: " .. tostring(why)) end

-- The episode table with every tensor moved to the device (lengths too).
local function to_cuda(e)
  local d = { tgt_times = e.tgt_times:to("cuda"), tgt_len = e.tgt_len and e.tgt_len:to("cuda"), streams = {} }
  for k, s in ipairs(e.streams) do
    d.streams[k] = { src = s.src:to("cuda"), src_times = s.src_times:to("cuda"), src_len = s.src_len and s.src_len:to("cuda"),
      modes = s.modes, name = s.name }
  end
  return d
end

local function episodes(o)
  local p = { batch = 5, duration_s = 0.8, policy_hz = 50, seed = 1, ragged = true,
    streams = { { rate = 30, dim = 7 }, { rate = 500, dim = 14 }, { rate = 1000, dim = 10, quat = { from = 0, to = 8 } },
      { rate = 100, dim = 2, discrete = true } } }
  for k, v in pairs(o or {}) do p[k] = v end
  return rl.robot_episodes(p)
end

local function same_as_cpu(e, opts, what)
  opts = opts or {}
  local d = to_cuda(e)
  local out_dtype = opts.dtype or "f32"
  local D = 0
  for _, s in ipairs(e.streams) do D = D + s.src.shape[3] end
  local out = rl.empty({ e.tgt_times.shape[1], e.tgt_times.shape[2], D }, out_dtype, { device = "cuda" }):fill(12345) -- poison
  d.out, d.backend, d.dtype, d.fill, d.launch, d.validate = out, "cuda", out_dtype, opts.fill, opts.launch, opts.validate
  rl.fuse(d)
  local got = out:to("cpu")
  e.dtype, e.fill, e.validate = out_dtype, opts.fill, opts.validate
  local cpu = rl.fuse(e)
  e.dtype, e.fill, e.validate = nil, nil, nil
  spec.truthy(got:bytes() == cpu:bytes(), (what or "") .. ": bit-identical to the CPU pass")
  return got
end

-- Row 0's first target moved behind the fourth and row 1's last valid target NaN (float clocks): chunks
-- whose first and last targets do not bound the others, which v2 must search without windows.
local function unsorted(e)
  local tt, T = e.tgt_times:totable(), e.tgt_times.shape[2]
  tt[1], tt[5] = tt[5], tt[1]
  if e.tgt_times.dtype ~= "i64" then tt[T + (e.tgt_len and e.tgt_len:totable()[2] or T)] = 0 / 0 end
  e.tgt_times = rl.tensor(tt, e.tgt_times.shape, e.tgt_times.dtype)
  return e
end

local function fused_specs()
  for _, clock in ipairs { "relative", "epoch_f64", "epoch_i64" } do
    for _, ragged in ipairs { true, false } do
      for _, dtype in ipairs { "f32", "bf16" } do
        it(string.format("%s %s %s values", clock, ragged and "ragged" or "dense", dtype), function()
          local e = episodes { clock = clock, ragged = ragged, dtype = dtype, seed = #clock + (ragged and 1 or 0) }
          e.streams[1].modes = { { from = 0, to = 3, "nearest" }, { from = 5, to = 7, "hold" } }
          local got = same_as_cpu(e, {}, clock)
          ref.check(got:totable(), ref.fuse(e), 1e-6, 1e-6, "vs the Lua float64 reference")
        end)
      end
    end
  end
  for _, out in ipairs { "bf16", "f16" } do
    it("output " .. out, function() same_as_cpu(episodes { seed = 40 }, { dtype = out }, out) end)
  end
  it("fill value, and per-stream launches equal the fused launch", function()
    local e = episodes { seed = 41 }
    same_as_cpu(e, { fill = -1 }, "fill")
    same_as_cpu(e, { launch = "per_stream" }, "per_stream")
  end)
  it("wide outputs (a block of few targets, a channel table past 48 KB of shared memory)", function()
    local e = rl.robot_episodes { batch = 3, duration_s = 0.4, seed = 42, ragged = true,
      streams = { { rate = 30, dim = 9000 }, { rate = 200, dim = 4000, quat = { from = 100, to = 140 } } } }
    same_as_cpu(e, {}, "wide")
  end)
  it("many batch rows, few targets; one target; one stream", function()
    same_as_cpu(episodes { batch = 300, duration_s = 0.1, seed = 43 }, {}, "short rows")
    same_as_cpu(rl.robot_episodes { batch = 2, duration_s = 0.02, policy_hz = 50, seed = 44, streams = { { rate = 1000, dim = 3 } } }, {}, "T = 1")
  end)
  it("realistic size: 64 episodes of 10 s, four streams at 30/500/1000/100 Hz, 50 Hz policy", function()
    local e = rl.robot_episodes { batch = 64, duration_s = 10, seed = 45, ragged = true, clock = "epoch_i64" }
    same_as_cpu(e, {}, "realistic")
  end)
  it("hand cases: hold and nearest at exact hits and ties, equal neighbouring times, empty rows", function()
    local s = { src = rl.tensor({ 0, 10, 20, 30, 40 }, { 1, 5, 1 }), src_times = rl.tensor({ 0, 1, 1, 2, 4 }, { 1, 5 }) }
    local tt = rl.tensor({ -1, 0, 0.25, 0.5, 1, 1.5, 3, 4, 9 }, { 1, 9 })
    local want = { linear = { 0, 0, 2.5, 5, 20, 25, 35, 40, 40 }, hold = { 0, 0, 0, 0, 20, 20, 30, 40, 40 },
      nearest = { 0, 0, 0, 10, 20, 30, 40, 40, 40 } }
    for mode, w in pairs(want) do
      local o = rl.fuse { streams = { { src = s.src:to("cuda"), src_times = s.src_times:to("cuda"), modes = mode } },
        tgt_times = tt:to("cuda"), backend = "cuda" }:to("cpu"):totable()
      for i = 1, #w do eq(o[i], w[i], mode .. " target " .. i) end
    end
    local o = rl.fuse { streams = { { src = s.src:to("cuda"), src_times = s.src_times:to("cuda"), src_len = { 0 } } },
      tgt_times = tt:to("cuda"), backend = "cuda", fill = 7 }:to("cpu"):totable()
    eq(o[1], 7, "empty source row")
  end)
  it("poisoned padding on the device changes nothing", function()
    local e = episodes { seed = 46 }
    local clean = same_as_cpu(e, {}, "clean")
    local function poison(t, lens, inner, value)
      local v, S, l = t:totable(), t.shape[2], lens:totable()
      for b = 0, t.shape[1] - 1 do
        for i = l[b + 1], S - 1 do for d = 1, inner do v[(b * S + i) * inner + d] = value end end
      end
      return rl.tensor(v, t.shape, t.dtype)
    end
    local p = { tgt_times = poison(e.tgt_times, e.tgt_len, 1, 1e30), tgt_len = e.tgt_len, streams = {} }
    for k, s in ipairs(e.streams) do
      p.streams[k] = { src = poison(s.src, s.src_len, s.src.shape[3], 0 / 0), src_times = poison(s.src_times, s.src_len, 1, -1e30),
        src_len = s.src_len, modes = s.modes }
    end
    local d = to_cuda(p)
    d.backend = "cuda"
    spec.truthy(rl.fuse(d):to("cpu"):bytes() == clean:bytes(), "same bytes")
  end)
  it("unsorted and NaN targets", function()
    for _, clock in ipairs { "relative", "epoch_f64", "epoch_i64" } do
      local nan = { validate = false } -- NaN targets pass only unvalidated
      same_as_cpu(unsorted(episodes { clock = clock, seed = 48, duration_s = 3 }), nan, clock .. " unsorted")
      nan.launch = "per_stream"
      same_as_cpu(unsorted(episodes { clock = clock, seed = 49, duration_s = 3 }), nan, clock .. " unsorted, per stream")
    end
  end)
  it("realistic size, f32 seconds, dense, bf16 output: 256 episodes of 10 s", function()
    same_as_cpu(rl.robot_episodes { batch = 256, duration_s = 10, seed = 51 }, { dtype = "bf16" }, "realistic dense")
  end)
  it("rl.resample with general features on cuda", function()
    local e = episodes { seed = 47, clock = "epoch_f64" }
    local s, d = e.streams[3], to_cuda(e).streams[3]
    local got = rl.resample(d.src, d.src_times, e.tgt_times:to("cuda"),
      { backend = "cuda", modes = s.modes, src_len = d.src_len, tgt_len = e.tgt_len:to("cuda") })
    local cpu = rl.resample(s.src, s.src_times, e.tgt_times, { modes = s.modes, src_len = s.src_len, tgt_len = e.tgt_len })
    spec.truthy(got:to("cpu"):bytes() == cpu:bytes(), "bit-identical")
  end)
end

-- Every kernel: the default, v3 and v2 with blocks of 7 targets (chunks that straddle everything) and of
-- the most targets, v1.
local default_kernel, default_targets = rl.cuda.fuse_kernel()
for _, k in ipairs { { "v3", 0 }, { "v3", 7 }, { "v3", 128 }, { "v2", 0 }, { "v2", 7 }, { "v1", 0 } } do
  rl.cuda.fuse_kernel(k[1], k[2])
  describe(string.format("cuda fused resampler, kernel %s (targets %d)", k[1], k[2]), fused_specs)
end
rl.cuda.fuse_kernel(default_kernel, default_targets)

describe("cuda fuse kernel choice", function()
  it("defaults to v3; selecting returns the previous choice; bad names and sizes are errors", function()
    eq(default_kernel, "v3", "default kernel")
    local prev, t = rl.cuda.fuse_kernel("v1")
    eq(prev, default_kernel); eq(t, default_targets)
    eq(select(1, rl.cuda.fuse_kernel("v2", 64)), "v1", "previous")
    local now, nt = rl.cuda.fuse_kernel()
    eq(now, "v2"); eq(nt, 64)
    eq(select(1, rl.cuda.fuse_kernel("v3", 128)), "v2", "previous")
    fails(function() rl.cuda.fuse_kernel("v4") end, "cuda.fuse_kernel('v4', 0)", "unknown name")
    fails(function() rl.cuda.fuse_kernel("v2", 129) end, "targets per block", "[1, 128]")
    fails(function() rl.cuda.fuse_kernel("v1", 16) end, "targets per block")
    fails(function() rl.cuda.fuse_kernel("v2", -1) end, "targets must be 0")
    rl.cuda.fuse_kernel(default_kernel, default_targets)
  end)
  it("the tools' variants (robolua.fuse_variant): vK/N selects; a name or size the kernels refuse names the argument", function()
    local variant = require "robolua.fuse_variant"
    eq(variant.select("tool", "kernel", "v2/64"), default_kernel, "previous")
    local now, nt = rl.cuda.fuse_kernel()
    eq(now, "v2"); eq(nt, 64)
    fails(function() variant.select("tool", "kernel", "v4") end, "tool: kernel=v4: ", "unknown name")
    fails(function() variant.select("tool", "kernel", "v2/129") end, "tool: kernel=v2/129: ", "[1, 128]")
    fails(function() variant.select("tool", "kernel", "v1/16") end, "tool: kernel=v1/16: ", "targets per block")
    rl.cuda.fuse_kernel(default_kernel, default_targets)
  end)
end)

describe("cuda bench.fuse", function()
  local d = to_cuda(episodes { seed = 50 })
  for _, mode in ipairs { "hot", "cold", "graph" } do
    for _, launch in ipairs { "fused", "per_stream" } do
      it(mode .. " " .. launch, function()
        local r = rl.bench.fuse(d, { backend = "cuda", mode = mode, launch = launch, warmup = 2, repeats = 5, rotate = 3, batch = 4 })
        eq(#r.samples_ms, 5); eq(r.launch, launch); eq(#r.sm_clock_mhz, 5)
        for _, v in ipairs(r.samples_ms) do spec.truthy(v > 0, "positive samples") end
      end)
    end
  end
end)

describe("cuda errors", function()
  local e = episodes { seed = 60 }
  it("a stream on the host with targets on the device", function()
    local d = to_cuda(e)
    d.streams[2].src = e.streams[2].src
    d.backend = "cuda"
    fails(function() rl.fuse(d) end, "streams[2].src", "on cpu", "tgt_times is on cuda")
  end)
  it("host tensors on the cuda backend, device tensors on the cpu backend", function()
    e.backend = "cuda"
    fails(function() rl.fuse(e) end, "tgt_times", "cuda tensors")
    e.backend = nil
    fails(function() rl.fuse(to_cuda(e)) end, "tgt_times", "cpu tensors")
  end)
  it("bad lengths on the device are caught", function()
    local d = to_cuda(e)
    d.streams[1].src_len = rl.tensor({ 1, 99999, 1, 1, 1 }, { 5 }, "i64", { device = "cuda" })
    d.backend = "cuda"
    fails(function() rl.fuse(d) end, "streams[1].src_len", "row 1", "longer")
  end)
end)

spec.finish()
