-- The generic workload (rl.workload): any kernel measured like the resampler. CPU backends in Lua here;
-- the CUDA path of examples/generic/softmax.lua runs on a GPU machine (tools/gpu_session.sh).
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local describe, it = spec.describe, spec.it

local function make(backends)
  return rl.workload {
    name = "scale", axes = { "n" },
    inputs = function(p, seed)
      local v = {}
      for i = 1, p.n do v[i] = ((i * 7 + seed * 13) % 17) / 4 - 2 end
      return { x = rl.tensor(v, { p.n }, "f32") }
    end,
    output = function(_, p) return { p.n }, "f32" end,
    reference = function(inp)
      local v = inp.x:totable()
      for i = 1, #v do v[i] = 3 * v[i] end
      return rl.tensor(v, { #v }, "f64")
    end,
    bytes = function(p) return 8 * p.n end,
    backends = backends,
  }
end

local function scale_into(inp, out, k)
  local v = inp.x:totable()
  for i = 1, #v do v[i] = k * v[i] end
  out:copy_from(rl.tensor(v, out.shape, "f32"))
end

describe("rl.workload", function()
  local wrong_calls = 0
  local w = make {
    good = { device = "cpu", run = function(inp, out) scale_into(inp, out, 3) end },
    wrong = { device = "cpu", run = function(inp, out)
      wrong_calls = wrong_calls + 1
      scale_into(inp, out, 3.01)
    end },
  }
  local old_cli = rl.cli.no_write
  rl.cli.no_write, rl.cli.quiet = true, true
  local run = rl.scenario { name = "generic", workload = w, seeds = { 0, 1 }, warmup = 1, repeats = 4,
    axes = { n = { 16, 64 }, backend = { "good", "wrong" } } }
  rl.cli.no_write, rl.cli.quiet = old_cli, false
  it("verifies and times a correct backend against the reference", function()
    spec.eq(run.results[1].status, "ok", tostring(run.results[1].reason))
    spec.eq(run.results[1].stats.n, 8, "2 seeds x 4 repeats")
    spec.eq(run.results[1].bytes, 128, "the workload's bytes")
    spec.truthy(run.results[1].gbps > 0, "GB/s")
  end)
  it("a wrong backend fails verification and is never timed", function()
    spec.eq(run.results[2].status, "failed_verification", tostring(run.results[2].reason))
    for _, s in ipairs(run.results[2].seeds) do spec.eq(#s.samples_ms, 0, "no samples") end
    spec.eq(wrong_calls, 2, "called once per configuration, to verify, then never again")
  end)
  it("the report states the compare rule the workload applies", function()
    local md = require("robolua.reports.markdown").render(run)
    spec.truthy(md:find("before it was timed (rl.compare's defaults: f32 |err| <= 1e-6 + 1e-6·|ref|", 1, true), md)
    local tight = rl.workload { name = "t", inputs = function() return {} end, output = function() return { 1 }, "f32" end,
      reference = function() return rl.tensor({ 0 }, { 1 }, "f64") end, bytes = function() return 1 end,
      tolerance = { rtol = 1e-3, ulps = 2 }, backends = { c = { device = "cpu", run = function() end } } }
    spec.truthy(tight.verification:find("rtol = 0.001, ulps = 2", 1, true), tight.verification)
    local loaded = {} -- the same run as read back from results.json (e.g. by merge): no rule carried
    for k, v in pairs(run) do loaded[k] = v end
    loaded.verification = nil
    spec.truthy(require("robolua.reports.markdown").render(loaded):find("by the scale workload's rule", 1, true), "fallback")
  end)
  it("labels come from the workload's axes", function()
    spec.eq(run.results[1].label, "n=16")
  end)
  it("bad definitions are errors naming the field", function()
    spec.fails(function() rl.workload { name = "x" } end, "workload.inputs")
    spec.fails(function() make { c = { device = "cuda", launch = function() end } } end, "workload.backends.c", "kernel")
    spec.fails(function() make { c = { device = "tpu" } } end, "workload.backends.c")
    spec.fails(function() make { c = { device = "cpu" } } end, "run = function")
    -- a misspelt key is named (toleranse = ... would have compared at the defaults)
    spec.fails(function()
      rl.workload { name = "x", inputs = print, output = print, reference = print, backends = {}, toleranse = { atol = 1 } }
    end, "rl.workload: unknown key 'toleranse'", "did you mean 'tolerance'")
    -- a tolerance rl.compare would refuse at every point (each point an ERROR, the run a FAIL as if the
    -- kernel were wrong) is refused here, before anything runs
    local function with(t)
      return function() rl.workload { name = "x", inputs = print, output = print, reference = print, backends = {}, tolerance = t } end
    end
    spec.fails(with { rtl = 1 }, "workload.tolerance: opts: unknown option rtl", "expected rtol, atol")
    spec.fails(with { rtol = -1 }, "workload.tolerance: opts.rtol: must be a finite number >= 0, got -1")
    spec.fails(with { atol = {} }, "workload.tolerance: opts.atol")
    spec.fails(with(5), "workload.tolerance: expected a table")
    spec.fails(function() make { c = { device = "cpu", rn = print } } end, "workload.backends.c: unknown key 'rn'")
    spec.fails(function()
      rl.workload { name = "x", axes = "n", inputs = print, output = print, reference = print, backends = {} }
    end, "workload.axes: expected a table")
    spec.fails(function()
      rl.workload { name = "x", axes = { "n", 5 }, inputs = print, output = print, reference = print, backends = {} }
    end, "workload.axes[2]: expected an axis name")
  end)
  it("an unknown backend in the axes is a usage error before anything runs", function()
    rl.cli.no_write, rl.cli.quiet = true, true
    local err = spec.fails(function()
      rl.scenario { name = "g2", workload = make { good = { device = "cpu", run = function() end } }, axes = { n = { 4 }, backend = { "goood" } } }
    end, "unknown backend 'goood'", "did you mean 'good'")
    rl.cli.no_write, rl.cli.quiet = old_cli, false
    spec.truthy(err)
  end)
end)

describe("the example kernels compile with NVRTC (to PTX, no GPU needed)", function()
  for _, f in ipairs { "examples/kernels/row_softmax.cu", "examples/kernels/naive_resample.cu", "examples/kernels/saxpy.cu" } do
    it(f, function()
      local ok, why = pcall(rl.cuda.compile, { source = f, arch = "compute_90" })
      if not ok and tostring(why):find("NVRTC not found", 1, true) then spec.skip_case("no NVRTC on this machine") end
      spec.truthy(ok, tostring(why))
      spec.truthy(why:find(".entry", 1, true), "PTX with an entry point")
    end)
  end
end)

spec.finish()
