-- The fuse workload (lua/robolua/workloads/fuse.lua) on the CPU: the interface, its byte count (by
-- hand for dense rows, per seed for ragged ones), verification that catches unwritten outputs, wrong
-- padding and wrong modes, and small robot_fusion-like scenarios run by the runner in a subprocess
-- (dense and ragged, relative and epoch i64 clocks; a wrong backend fails verification and is never
-- timed); the robot_fusion scenario's plan equals the cases tools/export_fuse_cases.lua exports.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local lfs = require "lfs"
local cjson = require "cjson"
local w = require "robolua.workloads.fuse"
local zc = require "zero_crossing"
local describe, it = spec.describe, spec.it

-- the robolua binary running this spec (lowest arg index), so sub-runs use the same build
local bin, tmp = spec.binary(), spec.workdir()
local here = arg[0]:match("(.*)/[^/]+$") or "."
if here:sub(1, 1) ~= "/" then here = lfs.currentdir() .. "/" .. here end
local root = here .. "/.."
local sh_quote, read, write, sh, run_scenario = spec.quote, spec.read, spec.write, spec.sh, spec.run_scenario

local function close_all(set) for _, t in ipairs(w.tensors(set)) do t:close() end end

describe("the interface", function()
  it("passes workloads.check, is registered as fuse and declares its per-stream backend", function()
    spec.eq(rl.workloads.check(w, "fuse"), w, "check")
    spec.eq(rl.workloads.get("fuse"), w, "registry")
    spec.eq(w.backends.cuda_per_stream.device, "cuda", "cuda_per_stream")
  end)
  it("config: defaults and the sizes the engine gives (T = duration x policy rate, D = sum of channels)", function()
    local c = w.config({ batch = 3, duration_s = 1 })
    spec.eq(c.target_len, 50, "T")
    spec.eq(c.dim, 64 + 14 + 10 + 2, "D")
    spec.eq(c.clock, "relative")
    spec.eq(c.time_dtype, "f32")
    spec.eq(c.ragged, false)
    spec.eq(c.dtype .. c.out_dtype, "f32f32")
    spec.eq(w.config({ batch = 1, duration_s = 1, clock = "epoch_i64" }).time_dtype, "i64", "epoch clock")
    spec.eq(w.label(c), "B=3 robot4 1s@50Hz T=50 D=90 f32 relative")
    spec.eq(w.case_name(w.config({ batch = 8, duration_s = 2.5, ragged = true })), "robot4_b8_2p5s_50hz_f32_relative_ragged")
  end)
  it("config errors name the axis", function()
    spec.fails(function() w.config({}) end, "needs the axis batch")
    spec.fails(function() w.config({ batch = 0 }) end, "axis batch", "positive integer")
    spec.fails(function() w.config({ batch = 2, duration_s = -1 }) end, "axis duration_s")
    spec.fails(function() w.config({ batch = 2, streams = "robot5" }) end, "axis streams", "robot5", "robot4")
    spec.fails(function() w.config({ batch = 2, clock = "utc" }) end, "axis clock", "epoch_i64")
    spec.fails(function() w.config({ batch = 2, dtype = "f64" }) end, "axis dtype")
    spec.fails(function() w.config({ batch = 2, ragged = "yes" }) end, "axis ragged")
    spec.fails(function() w.config({ batch = 2, shape = { 2, 3, 4 } }) end, "axis shape", "batch, duration_s")
    spec.fails(function() w.config({ batch = 2 }, { case = function() end }) end, "axis batch", "a scenario with a case makes its own streams")
    w.presets.spec_dup = { { name = "a", rate = 10, dim = 1 }, { name = "a", rate = 20, dim = 1 } }
    spec.fails(function() w.config({ batch = 2, streams = "spec_dup" }) end, "streams[2]", "a second stream named 'a'")
    w.presets.spec_dup = nil
  end)
  it("config raises the engine's error at plan time: 1 kHz f32 seconds beyond 256 s", function()
    w.presets.spec_imu = { { name = "imu", rate = 1000, dim = 1 } }
    spec.fails(function() w.config({ batch = 1, duration_s = 300, streams = "spec_imu" }) end, "f32 cannot resolve")
    spec.eq(w.config({ batch = 1, duration_s = 300, streams = "spec_imu", clock = "epoch_i64" }).target_len, 15000, "i64 is fine")
    w.presets.spec_imu = nil
  end)
end)

describe("bytes", function()
  it("dense rows: the documented formula, by hand", function()
    -- B=2, 1 s: T=50; camera 30 x 64, joints 500 x 14, imu 1000 x 10 (linear+slerp), events 100 x 2 (hold)
    local B, T = 2, 50
    local want = B * T * 90 * 4                        -- the output
      + B * T * 4 + B * (30 + 500 + 1000 + 100) * 4       -- every target and source time
      + B * 64 * math.min(30, 2 * T) * 4                  -- camera rows, two per target at most
      + B * 14 * math.min(500, 2 * T) * 4 + B * 10 * math.min(1000, 2 * T) * 4
      + B * 2 * math.min(100, T) * 4                      -- events held: one row per target
    local c = w.config({ batch = B, duration_s = 1 })
    spec.eq(w.bytes(c), want, "bytes")
    local e = w.inputs(c, 5)
    spec.eq(w.min_bytes(e), want, "min_bytes of the generated episodes")
    close_all(e)
    local c64 = w.config({ batch = B, duration_s = 1, clock = "epoch_i64" })
    spec.eq(w.bytes(c64) - want, (B * T + B * 1630) * 4, "i64 times: 4 more bytes per time")
  end)
  it("ragged rows: exact per seed (lengths by hand), the mean over the definition's seeds", function()
    local c = w.config({ batch = 5, duration_s = 1, ragged = true }, { seeds = { 3 } })
    local e = w.inputs(c, 3)
    local tl = e.tgt_len:totable()
    local want = 5 * 50 * 90 * 4 + 5 * 5 * 8 -- the output, the five i64 length arrays
    local chans = { { 64, 0 }, { 14, 0 }, { 10, 0 }, { 0, 2 } } -- two-row and one-row channels per stream
    for b = 1, 5 do want = want + tl[b] * 4 end
    for k, s in ipairs(e.streams) do
      local sl = s.src_len:totable()
      for b = 1, 5 do
        want = want + sl[b] * 4 + 4 * (chans[k][1] * math.min(sl[b], 2 * tl[b]) + chans[k][2] * math.min(sl[b], tl[b]))
      end
    end
    spec.eq(w.bytes(c), want, "one seed: exact")
    spec.eq(w.min_bytes(e), want, "min_bytes")
    spec.truthy(want < w.bytes(w.config({ batch = 5, duration_s = 1 })), "fewer than dense rows")
    close_all(e)
    local c2 = w.config({ batch = 5, duration_s = 1, ragged = true }, { seeds = { 3, 11 } })
    local e11 = w.inputs(c2, 11)
    spec.near(w.bytes(c2), (want + w.min_bytes(e11)) / 2, 0.5, "two seeds: the mean")
    close_all(e11)
  end)
end)

describe("verification", function()
  local c = w.config({ batch = 4, duration_s = 1, ragged = true, clock = "epoch_i64" })
  local inputs = w.inputs(c, 2)
  local ref = w.reference(inputs, c)
  local out = w.output(c, inputs, "cpu")
  local padded = 0
  for _, n in ipairs(inputs.tgt_len:totable()) do padded = padded + (c.target_len - n) * c.dim end
  it("the CPU pass verifies; padded targets hold NaN and compare as NaN", function()
    spec.truthy(padded > 0, "this seed has padding")
    w.poison(out)
    w.run("cpu", inputs, out, c, {})
    local r = w.compare(out, ref, c)
    spec.truthy(r.ok, "ok: " .. tostring(r.bad) .. " bad")
    spec.eq(r.nonfinite, padded, "NaN exactly at the padding")
    spec.eq(r.count, 4 * 50 * 90, "every element compared")
  end)
  it("an unwritten output fails: the poison is not the fill", function()
    w.poison(out)
    local r = w.compare(out, ref, c)
    spec.eq(r.bad, r.count, "every element wrong")
  end)
  it("padding written with another value fails, only there", function()
    rl.fuse { streams = inputs.streams, tgt_times = inputs.tgt_times, tgt_len = inputs.tgt_len, out = out, fill = 0 }
    spec.eq(w.compare(out, ref, c).bad, padded, "the padded elements")
  end)
  it("a wrong mode fails: everything nearest instead of linear, slerp and hold", function()
    local streams = {}
    for k, s in ipairs(inputs.streams) do streams[k] = { src = s.src, src_times = s.src_times, src_len = s.src_len, modes = "nearest" } end
    rl.fuse { streams = streams, tgt_times = inputs.tgt_times, tgt_len = inputs.tgt_len, out = out }
    spec.truthy(w.compare(out, ref, c).bad > 0, "caught")
  end)
  it("bf16 values and output verify within one bf16 ulp", function()
    local cb = w.config({ batch = 2, duration_s = 1, dtype = "bf16", out_dtype = "bf16" })
    local e = w.inputs(cb, 0)
    local o = w.output(cb, e, "cpu")
    spec.eq(o.dtype, "bf16")
    w.run("cpu", e, o, cb, {})
    local r = w.compare(o, w.reference(e, cb), cb)
    spec.truthy(r.ok and r.max_ulp_err <= 1, "max ulp " .. tostring(r.max_ulp_err))
    close_all(e)
  end)
  it("inputs and the reference refilled in place equal fresh ones", function()
    local fresh = w.inputs(c, 9)
    local reused = w.inputs(c, 9, nil, w.inputs(c, 1))
    local a, b = w.tensors(fresh), w.tensors(reused)
    spec.eq(#a, #b, "tensors")
    for i = 1, #a do spec.eq(a[i]:bytes(), b[i]:bytes(), "tensor " .. i) end
    local old = w.reference(inputs, c)
    spec.eq(w.reference(reused, c, old), old, "the reference buffer reused")
    spec.eq(old:bytes(), w.reference(fresh, c):bytes(), "the new seed's reference")
    close_all(fresh)
    close_all(reused)
  end)
  it("backends: the reference is refused, a resample-only registered backend is named with what it lacks", function()
    spec.fails(function() w.run("reference", inputs, out, c, {}) end, "yardstick")
    rl.backends.register("spec_resample_only", { device = "cpu", resample = function() end, bench = function() end })
    spec.fails(function() w.run("spec_resample_only", inputs, out, c, {}) end, "spec_resample_only", "has no fuse",
      "cpu, cuda and cuda_per_stream")
    spec.fails(function() w.time("spec_resample_only", inputs, out, c, { warmup = 0, repeats = 1 }) end, "has no bench_fuse")
  end)
  it("time: CPU samples from rl.bench.fuse", function()
    local b = w.time("cpu", inputs, out, c, { warmup = 0, repeats = 2 })
    spec.eq(#b.samples_ms, 2, "samples")
    spec.truthy(b.threads >= 1, "threads")
  end)
end)

describe("verification: the f32 bound follows the lerp's operands (doc/reliability.md item 9)", function()
  -- tests/lib/zero_crossing.lua's case, the one spec_reliability.lua checks on rl.resample, as stream 1's
  -- channel 0: linear from 37.3 to -0.7 (a zero crossing at t = 37.3 / 38), 2000 targets across the
  -- crossing, all inside (0.97, 0.992). Added for the fused pass: stream 1's channel 1 held at 500 then
  -- -500; stream 2: small linear values with a sample at 0.98.
  local T, u = zc.T, zc.u
  local inputs = {
    streams = {
      { src = rl.tensor({ zc.a, 500, zc.b, -500 }, { 1, 2, 2 }), src_times = rl.tensor({ 0, 1 }, { 1, 2 }),
        modes = { { from = 1, to = 2, mode = "hold" } } },
      { src = rl.tensor({ 0.1, 0.2, 0.3 }, { 1, 3, 1 }), src_times = rl.tensor({ 0, 0.98, 1 }, { 1, 3 }) },
    },
    tgt_times = rl.tensor(zc.targets(), { 1, T }),
  }
  local c = { out_dtype = "f32" }
  local ref = w.reference(inputs, c)
  local out = rl.fuse { streams = inputs.streams, tgt_times = inputs.tgt_times } -- the CPU pass
  local src1 = inputs.streams[1].src:totable() -- f32 values: 37.3 and -0.7 as rounded
  local a, b = src1[1], src1[3]
  local want0, bound0 = zc.bounds(a, b, inputs.tgt_times:totable()) -- channel 0's, in float64
  local function with(values) return rl.tensor(values, { 1, T, 3 }, "f32") end
  it("the CPU pass verifies; the output-relative rule alone would reject it near the crossing", function()
    local r = w.compare(out, ref, c)
    spec.eq(r.bad, 0, "elements failing the operand-relative bound")
    spec.eq(r.orel, 8 * u, "orel")
    spec.truthy(rl.compare(out, ref, { rtol = 1e-6, atol = 1e-6 }).bad > 0, "1e-6 + 1e-6 |want| fails correct output")
  end)
  it("the reference reports each element's operands: |a| + |b| on linear channels, 0 on held ones", function()
    local sums = rl.empty({ 1, T, 3 }, "f64")
    rl.fuse { streams = inputs.streams, tgt_times = inputs.tgt_times, backend = "reference", operands = sums }
    local v = sums:totable()
    for i = 1, T do
      spec.eq(v[3 * i - 2], math.abs(a) + math.abs(b), "linear channel, target " .. i)
      spec.eq(v[3 * i - 1], 0, "held channel, target " .. i)
    end
    spec.near(v[3], 0.1 + 0.2, 1e-7, "stream 2 before its middle sample: 0.1 and 0.2")
    spec.near(v[3 * T], 0.2 + 0.3, 1e-7, "stream 2 after it: 0.2 and 0.3")
  end)
  it("an output wrong by more than the bound still fails, element for element", function()
    local got, expected = out:totable(), 0
    for i = 1, T do got[3 * i - 2] = got[3 * i - 2] + zc.perturbation(i, bound0) end
    local wrong = with(got)
    local v = wrong:totable()
    for i = 1, T do if math.abs(v[3 * i - 2] - want0[i]) > bound0[i] then expected = expected + 1 end end
    spec.truthy(expected > T // 3 * 0.9, "the perturbations survive f32 rounding: " .. expected)
    spec.eq(w.compare(wrong, ref, c).bad, expected, "elements beyond the independent bound")
  end)
  it("a held element gets no operand term: 8e-4 off 500 fails (|a| + |b| = 1000 would have allowed it)", function()
    local got = out:totable()
    got[2] = got[2] + 8e-4
    local r = w.compare(with(got), ref, c)
    spec.eq(r.bad, 1, "one element wrong")
    spec.eq(r.first_bad, 2, "the held one")
  end)
  it("operands and operand_sums are checked", function()
    local spec_of = function(extra)
      local t = { streams = inputs.streams, tgt_times = inputs.tgt_times }
      for k, v in pairs(extra) do t[k] = v end
      return t
    end
    spec.fails(function() rl.fuse(spec_of { operands = rl.empty({ 1, T, 3 }, "f64") }) end, "operands", "reference")
    spec.fails(function() rl.fuse(spec_of { backend = "reference", operands = rl.empty({ 1, T, 2 }, "f64") }) end,
      "operands: expected a host f64 tensor [1," .. T .. ",3]")
    spec.fails(function() rl.fuse(spec_of { backend = "reference", operands = 5 }) end, "operands", "tensor")
    spec.fails(function() rl.compare(out, ref, { operand_sums = rl.empty({ 3 }, "f64") }) end, "opts.operand_sums",
      tostring(3 * T) .. " elements")
    spec.fails(function() rl.compare(out, ref, { operand_sums = rl.empty({ 1, T, 3 }) }) end, "opts.operand_sums", "f64")
  end)
end)

local tiny = [[
local rl = require "robolua"
local function nearest_everywhere(self, s, opts)
  local streams = {}
  for k, st in ipairs(s.streams) do streams[k] = { src = st.src, src_times = st.src_times, src_len = st.src_len, modes = "nearest" } end
  return rl.fuse { streams = streams, tgt_times = s.tgt_times, tgt_len = s.tgt_len, out = s.out, dtype = s.dtype }
end
return rl.scenario {
  name = "fusion", workload = "fuse", seeds = { 0, 1 }, warmup = 1, repeats = 3, roofline = false, %s
  axes = { batch = { 3 }, duration_s = { 1 }, clock = { "relative", "epoch_i64" }, ragged = { false, true },
    backend = { "cpu", "cuda", "cuda_per_stream" %s } },
  backends = {
    wrong = { device = "cpu", resample = function() end, bench = function() end, fuse = nearest_everywhere,
      bench_fuse = function() error("a backend that failed verification was timed") end },
    resample_only = { device = "cpu", resample = function() end, bench = function() end },
  },
  speedup_base = "cuda_per_stream",
  gates = { rl.gate.variance { max_pct = 1000 } },
}
]]

describe("a robot_fusion-like scenario, CPU, seed after seed (inputs and references refilled)", function()
  local code, output, dir = run_scenario("good", tiny:format("interleave = 1,", "")) -- seed after seed: buffers refilled
  local doc = dir and require("robolua.json").decode(read(dir .. "/results.json"))
  it("exits 0 with every report written", function()
    spec.eq(code, 0, "exit code\n" .. output)
    for _, f in ipairs { "results.csv", "results.json", "report.md", "report.html" } do
      spec.truthy(lfs.attributes(dir .. "/" .. f), f)
    end
  end)
  it("JSON: valid against its schema", function()
    local ok, err = require("robolua.reports.json").validate(doc)
    spec.truthy(ok, "schema: " .. tostring(err))
    spec.eq(doc.workload, "fuse")
  end)
  it("Markdown: the fuse workload's compare rule", function()
    spec.truthy(read(dir .. "/report.md"):find("on linear channels, a and b the two source samples of the element's lerp", 1, true))
  end)
  it("dense, ragged, relative and epoch i64 points verified and timed on the CPU", function()
    local seen = {}
    for _, r in ipairs(doc.results) do
      if r.backend == "cpu" then
        spec.eq(r.status, "ok", r.key)
        spec.eq(r.interleave, "coarse", "seed after seed")
        for _, s in ipairs(r.seeds) do
          spec.truthy(s.verification.ok, r.key .. " verified")
          spec.eq(#s.samples_ms, 3, r.key .. " samples")
        end
        seen[r.config.clock .. (r.config.ragged and "/ragged" or "/dense")] = true
      elseif not rl.cuda.available() then
        spec.eq(r.status, "skipped", r.backend .. " without a GPU")
      end
    end
    for _, k in ipairs { "relative/dense", "relative/ragged", "epoch_i64/dense", "epoch_i64/ragged" } do spec.truthy(seen[k], k) end
  end)
  it("bytes as documented: the workload's count, over the scenario's seeds", function()
    for _, r in ipairs(doc.results) do
      spec.eq(r.bytes, w.bytes(w.config(r.point, { seeds = { 0, 1 } })), r.key)
      if not r.config.ragged then
        local e = w.inputs(r.config, 0)
        spec.eq(r.bytes, w.min_bytes(e), r.key .. ": dense rows are exact")
        close_all(e)
      end
    end
  end)
end)

describe("a wrong fuse backend in a scenario", function()
  local code, output, dir = run_scenario("wrong", tiny:format("", ', "wrong", "resample_only"'))
  local doc = dir and require("robolua.json").decode(read(dir .. "/results.json"))
  it("fails the verified gate (exit 1)", function()
    spec.eq(code, 1, "exit code\n" .. output)
    spec.truthy(read(dir .. "/report.md"):find("FAILED_VERIFICATION", 1, true), "shown in the report")
  end)
  it("fails verification and is never timed; a backend without fuse methods errors with the reason", function()
    local n = 0
    for _, r in ipairs(doc.results) do
      if r.backend == "wrong" then
        n = n + 1
        spec.eq(r.status, "failed_verification", r.key)
        spec.truthy(r.reason:find("elements wrong", 1, true), r.reason)
        for _, s in ipairs(r.seeds) do spec.eq(#s.samples_ms, 0, "no samples") end
      elseif r.backend == "resample_only" then
        spec.eq(r.status, "error", r.key)
        spec.truthy(r.reason:find("has no fuse", 1, true), r.reason)
      elseif r.backend == "cpu" then
        spec.eq(r.status, "ok", "cpu next to it")
      end
    end
    spec.eq(n, 4, "every point")
  end)
end)

describe("your own streams: a scenario's case returns the fuse spec (examples/robot/own_streams.lua)", function()
  local code, out = sh(string.format("cd %s && %s -q -o %s --backend cpu examples/robot/own_streams.lua 2>&1", sh_quote(root),
    sh_quote(bin), sh_quote(tmp .. "/own")))
  local dir
  for e in lfs.dir(tmp .. "/own") do if e:match("^own_streams%-") then dir = tmp .. "/own/" .. e end end
  it("the example runs: every point verified and timed, sizes and bytes from the case's tensors", function()
    spec.eq(code, 0, out)
    local doc = cjson.decode(read(dir .. "/results.json"))
    spec.eq(#doc.results, 2, "two episode counts, the CPU")
    for _, r in ipairs(doc.results) do
      spec.eq(r.status, "ok", r.key .. ": " .. tostring(r.reason))
      spec.truthy(r.label:find("T=200 D=22 f32 i64 times (custom case)", 1, true), r.label)
      spec.truthy(r.bytes and r.bytes > 0, "a byte count")
    end
  end)
  local def = { case = function(c, seed)
    local e = rl.robot_episodes { batch = 2, duration_s = 1, seed = seed + (c.extra and c.extra.shift or 0), clock = "epoch_i64", ragged = true }
    e.duration_s, e.policy_hz, e.clock, e.time_dtype = nil, nil, nil, nil
    return e
  end }
  it("config and inputs: the byte count is the spec's own (w.min_bytes), the case's tensors are never closed", function()
    local c = w.config({}, def)
    spec.eq(w.label(c), "(custom case)")
    spec.eq(w.bytes(c), nil, "unknown before the case runs")
    local set = w.inputs(c, 0, def)
    spec.eq(c.batch, 2); spec.eq(c.dim, 90); spec.eq(c.time_dtype, "i64")
    spec.eq(w.bytes(c), w.min_bytes(set), "the spec's own count")
    spec.eq(#w.tensors(set), 0, "the runner closes none of them")
    local ref = w.reference(set, c)
    local cpu = w.output(c, set, "cpu")
    w.poison(cpu)
    w.run("cpu", set, cpu, c, {})
    spec.truthy(w.compare(cpu, ref, c).ok, "verified")
  end)
  it("errors: generator axes, a case that returns no spec, a seed with other sizes", function()
    spec.fails(function() w.config({ batch = 4 }, def) end, "axis batch", "only out_dtype")
    spec.fails(function() w.config({ clock = "epoch_i64" }, def) end, "axis clock")
    local bad = { case = function() return { src = 1 } end }
    spec.fails(function() w.inputs(w.config({}, bad), 0, bad) end, "case(config, seed) must return a fuse spec")
    local host = { case = function() local e = def.case({}, 0); e.tgt_times = e.tgt_times:to("cpu"); e.streams[1].src = 5; return e end }
    spec.fails(function() w.inputs(w.config({}, host), 0, host) end, "streams[1].src must be a host tensor")
    local n = 0
    local grows = { case = function() n = n + 1; return rl.robot_episodes { batch = n, duration_s = 1 } end }
    local c = w.config({}, grows)
    w.inputs(c, 0, grows)
    spec.fails(function() w.inputs(c, 1, grows) end, "seed 1 returned [2, 50, 90]", "another seed [1, 50, 90]")
  end)
end)

describe("tools/export_fuse_cases.lua", function()
  -- runs the tool from the repository with `args` (a shell string) -> exit code, output
  local function export(args)
    return sh(string.format("cd %s && %s tools/export_fuse_cases.lua %s", sh_quote(root), sh_quote(bin), args))
  end
  local good = "scenario=" .. sh_quote(tmp .. "/good/scenario.lua")
  it("writes a scenario's cases with its first seed: the files the peer reads and robolua's CPU output", function()
    local out = tmp .. "/export"
    local code, text = export(sh_quote(out) .. " " .. good)
    spec.eq(code, 0, "export\n" .. text)
    local index = cjson.decode(read(out .. "/cases.json"))
    spec.eq(#index, 4, "dense/ragged x relative/epoch_i64")
    for _, entry in ipairs(index) do
      local c = w.config({ batch = 3, duration_s = 1, clock = entry.clock, ragged = entry.ragged }, { seeds = { 0, 1 } })
      spec.eq(entry.name, w.case_name(c), "named by the workload")
      spec.eq(entry.seed, 0, "the first seed")
      local e = w.inputs(c, 0)
      local o = w.run("cpu", e, w.output(c, e, "cpu"), c, {})
      spec.eq(read(out .. "/" .. entry.name .. "/ref"), o:bytes(), entry.name .. ": ref")
      spec.eq(read(out .. "/" .. entry.name .. "/s3.st"), e.streams[3].src_times:bytes(), entry.name .. ": imu times")
      spec.eq(lfs.attributes(out .. "/" .. entry.name .. "/tlen") ~= nil, entry.ragged, "lengths only when ragged")
      spec.eq(cjson.encode(entry.streams[3].modes), '[[0,4,"slerp"]]', "imu modes")
      close_all(e)
    end
  end)
  it("small-only writes the quick check's case alone (8 episodes of 2 s)", function()
    local out = tmp .. "/export-small"
    local code, text = export(sh_quote(out) .. " small-only " .. good)
    spec.eq(code, 0, "export\n" .. text)
    local index = cjson.decode(read(out .. "/cases.json"))
    spec.eq(#index, 1, "one case")
    spec.truthy(index[1].name:find("_b8_2s_", 1, true), "the small case: " .. index[1].name)
    local bad = export(sh_quote(out) .. " small-only extra")
    spec.eq(bad, 2, "a second folder is a usage error")
  end)
end)

describe("kernel variants as the tools name them (robolua.fuse_variant)", function()
  local variant = require "robolua.fuse_variant"
  it("a kernel name, or vK/N with N targets per block", function()
    local name, targets = variant.parse("tool", "kernel", "v2")
    spec.eq(name, "v2"); spec.eq(targets, 0, "automatic")
    name, targets = variant.parse("tool", "kernel", "v3/64")
    spec.eq(name, "v3"); spec.eq(math.type(targets), "integer", "an integer"); spec.eq(targets, 64)
  end)
  it("bad forms are errors naming the script, the argument and the word", function()
    for _, c in ipairs {
      { "x3", "tool: kernel=x3: expected a kernel name" },
      { "v3/", "tool: kernel=v3/: N (targets per block) must be a positive integer, got ''" },
      { "v3/0", "got '0'" },
      { "v3/-4", "got '-4'" },
      { "v3/1.5", "got '1.5'" },
      { "v3/32x", "got '32x'" },
      { "v3/99999999999999999999", "must be a positive integer" },
    } do
      spec.fails(function() variant.parse("tool", "kernel", c[1]) end, c[2])
    end
  end)
  it("select names the argument on the CUDA side's refusal (here: no CUDA or an unknown name)", function()
    spec.fails(function() variant.select("tool", "kernel", "v9") end, "tool: kernel=v9: ")
  end)
  it("tools/fuse_ab.lua and tools/fuse_once.lua refuse a bad variant, naming it, before any GPU work", function()
    for _, c in ipairs {
      { "fuse_ab.lua variants=v3,v3/0", "fuse_ab: variants=v3/0: N (targets per block)" },
      { "fuse_once.lua kernel=3", "fuse_once: kernel=3: expected a kernel name" },
    } do
      local code, text = sh(string.format("cd %s && %s tools/%s", sh_quote(root), sh_quote(bin), c[1]))
      spec.eq(code, 2, c[1] .. ": exit code\n" .. text)
      spec.truthy(text:find(c[2], 1, true), c[1] .. ": the message\n" .. text)
    end
  end)
end)

describe("the DRAM floor note of robot_fusion's report (measured on an H100)", function()
  local quoted = "Measured with ncu on an H100 (kernels/NOTES.md): 1.14x at B=256"
  it("on an H100 it quotes the figures as this card's kind", function()
    local note = w.dram_floor_note("NVIDIA H100 80GB HBM3")
    spec.truthy(note:find(quoted, 1, true), note)
    spec.eq(note:find("not this run's card", 1, true), nil, "no disclaimer on an H100\n" .. note)
  end)
  it("on another card, or none, it says the figures are not this card's", function()
    local note = w.dram_floor_note("NVIDIA H200")
    spec.truthy(note:find(quoted, 1, true), note)
    spec.truthy(note:find("These figures are an H100's, not this run's card's (NVIDIA H200)", 1, true), note)
    spec.truthy(w.dram_floor_note(nil):find("not this run's card's (no CUDA card)", 1, true), "no card")
  end)
end)

describe("scenarios/robot_fusion.lua", function()
  it("plans exactly the cases tools/export_fuse_cases.lua exports", function()
    local code, listing = sh(string.format("cd %s && %s --list scenarios/robot_fusion.lua", sh_quote(root), sh_quote(bin)))
    spec.eq(code, 0, "--list\n" .. listing)
    local planned, n = {}, 0
    for key in listing:gmatch("%] shard %d+%s+cpu%s+(.-)%s%s") do
      key = key:gsub(" mode=%a+", "")
      if not planned[key] then planned[key] = true; n = n + 1 end
    end
    local ecode, exported = sh(string.format("cd %s && %s tools/export_fuse_cases.lua list", sh_quote(root), sh_quote(bin)))
    spec.eq(ecode, 0, "export list\n" .. exported)
    local m = 0
    for name, key in exported:gmatch("(%S+)\t([^\n]+)") do
      m = m + 1
      spec.truthy(planned[key], name .. " (" .. key .. ") is planned")
    end
    spec.eq(m, n, "as many cases as planned configurations (modes aside)")
    spec.eq(n, 4, "the four cases")
  end)
  it("runs end to end (tiny sizes, CPU) with a peers file: the fusion report shows the peer's times", function()
    local peers = tmp .. "/peers.json"
    write(peers, cjson.encode { device = "test card", torch = "0.0", cases = {
      { case = "robot4_b4_0p5s_50hz_f32_relative_ragged", eager = { verified = true, median_ms = 1.25 },
        compile = { verified = true, median_ms = 0.5 } } } })
    local script = sh_quote(root .. "/scenarios/robot_fusion.lua")
    local code, output, dir = run_scenario("robot_fusion", nil, "-a batch=4 -a duration_s=0.5 --backend cpu " .. script
      .. " peers=" .. sh_quote(peers))
    spec.eq(code, 0, "exit code\n" .. output)
    local md = read(dir .. "/robot_fusion.md")
    spec.truthy(md:find("| B=4 robot4 0.5s@50Hz T=25 D=90 f32 relative ragged | hot |", 1, true), "the case's row\n" .. md)
    spec.truthy(md:find("| 1250.0 | 500.0 |", 1, true), "the peer's eager and compile µs\n" .. md)
    spec.truthy(md:find("torch 0.0 on test card", 1, true), "the peer's provenance")
    local card = cjson.decode(read(dir .. "/env.json")).cuda.name
    spec.truthy(md:find(w.dram_floor_note(card), 1, true), "the DRAM floor note for this run's card\n" .. md)
    local bad = run_scenario("robot_fusion_bad", nil, "--dry-run " .. script .. " peer=x")
    spec.eq(bad, 2, "an unknown argument is a usage error")
  end)
end)

spec.finish()
