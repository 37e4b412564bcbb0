-- A confidence interval for the median that assumes nothing about the distribution (timing samples
-- are skewed and heavy-tailed, so the t interval of the mean can even go below zero). The interval is
-- [x(k), x(n-k+1)] of the sorted samples: the number of samples below the true median is
-- Binomial(n, 1/2), so the interval covers the median with probability 1 - 2 P(B <= k-1); k is the
-- largest rank whose coverage is still at least the level. Exact for every n (no normal
-- approximation); the coverage actually achieved is returned alongside.
local M = {}

-- log Gamma for x >= 10 by Stirling's series (error below 1e-13 there).
local function lgamma_large(x)
  local x2 = x * x
  return (x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi) + 1 / (12 * x) - 1 / (360 * x * x2) + 1 / (1260 * x2 * x2 * x)
end

-- log P(B = j) for B ~ Binomial(n, 1/2), for 10 <= j <= n - 10 (where Stirling is exact enough).
local function log_pmf_large(n, j)
  return lgamma_large(n + 1) - lgamma_large(j + 1) - lgamma_large(n - j + 1) - n * math.log(2)
end

-- The ranks (k, n-k+1) of the distribution-free interval of the median of n samples, and its exact
-- coverage. When even (min, max) covers less than the level (n < 6 at 95%), returns 1, n and that
-- smaller coverage: the caller must say so.
local function check_level(fn, level)
  if level == nil then return 0.95 end
  if type(level) ~= "number" or not (level > 0 and level < 1) then
    error(fn .. ": level must be a number in (0, 1), got " .. tostring(level), 3)
  end
  return level
end

function M.median_ci_ranks(n, level)
  if math.type(n) ~= "integer" or n < 1 then error("median_ci_ranks: n must be a positive integer, got " .. tostring(n), 2) end
  level = check_level("median_ci_ranks", level)
  local half_alpha = (1 - level) / 2 * (1 + 1e-12) -- the tolerance keeps exact ties (e.g. 1/64) on the inside
  -- The binomial tail far below the mean holds nothing a level can ask for (< 1e-30 beyond 12 standard
  -- deviations), so a large n starts the sum there instead of at 0.
  local j = 0
  local log_p = -n * math.log(2)
  if n > 400 then
    j = math.floor(n / 2 - 6 * math.sqrt(n))
    log_p = log_pmf_large(n, j)
  end
  local cdf = math.exp(log_p) -- P(B <= j), the skipped tail counted as 0
  if cdf > half_alpha then return 1, n, 1 - 2 * cdf end -- only at j = 0: even (min, max) is short of the level
  -- grow j while P(B <= j) stays within alpha/2; the rank is then k = j + 1
  while j + 1 < n do
    local next_log_p = log_p + math.log(n - j) - math.log(j + 1)
    local next_cdf = cdf + math.exp(next_log_p)
    if next_cdf > half_alpha then break end
    j, log_p, cdf = j + 1, next_log_p, next_cdf
  end
  local k = j + 1
  return k, n - k + 1, 1 - 2 * cdf
end

-- lo, hi, coverage: the distribution-free interval of the median of xs at the given level (default
-- 0.95). coverage < level means n was too small for the level and (min, max) is returned.
function M.median_ci(xs, level)
  if type(xs) ~= "table" or #xs == 0 then error("median_ci: xs must be a non-empty array of numbers", 2) end
  level = check_level("median_ci", level)
  local s = {}
  for i = 1, #xs do
    local v = xs[i]
    if type(v) ~= "number" or v ~= v then error(string.format("median_ci: xs[%d] is not a number (%s)", i, tostring(v)), 2) end
    s[i] = v
  end
  table.sort(s)
  local lo_rank, hi_rank, coverage = M.median_ci_ranks(#s, level)
  return s[lo_rank], s[hi_rank], coverage
end

return M
