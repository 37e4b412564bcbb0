-- Hand-computed cases of the resampling rule: clamping, exact hits, equal neighbouring times, S = 1.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local describe, it = spec.describe, spec.it

local function run(src, st, tt, dtype, backend)
  local S, T = #st, #tt
  local D = #src // S
  local out = rl.resample(rl.tensor(src, { 1, S, D }, dtype), rl.tensor(st, { 1, S }), rl.tensor(tt, { 1, T }),
    { backend = backend })
  return out:totable()
end

for _, backend in ipairs { "cpu", "reference" } do
  describe(backend, function()
    it("interpolates inside the range", function()
      local o = run({ 0, 100, 10, 200, 30, 400 }, { 0, 1, 3 }, { 0.5, 2 }, "f32", backend)
      spec.eq(o[1], 5, "x=0.5 ch0"); spec.eq(o[2], 150, "x=0.5 ch1")
      spec.eq(o[3], 20, "x=2 ch0"); spec.eq(o[4], 300, "x=2 ch1")
    end)
    it("clamps before the first and after the last time (numpy.interp)", function()
      local o = run({ 1, 2, 3 }, { 10, 20, 30 }, { -5, 9.999, 30, 31, 1e9 }, "f32", backend)
      spec.eq(o[1], 1, "before"); spec.eq(o[2], 1, "just before")
      spec.eq(o[3], 3, "exact last"); spec.eq(o[4], 3, "after"); spec.eq(o[5], 3, "far after")
    end)
    it("exact hits on source times give the source row", function()
      local o = run({ 7, -3, 11, 4 }, { 0.1, 0.2, 0.3, 0.4 }, { 0.1, 0.2, 0.3, 0.4 }, "f32", backend)
      spec.eq(o[1], 7); spec.eq(o[2], -3); spec.eq(o[3], 11); spec.eq(o[4], 4)
    end)
    it("equal neighbouring times never divide by zero; a target at the repeated time takes the later row", function()
      -- times 0, 1, 1, 2 with values 0, 10, 20, 30
      local o = run({ 0, 10, 20, 30 }, { 0, 1, 1, 2 }, { 0.5, 1, 1.5, 0.999 }, "f32", backend)
      spec.eq(o[1], 5, "x=0.5 uses rows 0,1")
      spec.eq(o[2], 20, "x=1 takes the last row at time 1")
      spec.eq(o[3], 25, "x=1.5 uses rows 2,3")
      spec.near(o[4], 9.99, 1e-5, "x=0.999")
      for i = 1, 4 do spec.truthy(o[i] == o[i], "no NaN") end
    end)
    it("all source times equal", function()
      local o = run({ 1, 2, 3 }, { 5, 5, 5 }, { 4, 5, 6 }, "f32", backend)
      spec.eq(o[1], 1, "before"); spec.eq(o[2], 3, "at"); spec.eq(o[3], 3, "after")
    end)
    it("S = 1: every target gets row 0", function()
      local o = run({ 42, -1 }, { 3 }, { -10, 3, 100 }, "f32", backend)
      for t = 0, 2 do spec.eq(o[t * 2 + 1], 42); spec.eq(o[t * 2 + 2], -1) end
    end)
    it("rounds to bf16 once, to nearest even", function()
      -- 1 + w*(1+2^-6 - 1) with w = 0.5 -> 1 + 2^-7 exactly representable in bf16
      local o = run({ 1, 1 + 2 ^ -6 }, { 0, 1 }, { 0.5, 0.25 }, "bf16", backend)
      if backend == "cpu" then
        spec.eq(o[1], 1 + 2 ^ -7, "exact")
        spec.eq(o[2], 1, "1 + 2^-8 is a tie: rounds to even (1)")
      else
        spec.eq(o[2], 1 + 2 ^ -8, "the reference keeps float64")
      end
    end)
  end)
end

describe("strict validation", function()
  it("rejects equal neighbours only when strict", function()
    local src = rl.tensor({ 0, 1, 2 }, { 1, 3, 1 })
    local st = rl.tensor({ 0, 1, 1 }, { 1, 3 })
    local tt = rl.tensor({ 0.5 }, { 1, 1 })
    rl.resample(src, st, tt)
    spec.fails(function() rl.resample(src, st, tt, { strict = true }) end, "src_times", "strictly increasing", "index 2")
  end)
end)

spec.finish()
