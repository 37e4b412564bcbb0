-- Descriptive statistics for timing samples: n, mean, std (n-1), min, max, median, p90, p99, CV%,
-- a 95% confidence interval of the mean with Student's t (exact quantile, never 1.96 for small n),
-- and Tukey-fence outlier counts (mild beyond 1.5 IQR, severe beyond 3 IQR; counted, never dropped).
-- Every public function checks its arguments and raises "stats.<fn>: <argument>: <problem>" at the
-- caller's line; the local *_of functions below do the work on values already checked.
local M = {}

local dist = require "robolua.distributions"
local huge, floor, sqrt, abs = math.huge, math.floor, math.sqrt, math.abs
local normal_cdf_of, t_cdf_of, t_upper_quantile = dist.normal_cdf, dist.t_cdf, dist.t_upper_quantile

---------------------------------------------------------------------------------------------------
-- Argument checks. raise(level, ...) raises at `level` above itself: the checks below are called
-- directly by a public function, so level 3 (check, public function, its caller) names the caller.
local function raise(level, fn, what, problem)
  error(string.format("stats.%s: %s: %s", fn, what, problem), level + 1)
end

-- A number as short as it can be written and still read back the same.
local function describe_number(v)
  if v ~= v then return "NaN" end
  local short = string.format("%.14g", v)
  return tonumber(short) == v and short or string.format("%.17g", v)
end

-- A finite number (integers too). what: the argument's name in the message.
local function check_finite(fn, what, v)
  if type(v) ~= "number" then raise(3, fn, what, "expected a number, got " .. type(v)) end
  if v ~= v or v == huge or v == -huge then raise(3, fn, what, "expected a finite number, got " .. describe_number(v)) end
end

-- An array of finite numbers with at least min_n elements; returns its length.
local function check_sample(fn, what, xs, min_n)
  if type(xs) ~= "table" then raise(3, fn, what, "expected an array of numbers, got " .. type(xs)) end
  local n = #xs
  if math.type(n) ~= "integer" then raise(3, fn, what, "its length (#, from a __len metamethod) is not an integer") end
  if n < min_n then raise(3, fn, what, "the sample is empty") end
  for i = 1, n do
    local v = xs[i]
    if type(v) ~= "number" then raise(3, fn, string.format("%s[%d]", what, i), "expected a number, got " .. type(v)) end
    if v ~= v or v == huge or v == -huge then
      raise(3, fn, string.format("%s[%d]", what, i), describe_number(v) .. " is not a valid sample (must be finite)")
    end
  end
  return n
end

-- A number inside an interval; open_lo/open_hi exclude the ends. nil is allowed when def is given.
local function check_in(fn, what, v, lo, hi, open_lo, open_hi, def)
  if v == nil and def ~= nil then return def end
  if type(v) ~= "number" then raise(3, fn, what, "expected a number, got " .. type(v)) end
  local below = open_lo and not (v > lo) or not (v >= lo)
  local above = open_hi and not (v < hi) or not (v <= hi)
  if below or above then
    raise(3, fn, what, string.format("must be in %s%s, %s%s, got %s", open_lo and "(" or "[", tostring(lo),
      tostring(hi), open_hi and ")" or "]", describe_number(v)))
  end
  return v
end

-- Degrees of freedom: a positive number, math.huge allowed (the normal distribution).
local function check_df(fn, df)
  if type(df) ~= "number" then raise(3, fn, "df", "expected a number, got " .. type(df)) end
  if not (df > 0) then raise(3, fn, "df", "must be positive (or math.huge), got " .. describe_number(df)) end
  return df
end

---------------------------------------------------------------------------------------------------
-- Descriptive statistics on checked, non-empty samples.
local function sorted_copy(xs)
  local s = {}
  for i = 1, #xs do s[i] = xs[i] end
  table.sort(s)
  return s
end

-- Linear-interpolated quantile (type 7, as numpy's default) of a sorted array, p in [0, 1].
local function quantile_sorted_of(s, p)
  local n = #s
  if n == 1 then return s[1] end
  local h = (n - 1) * p + 1
  local lo = floor(h)
  if lo >= n then return s[n] end
  local a, b = s[lo] + 0.0, s[lo + 1] + 0.0 -- floats: integer differences could wrap around
  if h == lo then return a end
  local step = b - a
  if step == huge then return (1 - (h - lo)) * a + (h - lo) * b end -- b - a overflowed
  return a + (h - lo) * step
end

local function mean_of(xs)
  local n, sum = #xs, 0.0
  for i = 1, n do sum = sum + xs[i] end
  if sum == huge or sum == -huge then -- finite samples whose sum overflows: sum them pre-divided
    sum = 0.0
    for i = 1, n do sum = sum + xs[i] / n end
    return sum
  end
  return sum / n
end

local function std_of(xs, mean)
  local n = #xs
  if n < 2 then return 0 end
  local ss = 0
  for i = 1, n do ss = ss + (xs[i] - mean) ^ 2 end
  if ss == huge then -- squares overflow: scale by the largest deviation first
    local m = 0
    for i = 1, n do m = math.max(m, abs(xs[i] / 2 - mean / 2)) end
    ss = 0
    for i = 1, n do ss = ss + ((xs[i] / 2 - mean / 2) / m) ^ 2 end
    return 2 * m * sqrt(ss / (n - 1))
  end
  return sqrt(ss / (n - 1))
end

---------------------------------------------------------------------------------------------------
-- Confidence interval of the mean, outliers: on checked samples.
local function mean_ci_of(xs, level)
  local n = #xs
  local mean = mean_of(xs)
  if n < 2 then return { lo = -huge, hi = huge, half = huge, t = huge } end
  local t = t_upper_quantile((1 - level) / 2, n - 1)
  if not t then return { lo = -huge, hi = huge, half = huge, t = huge } end
  local half = t * std_of(xs, mean) / sqrt(n)
  return { lo = mean - half, hi = mean + half, half = half, t = t }
end

local function outliers_of(s) -- s sorted
  local q1, q3 = quantile_sorted_of(s, 0.25), quantile_sorted_of(s, 0.75)
  local iqr = q3 - q1
  local mild, severe = 0, 0
  for i = 1, #s do
    local x = s[i]
    if x < q1 - 3 * iqr or x > q3 + 3 * iqr then severe = severe + 1
    elseif x < q1 - 1.5 * iqr or x > q3 + 1.5 * iqr then mild = mild + 1 end
  end
  return { mild = mild, severe = severe, q1 = q1, q3 = q3, iqr = iqr }
end

---------------------------------------------------------------------------------------------------
-- The public functions.

-- quantile_sorted(s, p): type-7 quantile of an ascending array s, p in [0, 1].
function M.quantile_sorted(s, p)
  local n = check_sample("quantile_sorted", "s", s, 1)
  check_in("quantile_sorted", "p", p, 0, 1, false, false)
  for i = 2, n do
    if s[i] < s[i - 1] then raise(2, "quantile_sorted", "s", string.format("not sorted ascending (s[%d] < s[%d])", i, i - 1)) end
  end
  return quantile_sorted_of(s, p)
end

function M.quantile(xs, p)
  check_sample("quantile", "xs", xs, 1)
  check_in("quantile", "p", p, 0, 1, false, false)
  return quantile_sorted_of(sorted_copy(xs), p)
end

function M.median(xs)
  check_sample("median", "xs", xs, 1)
  return quantile_sorted_of(sorted_copy(xs), 0.5)
end

function M.mean(xs)
  check_sample("mean", "xs", xs, 1)
  return mean_of(xs)
end

-- Sample standard deviation (n - 1); 0 for one sample. mean: optional, the sample's mean if known.
function M.std(xs, mean)
  check_sample("std", "xs", xs, 1)
  if mean == nil then return std_of(xs, mean_of(xs)) end
  check_finite("std", "mean", mean)
  return std_of(xs, mean)
end

-- CDF of Student's t with df degrees of freedom (df = math.huge: the standard normal).
function M.t_cdf(t, df)
  if type(t) ~= "number" or t ~= t then check_finite("t_cdf", "t", t) end -- +-inf are fine: 0 and 1
  check_df("t_cdf", df)
  return t_cdf_of(t + 0.0, df) -- a float: -math.mininteger would wrap around
end

-- Quantile of Student's t: the t with t_cdf(t, df) = p, p in (0, 1), df in (0, math.huge].
function M.t_quantile(p, df)
  check_in("t_quantile", "p", p, 0, 1, true, true)
  check_df("t_quantile", df)
  if p == 0.5 then return 0 end
  local q = p < 0.5 and p or 1 - p
  local t = t_upper_quantile(q, df)
  if not t then
    raise(2, "t_quantile", "p", string.format("the quantile of %s at df = %s is beyond the largest double",
      describe_number(p), describe_number(df)))
  end
  return p < 0.5 and -t or t
end

-- Standard normal CDF (z = +-inf gives 1 and 0).
function M.normal_cdf(z)
  if type(z) ~= "number" or z ~= z then check_finite("normal_cdf", "z", z) end
  return normal_cdf_of(z + 0.0) -- a float: math.abs(math.mininteger) would wrap around
end

-- Standard normal quantile: the z with normal_cdf(z) = p, p in (0, 1).
function M.normal_quantile(p)
  check_in("normal_quantile", "p", p, 0, 1, true, true)
  if p < 0.5 then return -dist.normal_upper_quantile(p) end
  return dist.normal_upper_quantile(1 - p)
end

-- Mann-Whitney U test of two samples (no assumption of normality): U of xs, the normal
-- approximation with tie correction and continuity correction, two-sided p. Ties get average ranks.
function M.mann_whitney(xs, ys)
  local n1 = check_sample("mann_whitney", "xs", xs, 1)
  local n2 = check_sample("mann_whitney", "ys", ys, 1)
  local all = {}
  for i = 1, n1 do all[#all + 1] = { xs[i], 1 } end
  for i = 1, n2 do all[#all + 1] = { ys[i], 2 } end
  table.sort(all, function(a, b) return a[1] < b[1] end)
  local n, r1, ties, i = n1 + n2, 0, 0, 1
  while i <= n do
    local j = i
    while j < n and all[j + 1][1] == all[i][1] do j = j + 1 end
    local rank, t = (i + j) / 2, j - i + 1
    ties = ties + t * t * t - t
    for k = i, j do if all[k][2] == 1 then r1 = r1 + rank end end
    i = j + 1
  end
  local u = r1 - n1 * (n1 + 1) / 2
  local mu = n1 * n2 / 2
  local var = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
  if n < 2 or var <= 0 then return { u = u, z = 0, p = 1 } end
  local z = math.max(0, abs(u - mu) - 0.5) / sqrt(var)
  return { u = u, z = u < mu and -z or z, p = math.min(1, 2 * (1 - normal_cdf_of(z))) }
end

-- Confidence interval of the mean: {lo, hi, half_width, t}; level in (0, 1), default 0.95.
-- n < 2, or a level so close to 1 that t exceeds the doubles, gives an infinite interval.
function M.mean_ci(xs, level)
  check_sample("mean_ci", "xs", xs, 1)
  level = check_in("mean_ci", "level", level, 0, 1, true, true, 0.95)
  return mean_ci_of(xs, level)
end

-- Tukey fences on a sample: counts of mild (beyond 1.5 IQR, within 3) and severe (beyond 3 IQR).
function M.outliers(xs)
  check_sample("outliers", "xs", xs, 1)
  return outliers_of(sorted_copy(xs))
end

-- Everything at once for one sample array; level of the CI as in mean_ci.
function M.summary(xs, level)
  local n = check_sample("summary", "xs", xs, 1)
  level = check_in("summary", "level", level, 0, 1, true, true, 0.95)
  local s = sorted_copy(xs)
  local mean = mean_of(xs)
  local std = std_of(xs, mean)
  local ci = mean_ci_of(xs, level)
  local out = outliers_of(s)
  return {
    n = n, mean = mean, std = std, min = s[1], max = s[n],
    median = quantile_sorted_of(s, 0.5), p90 = quantile_sorted_of(s, 0.9), p99 = quantile_sorted_of(s, 0.99),
    cv_pct = mean ~= 0 and 100 * std / abs(mean) or 0,
    ci_lo = ci.lo, ci_hi = ci.hi, ci_half = ci.half, ci_level = level, t = ci.t,
    outliers_mild = out.mild, outliers_severe = out.severe, q1 = out.q1, q3 = out.q3,
  }
end

-- Spread of per-seed medians: (max - min) / median of the medians, in percent.
function M.spread_pct(medians)
  local n = check_sample("spread_pct", "medians", medians, 1)
  local lo, hi = huge, -huge
  for i = 1, n do
    local m = medians[i]
    if m < lo then lo = m end
    if m > hi then hi = m end
  end
  local mid = quantile_sorted_of(sorted_copy(medians), 0.5)
  if mid == 0 then return 0 end
  return 100 * ((hi + 0.0) - lo) / mid
end

-- The 95% (or level) confidence interval of the median, distribution-free (order statistics and the
-- binomial distribution): lua/robolua/stats_median.lua.
local median_ci = require "robolua.stats_median"
M.median_ci, M.median_ci_ranks = median_ci.median_ci, median_ci.median_ci_ranks

-- P(F > f) for Fisher's F with (d1, d2) degrees of freedom (the variance gate's test of a seed effect
-- against the identical-data controls).
function M.f_tail(f, d1, d2)
  for _, a in ipairs { { "f", f }, { "d1", d1 }, { "d2", d2 } } do
    if type(a[2]) ~= "number" or a[2] ~= a[2] then error("stats.f_tail: " .. a[1] .. ": expected a number", 2) end
  end
  if not (d1 > 0 and d2 > 0) then error("stats.f_tail: d1 and d2 must be positive", 2) end
  return require("robolua.distributions").f_tail(f, d1, d2)
end

return M
