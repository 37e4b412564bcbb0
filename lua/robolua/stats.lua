-- Descriptive statistics for timing samples: n, mean, std (n-1), min, max, median, p90, p99, CV%,
-- a 95% confidence interval of the mean with Student's t (exact quantile, never 1.96 for small n),
-- and Tukey-fence outlier counts (mild beyond 1.5 IQR, severe beyond 3 IQR; counted, never dropped).
local M = {}

local function sorted_copy(xs)
  local s = {}
  for i = 1, #xs do s[i] = xs[i] end
  table.sort(s)
  return s
end

-- Linear-interpolated quantile (type 7, as numpy's default) of an already sorted array, p in [0, 1].
function M.quantile_sorted(s, p)
  local n = #s
  assert(n > 0, "quantile of an empty sample")
  if n == 1 then return s[1] end
  local h = (n - 1) * p + 1
  local lo = math.floor(h)
  if lo >= n then return s[n] end
  return s[lo] + (h - lo) * (s[lo + 1] - s[lo])
end

function M.quantile(xs, p) return M.quantile_sorted(sorted_copy(xs), p) end
function M.median(xs) return M.quantile(xs, 0.5) end

function M.mean(xs)
  local sum = 0
  for i = 1, #xs do sum = sum + xs[i] end
  return sum / #xs
end

function M.std(xs, mean)
  local n = #xs
  if n < 2 then return 0 end
  mean = mean or M.mean(xs)
  local ss = 0
  for i = 1, n do ss = ss + (xs[i] - mean) ^ 2 end
  return math.sqrt(ss / (n - 1))
end

-- log Gamma by Lanczos (g = 7, n = 9), ample for the t distribution's degrees of freedom.
local lanczos = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7 }
local function lgamma(x)
  if x < 0.5 then return math.log(math.pi / math.abs(math.sin(math.pi * x))) - lgamma(1 - x) end
  x = x - 1
  local a = lanczos[1]
  local t = x + 7.5
  for i = 1, 8 do a = a + lanczos[i + 1] / (x + i) end
  return 0.5 * math.log(2 * math.pi) + (x + 0.5) * math.log(t) - t + math.log(a)
end

-- Regularised incomplete beta I_x(a, b) by its continued fraction (modified Lentz).
local function betacf(a, b, x)
  local tiny, eps = 1e-300, 1e-15
  local qab, qap, qam = a + b, a + 1, a - 1
  local c, d = 1, 1 - qab * x / qap
  if math.abs(d) < tiny then d = tiny end
  d = 1 / d
  local h = d
  for m = 1, 300 do
    local m2 = 2 * m
    local aa = m * (b - m) * x / ((qam + m2) * (a + m2))
    d = 1 + aa * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    h = h * d * c
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
    d = 1 + aa * d; if math.abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if math.abs(c) < tiny then c = tiny end
    d = 1 / d
    local del = d * c
    h = h * del
    if math.abs(del - 1) < eps then break end
  end
  return h
end

local function ibeta(a, b, x)
  if x <= 0 then return 0 end
  if x >= 1 then return 1 end
  local bt = math.exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * math.log(x) + b * math.log(1 - x))
  if x < (a + 1) / (a + b + 2) then return bt * betacf(a, b, x) / a end
  return 1 - bt * betacf(b, a, 1 - x) / b
end

-- CDF of Student's t with df degrees of freedom.
function M.t_cdf(t, df)
  local x = df / (df + t * t)
  local tail = 0.5 * ibeta(df / 2, 0.5, x)
  return t >= 0 and 1 - tail or tail
end

-- Quantile of Student's t: the t with t_cdf(t, df) = p, by bisection (monotone, 200 halvings).
function M.t_quantile(p, df)
  assert(p > 0 and p < 1, "t_quantile: p must be in (0, 1)")
  assert(df > 0, "t_quantile: df must be positive")
  if p == 0.5 then return 0 end
  if p < 0.5 then return -M.t_quantile(1 - p, df) end
  local lo, hi = 0, 1
  while M.t_cdf(hi, df) < p do hi = hi * 2 end
  for _ = 1, 200 do
    local mid = 0.5 * (lo + hi)
    if M.t_cdf(mid, df) < p then lo = mid else hi = mid end
    if hi - lo < 1e-13 * hi then break end
  end
  return 0.5 * (lo + hi)
end

-- Standard normal CDF. erfc by its Taylor series near 0 and by Laplace's continued fraction
-- erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) in the tails.
function M.normal_cdf(z)
  local x = math.abs(z) / math.sqrt(2)
  local erfc
  if x < 2.5 then
    local sum, term, n = x, x, 0
    repeat
      n = n + 1
      term = -term * x * x / n
      local add = term / (2 * n + 1)
      sum = sum + add
    until math.abs(add) <= 1e-17 * math.abs(sum) -- (x = 0: add = sum = 0 stops at once)
    erfc = 1 - 2 / math.sqrt(math.pi) * sum
  else
    local f = x
    for k = 80, 1, -1 do f = x + (k / 2) / f end
    erfc = math.exp(-x * x) / math.sqrt(math.pi) / f
  end
  return z >= 0 and 1 - erfc / 2 or erfc / 2
end

-- Mann-Whitney U test of two samples (no assumption of normality): U of xs, the normal
-- approximation with tie correction and continuity correction, two-sided p. Ties get average ranks.
function M.mann_whitney(xs, ys)
  local n1, n2 = #xs, #ys
  assert(n1 > 0 and n2 > 0, "mann_whitney: both samples must be non-empty")
  local all = {}
  for _, v in ipairs(xs) do all[#all + 1] = { v, 1 } end
  for _, v in ipairs(ys) do all[#all + 1] = { v, 2 } end
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
  local z = math.max(0, math.abs(u - mu) - 0.5) / math.sqrt(var)
  return { u = u, z = u < mu and -z or z, p = math.min(1, 2 * (1 - M.normal_cdf(z))) }
end

-- Confidence interval of the mean: {lo, hi, half_width, t}. n < 2 gives an infinite interval.
function M.mean_ci(xs, level)
  level = level or 0.95
  local n = #xs
  local mean = M.mean(xs)
  if n < 2 then return { lo = -math.huge, hi = math.huge, half = math.huge, t = math.huge } end
  local t = M.t_quantile(1 - (1 - level) / 2, n - 1)
  local half = t * M.std(xs, mean) / math.sqrt(n)
  return { lo = mean - half, hi = mean + half, half = half, t = t }
end

-- Tukey fences on a sample: counts of mild (beyond 1.5 IQR, within 3) and severe (beyond 3 IQR).
function M.outliers(xs)
  local s = sorted_copy(xs)
  local q1, q3 = M.quantile_sorted(s, 0.25), M.quantile_sorted(s, 0.75)
  local iqr = q3 - q1
  local mild, severe = 0, 0
  for i = 1, #s do
    local x = s[i]
    if x < q1 - 3 * iqr or x > q3 + 3 * iqr then severe = severe + 1
    elseif x < q1 - 1.5 * iqr or x > q3 + 1.5 * iqr then mild = mild + 1 end
  end
  return { mild = mild, severe = severe, q1 = q1, q3 = q3, iqr = iqr }
end

-- Everything at once for one sample array.
function M.summary(xs, level)
  local n = #xs
  assert(n > 0, "summary of an empty sample")
  local s = sorted_copy(xs)
  local mean = M.mean(xs)
  local std = M.std(xs, mean)
  local ci = M.mean_ci(xs, level)
  local out = M.outliers(xs)
  return {
    n = n, mean = mean, std = std, min = s[1], max = s[n],
    median = M.quantile_sorted(s, 0.5), p90 = M.quantile_sorted(s, 0.9), p99 = M.quantile_sorted(s, 0.99),
    cv_pct = mean ~= 0 and 100 * std / math.abs(mean) or 0,
    ci_lo = ci.lo, ci_hi = ci.hi, ci_half = ci.half, ci_level = level or 0.95, t = ci.t,
    outliers_mild = out.mild, outliers_severe = out.severe, q1 = out.q1, q3 = out.q3,
  }
end

-- Spread of per-seed medians: (max - min) / median of the medians, in percent.
function M.spread_pct(medians)
  local lo, hi = math.huge, -math.huge
  for _, m in ipairs(medians) do
    if m < lo then lo = m end
    if m > hi then hi = m end
  end
  local mid = M.median(medians)
  if mid == 0 then return 0 end
  return 100 * (hi - lo) / mid
end

return M
