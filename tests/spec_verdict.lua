-- A verdict that does not flip: the variance gate's three verdicts against the noise floor, the order
-- in which interleaved seeds are timed, throttled samples flagged from the SM clock.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local record = rl.record
local describe, it = spec.describe, spec.it

-- A record whose seed e has median medians[e] (controls follow the seeds, marked).
local function synthetic(seed_medians, control_medians)
  local r = record.new { key = "k", backend = "cpu", device = "cpu", bytes = 1000 }
  local si = 0
  local function add(m, control)
    si = si + 1
    record.seed(r, si, 0, control)
    local xs = {}
    for i = 1, 9 do xs[i] = m * (1 + (i - 5) * 1e-4) end
    record.add_samples(r, si, xs)
  end
  for _, m in ipairs(seed_medians) do add(m, nil) end
  for _, m in ipairs(control_medians) do add(m, true) end
  record.finalize(r, {})
  return { results = { r } }
end
local function verdict(run) return rl.gate.evaluate(rl.gate.variance { max_pct = 5 }, run, 1) end

describe("the variance gate against the noise floor", function()
  it("a seed effect with quiet controls: FAIL", function()
    local g = verdict(synthetic({ 1.00, 1.10, 0.95, 1.20, 1.02 }, { 1.001, 0.999, 1.002, 1.000 }))
    spec.eq(g.status, "fail", g.msg)
    spec.truthy(g.msg:find("seed effect", 1, true), g.msg)
  end)
  it("noisy controls: INCONCLUSIVE, never a pass or a fail", function()
    local g = verdict(synthetic({ 1.00, 1.10, 0.95, 1.20, 1.02 }, { 1.08, 0.93, 1.15, 1.01 }))
    spec.eq(g.status, "inconclusive", g.msg)
    spec.truthy(g.msg:find("noise floor", 1, true), g.msg)
  end)
  it("seeds beyond the envelope but no more than identical data spreads: INCONCLUSIVE", function()
    -- controls spread 4.8% (within 5%), seeds 6%: an F test cannot tell them apart
    local g = verdict(synthetic({ 1.00, 1.06, 1.02, 1.03, 1.01 }, { 1.048, 1.01, 1.03, 1.02 }))
    spec.eq(g.status, "inconclusive", g.msg)
  end)
  it("both quiet: PASS", function()
    local g = verdict(synthetic({ 1.00, 1.01, 0.995, 1.02, 1.005 }, { 1.001, 0.999, 1.002, 1.000 }))
    spec.eq(g.status, "pass", g.msg)
  end)
  it("INCONCLUSIVE is a failure under --strict and shown as such", function()
    local run = synthetic({ 1.00, 1.10 }, { 1.08, 0.93 })
    local counts = require("robolua.run.finish").judge(run, { rl.gate.variance { max_pct = 5 } }, { strict = true })
    spec.eq(run.gates[2].status, "fail", run.gates[2].msg)
    spec.truthy(run.gates[2].msg:find("inconclusive", 1, true), run.gates[2].msg)
    spec.eq(counts.fail, 1, "only the variance gate fails (verification passes, no point was skipped)")
  end)
  it("nothing measured is INCONCLUSIVE, never a PASS (a FAIL under --strict)", function()
    local r = record.new { key = "k", backend = "cpu", device = "cpu", bytes = 1000 }
    record.set_status(r, "interrupted", "not measured: the run stopped before this point")
    local run = { results = { r } }
    local finish = require "robolua.run.finish"
    finish.judge(run, {}, {})
    spec.eq(run.verdict, "INCONCLUSIVE: nothing was measured")
    finish.judge(run, {}, { strict = true })
    spec.truthy(run.verdict:find("^FAIL"), run.verdict)
  end)
  it("a PASS says how many points it stands on when some were skipped", function()
    local run = synthetic({ 1.00, 1.01, 0.995 }, { 1.001, 0.999 })
    local gone = record.new { key = "k2", backend = "cuda", device = "cuda", bytes = 1000 }
    record.set_status(gone, "skipped", "no usable GPU")
    run.results[2] = gone
    local ref = record.new { key = "k", backend = "reference", device = "cpu", bytes = 1000 }
    record.set_status(ref, "skipped", "a reference backend is not timed") -- (not a point of the plan's count)
    run.results[3] = ref
    require("robolua.run.finish").judge(run, {}, {})
    spec.eq(run.verdict, "PASS (1 of 2 points skipped)")
    run.results[2], run.results[3] = nil, nil
    require("robolua.run.finish").judge(run, {}, {})
    spec.eq(run.verdict, "PASS", "nothing skipped: a bare PASS")
  end)
  it("the verification gate says a point that raised was not verified, not that it failed verification", function()
    local run = synthetic({ 1.00, 1.01 }, {})
    local broke = record.new { key = "k2", backend = "lua", device = "cpu", bytes = 1000 }
    record.set_status(broke, "error", "inputs exploded")
    run.results[2] = broke
    local g = rl.gate.evaluate(rl.gate.verified(), run, 1)
    spec.eq(g.status, "fail", g.msg)
    spec.truthy(g.msg:find("k2 lua: not verified (an error): inputs exploded", 1, true), g.msg)
  end)
  it("the verdict line names INCONCLUSIVE without --strict", function()
    local run = synthetic({ 1.00, 1.10, 0.95 }, { 1.08, 0.93 })
    require("robolua.run.finish").judge(run, { rl.gate.variance { max_pct = 5 } }, {})
    spec.truthy(run.verdict:find("^INCONCLUSIVE"), run.verdict)
  end)
end)

describe("interleaving", function()
  local calls = {}
  local logger = { device = "cpu",
    resample = function(_, src, st, tt, opts) return rl.resample(src, st, tt, opts) end,
    bench = function(_, src, st, tt, opts)
      calls[#calls + 1] = src:totable()[1] -- identifies the input set (seed or control)
      local o = {}
      for k, v in pairs(opts) do o[k] = v end
      o.backend = "cpu"
      return rl.bench.resample(src, st, tt, o)
    end }
  local function run_with(interleave)
    calls = {}
    rl.cli.no_write, rl.cli.quiet = true, true
    local run = rl.scenario { name = "order", seeds = { 0, 1, 2 }, controls = 1, warmup = 0, repeats = 6, interleave = interleave,
      axes = { batch = { 2 }, source_len = { 20 }, dim = { 4 }, dtype = { "f32" }, backend = { "logger" } },
      backends = { logger = logger } }
    rl.cli.no_write, rl.cli.quiet = false, false
    return run
  end
  it("fine: samples are taken round robin, every seed and control once per round", function()
    local run = run_with(3)
    spec.eq(run.results[1].interleave, "fine")
    spec.eq(#calls, 12, "4 input sets x 3 rounds")
    for round = 0, 2 do
      local seen = {}
      for k = 1, 4 do seen[calls[round * 4 + k]] = (seen[calls[round * 4 + k]] or 0) + 1 end
      local distinct = 0
      for _ in pairs(seen) do distinct = distinct + 1 end
      spec.eq(distinct, 3, "round " .. round .. ": three distinct data sets (the control repeats seed 0's data)")
    end
    spec.truthy(calls[1] ~= calls[5] or calls[2] ~= calls[6], "the order rotates between rounds")
    for _, e in ipairs(run.results[1].seeds) do spec.eq(#e.samples_ms, 6, "every entry gets all its samples") end
  end)
  it("fine: every set is verified against its own reference, all made in one shared float64 buffer", function()
    local resample = require "robolua.workloads.resample"
    local original, made, reused = resample.reference, {}, {}
    resample.reference = function(inputs, c, reuse)
      local ref = original(inputs, c, reuse)
      made[#made + 1], reused[#reused + 1] = ref, reuse or false
      return ref
    end
    local ok, run = pcall(run_with, 3)
    resample.reference = original
    spec.truthy(ok, tostring(run))
    spec.eq(run.results[1].interleave, "fine")
    spec.eq(#made, 4, "one reference per input set")
    spec.eq(reused[1], false, "the first set makes the buffer")
    for k = 2, 4 do spec.truthy(reused[k] == made[1] and made[k] == made[1], "set " .. k .. " refills it") end
    for _, e in ipairs(run.results[1].seeds) do spec.truthy(e.verification.ok, "seed " .. tostring(e.seed) .. " verified") end
  end)
  it("the memory rule counts one float64 reference where the workload refills it, else one per set", function()
    local measure = require "robolua.run.measure"
    local resample = require "robolua.workloads.resample"
    local c = resample.config({ shape = { 256, 2000, 512 }, dtype = "bf16" }, {})
    local bytes = resample.bytes(c)
    spec.eq(measure.host_need(resample, c, bytes, 9), 9 * bytes + 256 * 1000 * 512 * 8, "resample: 9 sets, one f64 output")
    local fuse = require "robolua.workloads.fuse"
    local f = { batch = 4, target_len = 500, dim = 90 }
    spec.eq(measure.host_need(fuse, f, 1000, 9), 9 * 1000 + 2 * 4 * 500 * 90 * 8, "fuse: the reference and its operand sums")
    spec.eq(measure.host_need({}, {}, 1000, 9), 9 * 1000 * 3, "a workload that does not refill: a reference per set")
  end)
  it("coarse (interleave = 1): seed after seed", function()
    local run = run_with(1)
    spec.eq(run.results[1].interleave, "coarse")
    spec.eq(#calls, 4, "one chunk per input set")
  end)
end)

describe("CPU hygiene", function()
  -- /proc as a run would see it: a load average twice the CPU count, and /proc/stat advancing 100 ticks a
  -- CPU per reading, busy with this process alone (idle) or with other processes on every CPU (busy)
  local files = require "robolua.files"
  local cpus = rl.env().logical_cpus
  local function run_on(machine)
    local read, k, threads = files.read, 0, {}
    files.read = function(path)
      if path == "/proc/loadavg" then return string.format("%d.00 1.00 1.00 1/100 1\n", 2 * cpus) end
      if path == "/proc/stat" then
        k = k + 1
        local total = 100 * cpus * k
        local busy = machine == "busy" and total or total // 2
        return string.format("cpu  %d 0 0 %d 0 0 0 0 0 0\ncpu0 1 2 3\n", busy, total - busy)
      end
      if path == "/proc/self/stat" then
        local own = machine == "busy" and 0 or 50 * cpus * k
        return string.format("42 (a (robolua)) S 1 1 1 1 1 1 1 1 1 1 %d 0 20 0\n", own)
      end
      return read(path)
    end
    local probe = { device = "cpu",
      resample = function(_, src, st, tt, opts) return rl.resample(src, st, tt, opts) end,
      bench = function(_, src, st, tt, opts)
        threads[#threads + 1] = opts.threads or "default"
        local o = {}
        for key, v in pairs(opts) do o[key] = v end
        o.backend = "cpu"
        return rl.bench.resample(src, st, tt, o)
      end }
    rl.cli.no_write, rl.cli.quiet = true, true
    local ok, run = pcall(rl.scenario, { name = "hygiene", seeds = { 0 }, controls = 0, warmup = 0, repeats = 2, roofline = false,
      axes = { batch = { 2, 3 }, source_len = { 20 }, dim = { 4 }, dtype = { "f32" }, backend = { "probe" } },
      backends = { probe = probe } })
    rl.cli.no_write, rl.cli.quiet, files.read = false, false, read
    spec.truthy(ok, tostring(run))
    return run, threads
  end
  it("a high load average of robolua's own making leaves the threads alone, without a warning", function()
    local run, threads = run_on("idle")
    for i, t in ipairs(threads) do spec.eq(t, "default", "call " .. i) end
    spec.eq(#run.warnings, 0, table.concat(run.warnings, "\n"))
  end)
  it("other processes on every CPU: one thread, and a warning that says so", function()
    local run, threads = run_on("busy")
    for i, t in ipairs(threads) do spec.eq(t, 1, "call " .. i) end
    spec.eq(#run.warnings, 2, "one per point")
    spec.truthy(run.warnings[1]:find(string.format("other processes kept %d.0 of %d CPUs busy", cpus, cpus), 1, true), run.warnings[1])
  end)
  it("others_busy: this process's own ticks left out; a window too short tells nothing", function()
    local measure = require "robolua.run.measure"
    local a = { busy = 0, total = 0, own = 0 }
    spec.eq(measure.others_busy(a, { busy = 300, total = 400, own = 100 }, 4), 2)
    spec.eq(measure.others_busy(a, { busy = 30, total = 40, own = 0 }, 4), nil)
    local now = measure.cpu_ticks()
    spec.truthy(now == nil or (now.total > 0 and now.busy <= now.total and now.own >= 0), "a reading of this machine")
  end)
end)

describe("throttle flags", function()
  local function clocked(clocks)
    local r = record.new { key = "k", backend = "cuda", device = "cuda", bytes = 10 }
    record.seed(r, 1, 0)
    local xs = {}
    for i = 1, #clocks do xs[i] = 1 end
    record.add_samples(r, 1, xs, clocks)
    record.finalize(r, { sm_clock_max_mhz = 2000, throttle_pct = 90 })
    return r
  end
  it("samples below 90% of the maximum SM clock are counted", function()
    local r = clocked { 1980, 1980, 1700, 1800, 1799, -1 }
    spec.eq(r.throttled.samples, 2, "1700 and 1799 are below 1800")
    spec.eq(r.throttled.of, 5, "unreadable clocks (-1) are not counted")
  end)
  it("the throttle gate fails beyond its allowance and skips without clocks", function()
    local run = { results = { clocked { 1980, 1700 } } }
    spec.eq(rl.gate.evaluate(rl.gate.throttle { max_pct = 0 }, run, 1).status, "fail")
    spec.eq(rl.gate.evaluate(rl.gate.throttle { max_pct = 60 }, run, 1).status, "pass")
    local none = { results = { clocked { -1, -1 } } }
    spec.eq(rl.gate.evaluate(rl.gate.throttle {}, none, 1).status, "skip")
  end)
end)

spec.finish()
