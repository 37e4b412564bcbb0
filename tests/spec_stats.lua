-- Statistics against known values (numpy/scipy figures).
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local S = rl.stats
local describe, it, fails = spec.describe, spec.it, spec.fails

describe("Student's t", function()
  it("quantile 0.975 for df = 4 (n = 5) is 2.776445, not 1.96", function()
    spec.near(S.t_quantile(0.975, 4), 2.7764451051977987, 1e-9, "t(0.975, 4)")
  end)
  it("other known quantiles", function()
    spec.near(S.t_quantile(0.975, 1), 12.706204736174707, 1e-7, "df 1")
    spec.near(S.t_quantile(0.975, 2), 4.302652729749464, 1e-9, "df 2")
    spec.near(S.t_quantile(0.975, 9), 2.2621571627982053, 1e-9, "df 9")
    spec.near(S.t_quantile(0.975, 30), 2.0422724563012373, 1e-9, "df 30")
    spec.near(S.t_quantile(0.975, 49), 2.0095752371292392, 1e-9, "df 49")
    spec.near(S.t_quantile(0.995, 10), 3.16927267261695, 1e-9, "df 10, 99%")
    spec.near(S.t_quantile(0.025, 4), -2.7764451051977987, 1e-9, "lower tail")
    spec.near(S.t_quantile(0.975, 1e6), 1.959966, 1e-5, "large df tends to the normal")
  end)
  it("cdf", function()
    spec.near(S.t_cdf(0, 3), 0.5, 1e-15, "symmetric")
    spec.near(S.t_cdf(2.0, 5), 0.9490302605850709, 1e-10, "t=2 df=5")
  end)
end)

describe("summary", function()
  local xs = { 2, 4, 4, 4, 5, 5, 7, 9 }
  local s = S.summary(xs)
  it("moments", function()
    spec.eq(s.n, 8); spec.eq(s.mean, 5); spec.eq(s.min, 2); spec.eq(s.max, 9)
    spec.near(s.std, 2.138089935299395, 1e-12, "sample std (n-1)")
    spec.near(s.cv_pct, 42.7617987059879, 1e-9, "cv%")
  end)
  it("quantiles (linear, as numpy)", function()
    spec.eq(s.median, 4.5)
    spec.near(s.p90, 7.6, 1e-12, "p90")
    spec.near(s.p99, 8.86, 1e-12, "p99")
  end)
  it("95% CI of the mean with t(0.975, 7)", function()
    local half = 2.364624251592784 * 2.138089935299395 / math.sqrt(8)
    spec.near(s.ci_lo, 5 - half, 1e-9, "lo"); spec.near(s.ci_hi, 5 + half, 1e-9, "hi")
  end)
  it("CI with n = 5 uses t = 2.776", function()
    local c = S.mean_ci({ 1, 2, 3, 4, 5 })
    spec.near(c.half, 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5), 1e-9, "half width")
  end)
  it("single sample: infinite CI, no crash", function()
    local one = S.summary({ 3 })
    spec.eq(one.median, 3); spec.eq(one.std, 0); spec.eq(one.ci_hi, math.huge)
  end)
end)

describe("outliers (Tukey fences)", function()
  it("counts mild and severe, never drops", function()
    local xs = { 10, 10, 11, 11, 12, 12, 13, 13, 17, 30 }
    local o = S.outliers(xs)
    -- q1 = 11, q3 = 13, iqr = 2: mild beyond 10..16 (17), severe beyond 5..19 (30)
    spec.eq(o.q1, 11); spec.eq(o.q3, 13)
    spec.eq(o.mild, 1, "mild"); spec.eq(o.severe, 1, "severe")
    spec.eq(S.summary(xs).n, 10, "all samples kept")
  end)
  it("spread of per-seed medians", function()
    spec.near(S.spread_pct({ 1.0, 1.02, 0.98, 1.01, 0.99 }), 4.0, 1e-9, "spread %")
  end)
end)

-- Reference values below: 50-digit mpmath (regularised incomplete beta, erfinv), not this code.
local function near_rel(got, want, rel, what)
  spec.near(got, want, math.abs(want) * rel, what)
end

-- Runs fn(...) with a budget of Lua VM instructions: a search that never ends fails here instead of
-- hanging the test run.
local function bounded(budget, fn, ...)
  local used = 0
  debug.sethook(function()
    used = used + 1000
    if used > budget then error("over the instruction budget", 2) end
  end, "", 1000)
  local ok, a = pcall(fn, ...)
  debug.sethook()
  if not ok then error(a, 2) end
  return a
end

describe("Student's t for any df in (0, inf]", function()
  it("large and infinite df tend to the normal quantile 1.959963984540054", function()
    for _, df in ipairs({ 1e15, 1e40, 1e300, math.huge }) do
      near_rel(bounded(2e6, S.t_quantile, 0.975, df), 1.959963984540054, 1e-13, "df " .. df)
    end
    near_rel(S.t_quantile(0.975, 1e6), 1.9599663568141067, 1e-12, "df 1e6")
    near_rel(S.t_quantile(0.975, 1e4), 1.9602012398906259, 1e-12, "df 1e4")
    near_rel(S.t_quantile(0.975, 4000), 1.9605572287937333, 1e-12, "df 4000")
    near_rel(S.t_quantile(0.995, 3999.5), 2.5770591466104468, 1e-12, "df 3999.5")
  end)
  it("non-integer and small df", function()
    near_rel(S.t_quantile(0.975, 0.5), 164.55767348048824, 1e-12, "df 0.5")
    near_rel(S.t_quantile(0.975, 2.5), 3.5746548420036818, 1e-12, "df 2.5")
    near_rel(S.t_quantile(0.975, 1), 12.706204736174693, 1e-13, "df 1")
  end)
  it("cdf in the far tail and at large df", function()
    near_rel(S.t_cdf(-10, 1e5), 7.816507650103639e-24, 1e-12, "t -10, df 1e5")
    near_rel(S.t_cdf(-5, 4000), 2.989379587023386e-07, 1e-12, "t -5, df 4000")
    near_rel(S.t_cdf(-5, 3999), 2.9894108322465925e-07, 1e-12, "t -5, df 3999")
    near_rel(S.t_cdf(-30, 50), 6.190011397993633e-34, 1e-12, "t -30, df 50")
    near_rel(S.t_cdf(-1e153, 1.5), 1.1924482405556578e-230, 1e-12, "t -1e153 (t^2/df near the largest double)")
    near_rel(S.t_cdf(-1e200, 1.5), 3.7708524320162464e-301, 1e-12, "t -1e200 (t^2 overflows)")
    near_rel(S.t_cdf(-2, math.huge), 0.0227501319481792072, 1e-13, "df inf is the normal")
    spec.eq(S.t_cdf(math.huge, 3), 1, "t = inf"); spec.eq(S.t_cdf(-math.huge, 3), 0, "t = -inf")
    near_rel(S.t_cdf(math.mininteger, 3), 1.4053081658720746e-57, 1e-12, "an integer t whose negation wraps around")
    spec.eq(S.normal_cdf(math.mininteger), 0, "an integer z whose abs wraps around")
  end)
  it("p extremely close to 0 or 1: the right value, or an error when it exceeds the doubles", function()
    near_rel(bounded(2e6, S.t_quantile, 1 - 2 ^ -40, 1), 349985421095.13297, 1e-12, "df 1, 1 - 2^-40")
    near_rel(bounded(2e6, S.t_quantile, 2 ^ -1074, 2), -3.1812124520951e+161, 1e-3, "df 2, smallest double")
    near_rel(bounded(2e6, S.t_quantile, 2 ^ -1074, 1e300), -38.467405617144346, 1e-12, "df 1e300, smallest double")
    fails(function() bounded(2e6, S.t_quantile, 2 ^ -1074, 1) end, "stats.t_quantile: p:", "beyond the largest double")
    fails(function() bounded(2e6, S.t_quantile, 0.975, 1e-300) end, "stats.t_quantile: p:", "df = 1e-300")
    fails(function() bounded(2e6, S.t_quantile, 0.6, 5e-324) end, "stats.t_quantile: p:", "beyond the largest double")
  end)
  it("mean_ci at a level within 1e-12 of 1 returns, with t = cot(pi q)", function()
    local c = bounded(2e6, S.mean_ci, { 1, 2 }, 1 - 1e-12)
    near_rel(c.t, 636633855803.5593, 1e-12, "t")
    near_rel(c.half, 636633855803.5593 / 2, 1e-12, "half width (std 0.7071, n 2)")
  end)
  it("every quantile search is bounded, for df from 5e-324 to inf and p up to the ends", function()
    for _, df in ipairs({ 5e-324, 1e-300, 1e-20, 1e-5, 0.5, 1, 3.5, 100, 3999, 4000, 1e5, 1e15, 1e300, math.huge }) do
      for _, p in ipairs({ 2 ^ -1074, 1e-300, 1e-12, 0.025, 0.5 - 2 ^ -54, 0.5 + 2 ^ -53, 0.975, 1 - 2 ^ -53 }) do
        pcall(bounded, 2e6, S.t_quantile, p, df) -- a value or the "beyond the largest double" error
        local ok, err = pcall(bounded, 2e6, S.t_quantile, p, df)
        if not ok then spec.truthy(tostring(err):find("beyond the largest double", 1, true), err) end
      end
    end
  end)
  it("t_cdf inverts t_quantile on random p and df", function()
    local seed = 12345
    local function rnd() seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 end
    for _ = 1, 200 do
      local df = 10 ^ (rnd() * 12 - 2)
      local p = 10 ^ (-rnd() * 30)
      if rnd() < 0.5 then p = 1 - p / 2 end
      local ok, t = pcall(S.t_quantile, p, df)
      if ok then
        local got = S.t_cdf(t, df)
        local tail, want = p < 0.5 and got or 1 - got, p < 0.5 and p or 1 - p
        spec.near(tail, want, want * 1e-9, string.format("p %.17g df %.17g", p, df))
      end
    end
  end)
end)

describe("normal quantile", function()
  it("known values, to the smallest double", function()
    near_rel(S.normal_quantile(0.975), 1.9599639845400538, 1e-14, "0.975")
    near_rel(S.normal_quantile(1e-10), -6.3613409024040562, 1e-13, "1e-10")
    near_rel(S.normal_quantile(2 ^ -1074), -38.467405617144346, 1e-12, "2^-1074")
    spec.eq(S.normal_quantile(0.5), 0, "0.5")
    near_rel(S.normal_cdf(S.normal_quantile(0.3)), 0.3, 1e-14, "round trip")
  end)
end)

describe("argument checks: stats.<fn>: <argument>: <problem>, raised at the caller's line", function()
  local here = "spec_stats.lua:"
  it("mean of an empty sample", function() fails(function() S.mean({}) end, here, "stats.mean: xs: the sample is empty") end)
  it("NaN and inf samples name the index", function()
    fails(function() S.mean({ 1, 0 / 0 }) end, here, "stats.mean: xs[2]:", "NaN")
    fails(function() S.summary({ 1, 2, math.huge }) end, here, "stats.summary: xs[3]:", "inf")
    fails(function() S.median({ -math.huge }) end, "stats.median: xs[1]:", "inf")
    fails(function() S.std({ 1, "2" }) end, "stats.std: xs[2]: expected a number, got string")
    fails(function() S.outliers({ 1, nil, 3 }) end, "stats.outliers: xs")
    fails(function() S.mann_whitney({ 1 }, { 2, 0 / 0 }) end, "stats.mann_whitney: ys[2]:", "NaN")
    fails(function() S.spread_pct({ 1, 1 / 0 }) end, "stats.spread_pct: medians[2]:", "inf")
  end)
  it("non-tables", function()
    fails(function() S.summary(nil) end, here, "stats.summary: xs: expected an array of numbers, got nil")
    fails(function() S.quantile(5, 0.5) end, "stats.quantile: xs:", "got number")
    fails(function() S.quantile_sorted("x", 0.5) end, "stats.quantile_sorted: s:", "got string")
    fails(function() S.mann_whitney({ 1 }) end, "stats.mann_whitney: ys:", "got nil")
    fails(function() S.mean_ci(true) end, "stats.mean_ci: xs:", "got boolean")
  end)
  it("empty samples", function()
    for _, name in ipairs({ "summary", "mean", "std", "median", "mean_ci", "outliers", "spread_pct" }) do
      fails(function() S[name]({}) end, "stats." .. name .. ":", "the sample is empty")
    end
    fails(function() S.quantile({}, 0.5) end, "stats.quantile: xs: the sample is empty")
    fails(function() S.mann_whitney({}, { 1 }) end, "stats.mann_whitney: xs: the sample is empty")
  end)
  it("p out of range, NaN or missing", function()
    fails(function() S.quantile({ 1, 2 }, 1.5) end, here, "stats.quantile: p: must be in [0, 1], got 1.5")
    fails(function() S.quantile({ 1, 2 }, 0 / 0) end, "stats.quantile: p:", "NaN")
    fails(function() S.quantile({ 1, 2 }) end, "stats.quantile: p: expected a number, got nil")
    fails(function() S.quantile_sorted({ 1, 2 }, -0.1) end, "stats.quantile_sorted: p:")
    fails(function() S.t_quantile(0, 3) end, "stats.t_quantile: p: must be in (0, 1), got 0")
    fails(function() S.t_quantile(1, 3) end, "stats.t_quantile: p:", "got 1")
    fails(function() S.normal_quantile(0 / 0) end, "stats.normal_quantile: p:", "NaN")
  end)
  it("level out of (0, 1)", function()
    fails(function() S.mean_ci({ 1, 2 }, 1) end, here, "stats.mean_ci: level: must be in (0, 1), got 1")
    fails(function() S.mean_ci({ 1, 2 }, 0) end, "stats.mean_ci: level:")
    fails(function() S.summary({ 1, 2 }, 0 / 0) end, "stats.summary: level:", "NaN")
    fails(function() S.summary({ 1, 2 }, "95%") end, "stats.summary: level: expected a number, got string")
  end)
  it("df <= 0 or NaN", function()
    fails(function() S.t_quantile(0.9, 0) end, here, "stats.t_quantile: df: must be positive", "got 0")
    fails(function() S.t_quantile(0.9, -1) end, "stats.t_quantile: df:", "got -1")
    fails(function() S.t_cdf(1, 0 / 0) end, "stats.t_cdf: df:", "NaN")
    fails(function() S.t_cdf(1) end, "stats.t_cdf: df: expected a number, got nil")
    fails(function() S.t_cdf(0 / 0, 3) end, "stats.t_cdf: t:", "NaN")
    fails(function() S.normal_cdf("1") end, "stats.normal_cdf: z: expected a number, got string")
  end)
  it("a table whose # is not an integer", function()
    local odd = setmetatable({}, { __len = function() return "many" end })
    fails(function() S.mean(odd) end, here, "stats.mean: xs:", "not an integer")
  end)
  it("quantile_sorted needs a sorted array; std's mean must be finite", function()
    fails(function() S.quantile_sorted({ 3, 1, 2 }, 0.5) end, here, "stats.quantile_sorted: s: not sorted ascending (s[2] < s[1])")
    fails(function() S.std({ 1, 2 }, 0 / 0) end, "stats.std: mean:", "NaN")
  end)
end)

describe("valid input keeps its results", function()
  it("integer samples, one sample, extreme finite values", function()
    spec.eq(S.mean({ 1, 2 }), 1.5); spec.eq(S.std({ 5 }), 0); spec.eq(S.median({ 7 }), 7)
    spec.eq(S.quantile({ 1, 2, 3 }, 1), 3); spec.eq(S.quantile({ 1, 2, 3 }, 0), 1)
    spec.eq(S.mean({ math.maxinteger, math.maxinteger }), math.maxinteger + 0.0, "integer sum does not wrap")
    spec.eq(S.mean({ 1e308, 1e308 }), 1e308, "finite mean whose sum overflows")
    near_rel(S.std({ -1e308, 1e308 }), math.sqrt(2) * 1e308, 1e-15, "finite std whose squares overflow")
    spec.eq(S.quantile_sorted({ -1e308, 1e308 }, 0), -1e308, "no 0 * inf")
    spec.eq(S.quantile_sorted({ -1e308, 1e308 }, 0.5), 0, "difference overflows")
    spec.eq(S.quantile({ math.mininteger, math.maxinteger }, 0.5), 0, "integer difference does not wrap")
    local one = S.mean_ci({ 4 })
    spec.eq(one.half, math.huge)
  end)
end)

spec.finish()
