-- The distribution-free confidence interval of the median (robolua.stats_median): ranks against
-- published values and an independent exact binomial sum, coverage never below the level, the
-- interval on real data, and the error messages.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local sm = require "robolua.stats_median"
local describe, it = spec.describe, spec.it

-- The ranks by definition: the largest k with 2 P(B <= k-1) <= 1 - level (or 1 when there is none),
-- B ~ Binomial(n, 1/2) summed term by term in plain probabilities (fine for n <= 1000).
local function ranks_by_definition(n, level)
  local p = 0.5 ^ n            -- P(B = 0)
  local below = p              -- P(B <= k-1) for k = 1
  local k = 1
  while k < n do
    p = p * (n - k + 1) / k    -- P(B = k)
    if 2 * (below + p) > (1 - level) * (1 + 1e-12) then break end
    below, k = below + p, k + 1
  end
  return k, n - k + 1, 1 - 2 * below
end

describe("median_ci_ranks", function()
  it("matches published ranks (Conover's table) and exact coverages", function()
    local cases = {
      { 6, 0.95, 1, 6, 0.96875 }, { 10, 0.95, 2, 9, 0.978515625 }, { 20, 0.95, 6, 15, 1 - 2 * 21700 / 2 ^ 20 },
      { 100, 0.95, 40, 61, nil }, { 10, 0.99, 1, 10, 1 - 2 / 1024 }, { 20, 0.99, 4, 17, nil },
    }
    for _, c in ipairs(cases) do
      local lo, hi, cov = sm.median_ci_ranks(c[1], c[2])
      spec.eq(lo, c[3], "lower rank, n=" .. c[1])
      spec.eq(hi, c[4], "upper rank, n=" .. c[1])
      if c[5] then spec.near(cov, c[5], 1e-12, "coverage, n=" .. c[1]) end
    end
  end)
  it("says when n is too small for the level: (min, max) with its smaller coverage", function()
    local lo, hi, cov = sm.median_ci_ranks(5, 0.95)
    spec.eq(lo, 1, "lo"); spec.eq(hi, 5, "hi")
    spec.near(cov, 0.9375, 1e-15, "coverage of (min, max) at n=5")
    local _, _, c1 = sm.median_ci_ranks(1)
    spec.eq(c1, 0, "one sample covers nothing")
  end)
  it("agrees with the exact binomial sum for every n up to 700 (both code paths) at 90, 95, 99%", function()
    for _, level in ipairs { 0.90, 0.95, 0.99 } do
      for n = 1, 700 do
        local lo, hi, cov = sm.median_ci_ranks(n, level)
        local wlo, whi, wcov = ranks_by_definition(n, level)
        if lo ~= wlo or hi ~= whi then error(string.format("n=%d level=%g: got (%d, %d), want (%d, %d)", n, level, lo, hi, wlo, whi)) end
        spec.near(cov, wcov, 1e-9, "coverage n=" .. n)
        if n >= 8 then spec.truthy(cov >= level, "coverage >= level at n=" .. n) end
        spec.truthy(lo <= (n + 1) // 2 and hi >= n // 2 + 1, "the interval holds the sample median's ranks")
      end
    end
  end)
  it("is the normal approximation's neighbour for a large n", function()
    local n = 100000
    local lo, hi, cov = sm.median_ci_ranks(n)
    spec.truthy(math.abs(lo - (n / 2 - 1.96 * math.sqrt(n) / 2)) < 2, "lower rank near n/2 - 1.96 sqrt(n)/2, got " .. lo)
    spec.eq(hi, n - lo + 1, "symmetric")
    spec.truthy(cov >= 0.95 and cov < 0.951, "coverage just above 95%: " .. cov)
  end)
end)

describe("median_ci", function()
  it("returns the order statistics of unsorted data", function()
    local xs = { 7, 3, 10, 1, 9, 2, 8, 5, 4, 6 }
    local lo, hi, cov = sm.median_ci(xs)
    spec.eq(lo, 2, "x(2)"); spec.eq(hi, 9, "x(9)")
    spec.near(cov, 0.978515625, 1e-15, "coverage")
    spec.eq(xs[1], 7, "the input is not reordered")
  end)
  it("holds the median of skewed samples, where the mean's t interval can go below zero", function()
    local xs = {}
    for i = 1, 40 do xs[i] = 1 + i * 0.001 end
    xs[41], xs[42] = 500, 900
    local lo, hi = sm.median_ci(xs)
    spec.truthy(lo > 1 and hi < 1.05, string.format("[%g, %g] stays with the bulk", lo, hi))
  end)
  it("rejects bad input, naming it", function()
    spec.fails(function() sm.median_ci({}) end, "median_ci", "non-empty")
    spec.fails(function() sm.median_ci({ 1, "x" }) end, "median_ci", "xs[2]")
    spec.fails(function() sm.median_ci({ 1, 0 / 0 }) end, "xs[2]")
    spec.fails(function() sm.median_ci({ 1, 2 }, 1.5) end, "median_ci", "level")
    spec.fails(function() sm.median_ci_ranks(0) end, "median_ci_ranks", "positive integer")
    spec.fails(function() sm.median_ci_ranks(10, 0) end, "level")
  end)
end)

spec.finish()
