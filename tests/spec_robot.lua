-- The general resampler on the CPU (doc/robot.md): every mode against the independent float64 reference of
-- tests/lib/fuse_ref.lua, exact timestamps (f64, i64) and the f32 resolution rule, ragged rows with poisoned
-- padding, fusion equal to per-stream resampling, the episode generator, and every bad input.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local ref = require "fuse_ref"
local rl = require "robolua"
local describe, it, fails, eq = spec.describe, spec.it, spec.fails, spec.eq

local F32_TOL = { 1e-6, 1e-6 } -- atol, rtol: the f32 tolerance of the README

local function one(values, S, D, times, tdt)
  return { src = rl.tensor(values, { 1, S, D }), src_times = rl.tensor(times, { 1, S }, tdt or "f32") }
end

describe("modes on hand-made cases", function()
  -- times 0, 1, 1, 2, 4 (an equal pair), values 0, 10, 20, 30, 40
  local s = one({ 0, 10, 20, 30, 40 }, 5, 1, { 0, 1, 1, 2, 4 })
  local tt = rl.tensor({ -1, 0, 0.25, 0.5, 1, 1.5, 3, 4, 9 }, { 1, 9 })
  local function run(mode)
    s.modes = mode
    return rl.fuse { streams = { s }, tgt_times = tt }:totable()
  end
  it("linear: clamps, exact hits, the last row at a repeated time", function()
    local o = run("linear")
    local want = { 0, 0, 2.5, 5, 20, 25, 35, 40, 40 }
    for i = 1, #want do eq(o[i], want[i], "target " .. i) end
  end)
  it("hold: the last sample at or before the target; an exact hit takes that sample; before the first: row 0", function()
    local o = run("hold")
    local want = { 0, 0, 0, 0, 20, 20, 30, 40, 40 }
    for i = 1, #want do eq(o[i], want[i], "target " .. i) end
  end)
  it("nearest: the nearer sample; a tie (x = 0.5, 1.5, 3) takes the later one", function()
    local o = run("nearest")
    local want = { 0, 0, 0, 10, 20, 30, 40, 40, 40 }
    for i = 1, #want do eq(o[i], want[i], "target " .. i) end
  end)
  it("modes per channel range; uncovered channels are linear", function()
    local m = one({ 0, 0, 0, 10, 10, 10 }, 2, 3, { 0, 1 })
    m.modes = { { from = 1, to = 2, "hold" }, { from = 2, to = 3, mode = "nearest" } }
    local o = rl.fuse { streams = { m }, tgt_times = rl.tensor({ 0.75 }, { 1, 1 }) }:totable()
    eq(o[1], 7.5, "linear"); eq(o[2], 0, "hold"); eq(o[3], 10, "nearest")
  end)
  it("slerp against the explicit formula, with the shortest arc and a tiny angle", function()
    local c, s45 = math.cos(math.pi / 8), math.sin(math.pi / 8)
    -- q0 = identity, q1 = 90 degrees about z stored negated (dot < 0), q2 = q1 rotated by 1e-7 rad
    local v = { 0, 0, 0, 1, 0, 0, -math.sin(math.pi / 4), -math.cos(math.pi / 4),
      0, 0, math.sin(math.pi / 4 + 5e-8), math.cos(math.pi / 4 + 5e-8) }
    local q = one(v, 3, 4, { 0, 1, 2 })
    q.modes = { { from = 0, to = 4, "slerp" } }
    local tt3 = rl.tensor({ 0.5, 0.25, 1.5, 2, -1 }, { 1, 5 })
    local o = rl.fuse { streams = { q }, tgt_times = tt3 }:totable()
    local want = { 0, 0, s45, c } -- halfway: 45 degrees about z
    for j = 1, 4 do spec.near(o[j], want[j], 1e-6, "halfway " .. j) end
    local r = ref.slerp({ 0, 0, 0, 1 }, { 0, 0, -math.sin(math.pi / 4), -math.cos(math.pi / 4) }, 0.25)
    for j = 1, 4 do spec.near(o[4 + j], r[j], 1e-6, "quarter " .. j) end
    local tiny = ref.slerp({ v[5], v[6], v[7], v[8] }, { v[9], v[10], v[11], v[12] }, 0.5)
    for j = 1, 4 do spec.near(o[8 + j], tiny[j], 1e-6, "tiny angle " .. j) end
    for j = 1, 4 do spec.near(o[12 + j], v[8 + j], 1e-6, "exact hit on the last sample " .. j) end
    for j = 1, 4 do spec.near(o[16 + j], v[j], 1e-6, "clamped before the first " .. j) end
    for t = 0, 4 do
      local n = o[4 * t + 1] ^ 2 + o[4 * t + 2] ^ 2 + o[4 * t + 3] ^ 2 + o[4 * t + 4] ^ 2
      spec.near(n, 1, 1e-6, "unit norm")
    end
  end)
  it("an empty source row (src_len 0) gives the fill value", function()
    local e = one({ 1, 2 }, 2, 1, { 0, 1 })
    e.src_len = { 0 }
    local o = rl.fuse { streams = { e }, tgt_times = rl.tensor({ 0.5 }, { 1, 1 }), fill = -7 }:totable()
    eq(o[1], -7)
  end)
end)

-- Small random episodes of every kind, checked against the Lua reference.
local function episodes(o)
  local p = { batch = 3, duration_s = 0.6, policy_hz = 40, seed = 11, ragged = true,
    streams = { { name = "camera", rate = 30, dim = 5 }, { name = "joints", rate = 170, dim = 3 },
      { name = "imu", rate = 400, dim = 10, quat = { from = 2, to = 10 } }, { name = "events", rate = 90, dim = 2, discrete = true } } }
  for k, v in pairs(o or {}) do p[k] = v end
  return rl.robot_episodes(p)
end

describe("against the float64 reference", function()
  for _, clock in ipairs { "relative", "epoch_f64", "epoch_i64" } do
    for _, ragged in ipairs { false, true } do
      it(string.format("%s clock, %s: every mode, every stream", clock, ragged and "ragged" or "dense"), function()
        local e = episodes { clock = clock, ragged = ragged, seed = ragged and 5 or 6 }
        e.streams[1].modes = { { from = 0, to = 2, "nearest" } } -- camera: nearest on two channels, linear on three
        local got = rl.fuse(e):totable()
        local want = ref.fuse(e)
        ref.check(got, want, F32_TOL[1], F32_TOL[2], "cpu")
        local r = rl.fuse { streams = e.streams, tgt_times = e.tgt_times, tgt_len = e.tgt_len, backend = "reference" }
        ref.check(r:totable(), want, 1e-12, 1e-12, "engine reference")
      end)
    end
  end
  it("bf16 and f16 outputs round once from the same floats", function()
    local e = episodes { seed = 3 }
    local f32 = rl.fuse(e):totable()
    for _, dt in ipairs { "bf16", "f16" } do
      e.dtype = dt
      local o = rl.fuse(e):totable()
      local want = rl.tensor(f32, { #f32 }, dt):totable() -- the f32 result rounded once
      for i = 1, #o do
        if not (o[i] == want[i] or (o[i] ~= o[i] and want[i] ~= want[i])) then error(dt .. " element " .. i) end
      end
    end
  end)
  it("bf16 source values", function()
    local e = episodes { dtype = "bf16", seed = 8 }
    ref.check(rl.fuse(e):totable(), ref.fuse(e), F32_TOL[1], F32_TOL[2], "bf16 sources")
  end)
end)

describe("exact timestamps", function()
  local src = rl.tensor({ 0, 10, 20 }, { 1, 3, 1 })
  it("epoch seconds: f64 and i64 give 2.5 and 6.6, f32 is an error that says why", function()
    local f = rl.resample(src, rl.tensor({ 1730000000, 1730000001, 1730000002 }, { 1, 3 }, "f64"),
      rl.tensor({ 1730000000.25, 1730000000.66 }, { 1, 2 }, "f64")):totable()
    spec.near(f[1], 2.5, 1e-6, "f64"); spec.near(f[2], 6.6, 2e-6, "f64")
    local i = rl.resample(src, rl.tensor({ 1730000000000000000, 1730000001000000000, 1730000002000000000 }, { 1, 3 }, "i64"),
      rl.tensor({ 1730000000250000000, 1730000000660000000 }, { 1, 2 }, "i64")):totable()
    spec.near(i[1], 2.5, 1e-6, "i64"); spec.near(i[2], 6.6, 1e-6, "i64")
    fails(function()
      rl.resample(src, rl.tensor({ 1730000000, 1730000001, 1730000002 }, { 1, 3 }), rl.tensor({ 1730000000.25, 1730000000.66 }, { 1, 2 }))
    end, "src_times", "row 0", "f64 or i64", "rebase")
  end)
  it("f32 resolution rule: 1.73e9 epoch seconds at 100 Hz are rejected, rebased ones accepted", function()
    local n = 200
    local abs, rel, vals = {}, {}, {}
    for k = 1, n do abs[k] = 1730000123.0 + (k - 1) / 100; rel[k] = (k - 1) / 100; vals[k] = k end
    local s = rl.tensor(vals, { 1, n, 1 })
    fails(function() rl.resample(s, rl.tensor(abs, { 1, n }), rl.tensor({ abs[10] }, { 1, 1 })) end,
      "src_times", "cannot resolve", "f64 or i64")
    fails(function() rl.fuse { streams = { { src = s, src_times = rl.tensor(abs, { 1, n }) } }, tgt_times = rl.tensor({ abs[10] }, { 1, 1 }) } end,
      "streams[1].src_times", "f32")
    local o = rl.resample(s, rl.tensor(rel, { 1, n }), rl.tensor({ 0.095 }, { 1, 1 })):totable()
    spec.near(o[1], 10.5, 1e-4, "rebased f32 interpolates")
    -- the boundary: 1 kHz in f32 seconds is fine below 256 s (ulp 2^-16 s, 64 ulps < 1 ms) and not above
    local function khz(start)
      local t = {}
      for k = 1, n do t[k] = start + (k - 1) / 1000 end
      return rl.tensor(t, { 1, n })
    end
    rl.resample(s, khz(200), rl.tensor({ 200.05 }, { 1, 1 }))
    fails(function() rl.resample(s, khz(300), rl.tensor({ 300.05 }, { 1, 1 })) end, "src_times", "cannot resolve")
    -- the target clock is checked too
    fails(function()
      rl.resample(s, rl.tensor(rel, { 1, n }), rl.tensor({ 1730000000, 1730000000.02, 1730000000.04 }, { 1, 3 }))
    end, "tgt_times", "f64 or i64")
  end)
  it("an epoch clock gives the same bytes as the same data rebased (f64 and i64)", function()
    for _, clock in ipairs { "epoch_f64", "epoch_i64" } do
      local e = episodes { clock = clock, seed = 21 }
      local B = e.tgt_times.shape[1]
      local function rebase(t)
        local v, S = t:totable(), t.shape[2]
        local first = e.tgt_times:totable()
        for b = 0, B - 1 do
          local base = clock == "epoch_i64" and first[b * e.tgt_times.shape[2] + 1] or math.floor(first[b * e.tgt_times.shape[2] + 1])
          for i = 1, S do v[b * S + i] = v[b * S + i] - base end
        end
        return rl.tensor(v, t.shape, t.dtype)
      end
      local r = { tgt_times = rebase(e.tgt_times), tgt_len = e.tgt_len, streams = {} }
      for k, s in ipairs(e.streams) do
        r.streams[k] = { src = s.src, src_times = rebase(s.src_times), src_len = s.src_len, modes = s.modes }
      end
      spec.truthy(rl.fuse(e):bytes() == rl.fuse(r):bytes(), clock .. ": bit-identical to rebased")
    end
  end)
  it("the epoch clocks agree with the relative f32 clock within f32 time rounding", function()
    local rel = rl.fuse(episodes { clock = "relative", seed = 4, ragged = false }):totable()
    for _, clock in ipairs { "epoch_f64", "epoch_i64" } do
      local o = rl.fuse(episodes { clock = clock, seed = 4, ragged = false }):totable()
      for i = 1, #o do
        if not (math.abs(o[i] - rel[i]) <= 2e-3) then error(string.format("%s element %d: %g vs %g", clock, i, o[i], rel[i])) end
      end
    end
  end)
  it("i64 tensors hold integers exactly; totable returns integers", function()
    local big = 1730000000123456789
    local t = rl.tensor({ big, -3 }, { 2 }, "i64"):totable()
    eq(t[1], big, "exact"); eq(math.type(t[1]), "integer", "an integer")
    eq(rl.tensor({ 7 }, { 1 }, "i32"):totable()[1], 7)
    fails(function() rl.tensor({ 1.5 }, { 1 }, "i64") end, "values[1]", "not an integer")
    fails(function() rl.tensor({ 2 ^ 40 }, { 1 }, "i32") end, "values[1]", "i32")
  end)
end)

describe("ragged batches", function()
  it("padding is never read and padded targets get the fill value", function()
    local e = episodes { seed = 9 }
    local clean = rl.fuse(e)
    -- poison every padded source sample and time, and every padded target time
    local function poison(t, lens, inner, value)
      local v, S = t:totable(), t.shape[2]
      local l = lens:totable()
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
    local got = rl.fuse(p)
    spec.truthy(got:bytes() == clean:bytes(), "same bytes as with clean padding")
    local o, T, D = got:totable(), e.tgt_times.shape[2], got.shape[3]
    local tl = e.tgt_len:totable()
    for b = 0, e.tgt_times.shape[1] - 1 do
      for t = 0, T - 1 do
        for d = 1, D do
          local v = o[(b * T + t) * D + d]
          if t >= tl[b + 1] then spec.truthy(v ~= v, "padded rows hold the fill (NaN)")
          else spec.truthy(v == v, "valid rows are finite") end
        end
      end
    end
    p.fill = 0
    local z = rl.fuse(p):totable()
    for b = 0, e.tgt_times.shape[1] - 1 do
      for t = tl[b + 1], T - 1 do eq(z[(b * T + t) * D + 1], 0, "fill = 0") end
    end
  end)
  it("lengths as i32 tensors and Lua arrays give the same result", function()
    local e = episodes { seed = 10 }
    local a = rl.fuse(e):bytes()
    e.tgt_len = rl.tensor(e.tgt_len:totable(), { e.tgt_len.shape[1] }, "i32")
    for _, s in ipairs(e.streams) do s.src_len = s.src_len:totable() end
    spec.truthy(rl.fuse(e):bytes() == a, "same bytes")
  end)
  it("rl.mask marks the valid targets", function()
    local m = rl.mask({ 2, 0, 3 }, 3):totable()
    local want = { 1, 1, 0, 0, 0, 0, 1, 1, 1 }
    for i = 1, 9 do eq(m[i], want[i], "mask " .. i) end
    eq(rl.mask(rl.tensor({ 1 }, { 1 }, "i64"), 2, { dtype = "bf16" }).dtype, "bf16")
  end)
  it("rl.mask refuses a length outside [0, T] (a wrong T or a wrong length)", function()
    spec.fails(function() rl.mask({ 1, 9 }, 5) end, "lengths[2]: 9 is outside [0, T] = [0, 5]")
    spec.fails(function() rl.mask({ -1, 2 }, 5) end, "lengths[1]: -1 is outside [0, T] = [0, 5]")
    spec.fails(function() rl.mask(rl.tensor({ 2, 6 }, { 2 }, "i32"), 5) end, "lengths: row 1 is 6, outside [0, T] = [0, 5]")
    eq(#rl.mask({ 0, 5 }, 5), 10, "the bounds themselves are valid")
  end)
end)

describe("fusion", function()
  it("fused equals each stream resampled alone (bytes), and launch = per_stream equals fused", function()
    local e = episodes { seed = 12 }
    local fused = rl.fuse(e)
    local o, D = fused:totable(), fused.shape[3]
    local off = 0
    for k, s in ipairs(e.streams) do
      local alone = rl.fuse { streams = { s }, tgt_times = e.tgt_times, tgt_len = e.tgt_len }:totable()
      local Dk = s.src.shape[3]
      for r = 0, #alone // Dk - 1 do
        for d = 1, Dk do
          local a, f = alone[r * Dk + d], o[r * D + off + d]
          if not (a == f or (a ~= a and f ~= f)) then error(string.format("stream %d row %d channel %d", k, r, d)) end
        end
      end
      off = off + Dk
    end
    e.launch = "per_stream"
    spec.truthy(rl.fuse(e):bytes() == fused:bytes(), "per_stream launch")
  end)
  it("a dense all-linear f32 stream is bit-identical to the fast path", function()
    local tr = rl.trajectories { batch = 4, source_len = 300, target_len = 170, dim = 24, dtype = "f32", seed = 13 }
    local fast = rl.resample(tr.src, tr.src_times, tr.tgt_times)
    local general = rl.fuse { streams = { { src = tr.src, src_times = tr.src_times } }, tgt_times = tr.tgt_times }
    spec.truthy(general:bytes() == fast:bytes(), "same bytes")
    local bf = rl.trajectories { batch = 2, source_len = 100, target_len = 77, dim = 16, dtype = "bf16", seed = 14 }
    local g = rl.fuse { streams = { { src = bf.src, src_times = bf.src_times } }, tgt_times = bf.tgt_times, dtype = "bf16" }
    spec.truthy(g:bytes() == rl.resample(bf.src, bf.src_times, bf.tgt_times):bytes(), "bf16 same bytes")
  end)
  it("rl.resample with modes or lengths takes the general path; out and threads work", function()
    local e = episodes { seed = 15 }
    local s = e.streams[3]
    local out = rl.empty({ 3, e.tgt_times.shape[2], 10 }, "f32")
    local o = rl.resample(s.src, s.src_times, e.tgt_times, { modes = s.modes, src_len = s.src_len, tgt_len = e.tgt_len, out = out, threads = 2 })
    spec.truthy(o == out, "returns opts.out")
    spec.truthy(out:bytes() == rl.fuse { streams = { s }, tgt_times = e.tgt_times, tgt_len = e.tgt_len }:bytes(), "same as fuse")
  end)
  it("thread count does not change the bytes", function()
    local e = episodes { seed = 16, batch = 7 }
    local a = rl.fuse(e):bytes()
    for _, n in ipairs { 1, 2, 5 } do
      e.threads = n
      spec.truthy(rl.fuse(e):bytes() == a, n .. " threads")
    end
  end)
  it("bench.fuse times the CPU pass in C", function()
    local e = episodes { seed = 17 }
    for _, launch in ipairs { "fused", "per_stream" } do
      local r = rl.bench.fuse(e, { warmup = 1, repeats = 3, launch = launch })
      eq(#r.samples_ms, 3); eq(r.backend, "cpu"); eq(r.launch, launch)
      spec.truthy(r.samples_ms[1] > 0 and r.threads >= 1, "samples and threads")
    end
    fails(function() rl.bench.fuse(e, { backend = "reference" }) end, "not timed")
    fails(function() rl.bench.fuse(e, { mode = "graph" }) end, "graph")
    -- the timed-loop options are read as rl.bench.resample reads them (one reader, args.c)
    fails(function() rl.bench.fuse(e, { repeats = 0 }) end, "opts.repeats", "out of range")
    fails(function() rl.bench.fuse(e, { warmup = 1.5 }) end, "opts.warmup", "1.5")
    fails(function() rl.bench.fuse(e, { mode = "warm" }) end, "opts.mode", "warm")
    fails(function() rl.bench.fuse(e, { rotate = 2 }) end, "opts.rotate", "cuda")
    fails(function() rl.bench.fuse(e, { nvtx = 1 }) end, "opts.nvtx", "string")
    local g = rl.bench.fuse(e, { warmup = 0, repeats = 2, mode = "cold" })
    eq(g.mode, "cold"); eq(g.warmup, 0); eq(g.sm_clock_mhz, nil)
  end)
end)

describe("robot_episodes", function()
  it("is deterministic, and seeds differ", function()
    local a, b, c = episodes { seed = 1 }, episodes { seed = 1 }, episodes { seed = 2 }
    for k = 1, 4 do
      spec.truthy(a.streams[k].src:bytes() == b.streams[k].src:bytes(), "values")
      spec.truthy(a.streams[k].src_times:bytes() == b.streams[k].src_times:bytes(), "times")
      spec.truthy(a.streams[k].src:bytes() ~= c.streams[k].src:bytes(), "seed changes values")
    end
  end)
  it("pins its bytes (a change here changes every fusion benchmark's data)", function()
    local e = rl.robot_episodes { batch = 1, duration_s = 0.1, seed = 42, streams = { { rate = 50, dim = 1 } } }
    local t, v = e.streams[1].src_times:totable(), e.streams[1].src:totable()
    eq(string.format("%.9g %.9g %.9g", t[1], t[5], v[3]), "0.703195632 0.783115625 0.907729566")
  end)
  it("quaternions are unit norm, discrete channels are small integers, lengths are in range", function()
    local e = episodes { seed = 3 }
    local q = e.streams[3].src:totable()
    for r = 0, #q // 10 - 1 do
      for g = 2, 6, 4 do
        local n = 0
        for j = 1, 4 do n = n + q[r * 10 + g + j] ^ 2 end
        spec.near(n, 1, 1e-6, "unit quaternion")
      end
    end
    local ev = e.streams[4].src:totable()
    for i, v in ipairs(ev) do
      local levels = (i % 2 == 1) and 2 or 4
      spec.truthy(v == math.floor(v) and v >= 0 and v < levels, "discrete value")
    end
    for k, s in ipairs(e.streams) do
      for _, l in ipairs(s.src_len:totable()) do spec.truthy(l >= 1 and l <= s.src.shape[2], "length of stream " .. k) end
    end
    eq(e.streams[3].modes[1][1], "slerp"); eq(e.streams[4].modes[1][1], "hold")
  end)
  it("epoch clocks are absolute; dense episodes carry no lengths", function()
    local f = episodes { clock = "epoch_f64", ragged = false }
    eq(f.tgt_times.dtype, "f64"); spec.truthy(f.tgt_times:totable()[1] > 1.73e9, "epoch seconds")
    spec.truthy(f.tgt_len == nil and f.streams[1].src_len == nil, "no lengths")
    local i = episodes { clock = "epoch_i64" }
    eq(i.tgt_times.dtype, "i64"); spec.truthy(i.tgt_times:totable()[1] > 1730000000 * 1000000000, "epoch ns")
  end)
  it("the default streams are camera, joints, imu and events", function()
    local e = rl.robot_episodes { batch = 2, duration_s = 1 }
    eq(#e.streams, 4); eq(e.streams[1].name, "camera"); eq(e.streams[3].src.shape[2], 1000)
    eq(e.tgt_times.shape[2], 50); eq(rl.fuse(e).shape[3], 64 + 14 + 10 + 2)
  end)
end)

describe("bad input", function()
  local e = episodes { seed = 30 }
  local function with(stream_index, field, value)
    local s = {}
    for k, v in pairs(e) do s[k] = v end
    s.streams = {}
    for k, st in ipairs(e.streams) do
      s.streams[k] = {}
      for f, v in pairs(st) do s.streams[k][f] = v end
    end
    if stream_index then s.streams[stream_index][field] = value else s[field] = value end
    return s
  end
  it("slerp range not a multiple of 4", function()
    fails(function() rl.fuse(with(3, "modes", { { from = 7, to = 10, "slerp" } })) end,
      "streams[3].modes[1]: range [7, 10) is not a multiple of 4 channels for slerp")
  end)
  it("tables that must be arrays refuse any other key (a loop to #t would skip it silently)", function()
    -- a named range was ignored: the quaternion came out linear (0, 0, 0.5, 0.5)
    fails(function() rl.fuse(with(3, "modes", { imu_quat = { from = 6, to = 10, "slerp" } })) end,
      "streams[3].modes: expected an array of ranges", "got the key imu_quat")
    fails(function() rl.fuse(with(3, "modes", { { from = 6, to = 10, "slerp", chanels = 4 } })) end,
      "streams[3].modes[1]: unknown field chanels")
    fails(function() rl.fuse(with(3, "modes", { { from = 6, to = 10, "slerp", mode = "linear" } })) end,
      "streams[3].modes[1]: the mode is given twice")
    local named = with(nil, "streams", { e.streams[1], imu = e.streams[3] }) -- (imu was dropped from the output)
    fails(function() rl.fuse(named) end, "streams: expected an array of stream tables", "got the key imu")
    fails(function() rl.fuse(with(nil, "streams", e.streams[1])) end, "got the key", "wrap it in a list")
    local lens = {}
    for b = 1, e.tgt_times.shape[1] do lens[b] = 1 end
    lens.extra = 3
    fails(function() rl.fuse(with(nil, "tgt_len", lens)) end, "tgt_len: expected an array of integer lengths, got the key extra")
    fails(function() rl.fuse({ e.streams[1] }, e.tgt_times) end, "fuse: takes one table", "got 2 arguments")
    fails(function() rl.fuse(e, { backend = "cpu" }) end, "fuse: takes one table", "backend=, threads=, launch=, go in that table")
    fails(function() rl.fuse { e.streams[1], tgt_times = e.tgt_times } end, "fuse: unknown field [1]")
  end)
  it("overlapping ranges", function()
    fails(function() rl.fuse(with(1, "modes", { { from = 0, to = 3, "hold" }, { from = 2, to = 5, "nearest" } })) end,
      "streams[1].modes[2]", "overlaps", "[0, 3)")
  end)
  it("range outside the channels, empty range, bad bounds", function()
    fails(function() rl.fuse(with(2, "modes", { { from = 0, to = 4, "hold" } })) end, "streams[2].modes[1]", "outside", "3 channels")
    fails(function() rl.fuse(with(2, "modes", { { from = 2, to = 2, "hold" } })) end, "streams[2].modes[1]", "empty range")
    fails(function() rl.fuse(with(2, "modes", { { from = -1, to = 2, "hold" } })) end, "streams[2].modes[1]", "outside")
    fails(function() rl.fuse(with(2, "modes", { { from = 0.5, to = 2, "hold" } })) end, "streams[2].modes[1]", "from", "integer")
  end)
  it("unknown mode name", function()
    fails(function() rl.fuse(with(1, "modes", { { from = 0, to = 1, "cubic" } })) end, "streams[1].modes[1]", "unknown mode 'cubic'")
    fails(function() rl.fuse(with(1, "modes", "spline")) end, "streams[1].modes[1]", "spline")
  end)
  it("streams whose batch differs", function()
    local small = rl.robot_episodes { batch = 2, duration_s = 0.6, seed = 1, streams = { { rate = 30, dim = 5 } } }
    fails(function() rl.fuse(with(2, "src", small.streams[1].src)) end, "streams[2].src", "batch 2", "batch 3")
  end)
  it("lengths longer than the padded size, negative, wrong count", function()
    local S = e.streams[1].src.shape[2]
    fails(function() rl.fuse(with(1, "src_len", { S + 1, 1, 1 })) end, "streams[1].src_len", "row 0", "longer than the padded size " .. S)
    fails(function() rl.fuse(with(4, "src_len", { 1, -2, 1 })) end, "streams[4].src_len", "row 1", "negative")
    fails(function() rl.fuse(with(nil, "tgt_len", { 1, 2, e.tgt_times.shape[2] + 5 })) end, "tgt_len", "row 2", "longer")
    fails(function() rl.fuse(with(1, "src_len", { 1, 1 })) end, "streams[1].src_len", "2 entries", "batch is 3")
    fails(function() rl.fuse(with(1, "src_len", { 1, 5.5, 1 })) end, "streams[1].src_len[2]", "expected an integer length, got 5.5")
    fails(function() rl.fuse(with(1, "src_len", rl.tensor({ 1, 1, 1 }, { 3 }))) end, "streams[1].src_len", "i32 or i64")
  end)
  it("i64 times that overflow when rebased", function()
    local st = rl.tensor({ -4611686018427387904, 0, 4611686018427387904 }, { 1, 3 }, "i64")
    fails(function() rl.resample(rl.tensor(nil, { 1, 3, 1 }), st, rl.tensor({ 0 }, { 1, 1 }, "i64")) end,
      "src_times", "row 0", "2^53", "rebased")
    fails(function()
      rl.fuse { streams = { { src = rl.tensor(nil, { 1, 2, 1 }), src_times = rl.tensor({ 0, 1 }, { 1, 2 }, "i64") } },
        tgt_times = rl.tensor({ 0, 9007199254740993 }, { 1, 2 }, "i64") }
    end, "tgt_times", "row 0", "2^53")
  end)
  it("time dtypes that differ between a stream and tgt_times", function()
    local f64 = rl.tensor(e.streams[2].src_times:totable(), e.streams[2].src_times.shape, "f64")
    fails(function() rl.fuse(with(2, "src_times", f64)) end, "streams[2].src_times", "f64 differs from tgt_times' f32")
  end)
  it("unknown fields, missing fields, too many streams, bad types", function()
    fails(function() rl.fuse(with(1, "src_lens", { 1, 1, 1 })) end, "streams[1]", "unknown field src_lens")
    -- misspelt spec fields and options are named, not ignored (the generator's descriptive fields pass)
    fails(function() rl.fuse(with(nil, "tgt_lenn", e.tgt_len)) end, "fuse: unknown field tgt_lenn", "expected streams, tgt_times")
    fails(function() rl.bench.fuse(e, { repeats = 2, backnd = "cpu" }) end, "bench.fuse: opts: unknown option backnd")
    fails(function() rl.bench.fuse(with(nil, "backend", "cpu"), { repeats = 2 }) end, "bench.fuse: spec: unknown field backend")
    fails(function() rl.fuse(with(1, "src", nil)) end, "streams[1].src", "tensor")
    fails(function() rl.fuse { streams = {}, tgt_times = e.tgt_times } end, "streams", "1 to 8")
    fails(function() rl.fuse { streams = e.streams } end, "tgt_times", "tensor")
    fails(function() rl.fuse(with(nil, "dtype", "f64")) end, "dtype", "f32, bf16 or f16")
    fails(function() rl.fuse(with(nil, "launch", "twice")) end, "launch: unknown launch 'twice'")
    -- rl.fuse's options are fields of its spec: errors name them as written there, not as opts.X
    local ok, err = pcall(rl.fuse, with(nil, "fill", "nan"))
    spec.truthy(not ok and tostring(err):find("fill: expected a number, got string", 1, true) and not tostring(err):find("opts.", 1, true),
      tostring(err))
    ok, err = pcall(rl.fuse, with(nil, "validate", 1))
    spec.truthy(not ok and tostring(err):find("validate: expected a boolean", 1, true) and not tostring(err):find("opts.", 1, true),
      tostring(err))
    ok, err = pcall(rl.bench.fuse, e, { launch = "twice" })
    spec.truthy(not ok and tostring(err):find("opts.launch: unknown launch", 1, true), "bench.fuse's options are opts: " .. tostring(err))
    fails(function() rl.fuse(with(nil, "out", rl.empty({ 1, 1, 1 }))) end, "out", "expected shape")
    fails(function() rl.fuse(with(1, "src_times", rl.tensor(nil, { 3, 2 }))) end, "streams[1].src_times", "expected shape")
  end)
  it("unsorted or NaN source times, with the stream named", function()
    local t = e.streams[2].src_times:totable()
    t[3], t[4] = t[4], t[3]
    fails(function() rl.fuse(with(2, "src_times", rl.tensor(t, e.streams[2].src_times.shape))) end, "streams[2].src_times", "row 0", "non-decreasing")
    t[3] = 0 / 0
    fails(function() rl.fuse(with(2, "src_times", rl.tensor(t, e.streams[2].src_times.shape))) end, "streams[2].src_times", "NaN")
  end)
  it("mixed devices and unavailable backends", function()
    if rl.cuda.available() then
      fails(function() rl.fuse(with(2, "src", e.streams[2].src:to("cuda"))) end, "streams[2].src", "on cuda", "tgt_times is on cpu")
    else
      fails(function() rl.fuse(with(nil, "backend", "cuda")) end, "backend: cuda is not available")
    end
  end)
  it("the resample form names its own arguments", function()
    local s = e.streams[3]
    fails(function() rl.resample(s.src, s.src_times, e.tgt_times, { modes = { { from = 1, to = 3, "slerp" } } }) end,
      "opts.modes[1]", "multiple of 4")
    fails(function() rl.resample(s.src, s.src_times, e.tgt_times, { src_len = { 1, 2, 999999 } }) end, "opts.src_len", "longer")
    fails(function() rl.resample(s.src, s.src_times, e.tgt_times, { modes = "hold", bogus = 1 }) end, "opts", "bogus")
    fails(function() rl.resample(rl.tensor(nil, { 1, 2, 1 }, "i64"), rl.tensor({ 0, 1 }, { 1, 2 }), rl.tensor({ 0 }, { 1, 1 })) end, "src", "i64")
  end)
  it("robot_episodes checks its fields", function()
    fails(function() rl.robot_episodes { duration_s = 1 } end, "batch")
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, clock = "gps" } end, "clock", "gps")
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, streams = { { rate = 10, dim = 6, quat = { from = 0, to = 3 } } } } end,
      "streams[1].quat", "4k")
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, streams = { { rate = -1, dim = 2 } } } end, "streams[1].rate", "positive")
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, jitter = 0.7 } end, "jitter")
    -- a misspelt field is named, not ignored (ragid = true would give dense episodes)
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, ragid = true } end,
      "robot_episodes: unknown field ragid (expected batch, duration_s")
    fails(function() rl.robot_episodes { batch = 1, duration_s = 1, streams = { { rate = 10, dim = 4, quaternion = { from = 0, to = 4 } } } } end,
      "robot_episodes: streams[1]: unknown field quaternion (expected name, rate, dim, quat, discrete, dtype)")
  end)
end)

spec.finish()
