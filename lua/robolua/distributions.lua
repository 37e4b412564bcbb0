-- The numerics behind robolua.stats' distribution functions: Student's t and the standard normal,
-- their CDFs, upper tails and quantiles. Arguments are NOT checked here: call rl.stats.t_cdf,
-- t_quantile, normal_cdf or normal_quantile, which check them and then call these.
-- Every loop is bounded (series and continued fractions by a term count, searches by an iteration
-- count), whatever the arguments.
local M = {}

local huge, sqrt, log, exp, abs = math.huge, math.sqrt, math.log, math.exp, math.abs
local MAX_DOUBLE = 1.7976931348623157e308

-- log1p(u) for u > -1, exact near 0 (the correction of Goldberg's trick).
local function log1p(u)
  local w = 1 + u
  if w == 1 then return u end
  return log(w) * (u / (w - 1)) -- (parenthesised: log(w) * u overflows for u near the largest double)
end

-- log Gamma by Lanczos (g = 7, n = 9); lbeta below avoids its cancellation for large arguments.
local lanczos = { 0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
  -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6,
  1.5056327351493116e-7 }
local function lgamma(x)
  if x < 0.5 then return log(math.pi / abs(math.sin(math.pi * x))) - lgamma(1 - x) end
  x = x - 1
  local a = lanczos[1]
  local t = x + 7.5
  for i = 1, 8 do a = a + lanczos[i + 1] / (x + i) end
  return 0.5 * log(2 * math.pi) + (x + 0.5) * log(t) - t + log(a)
end

-- lgamma(x) - ((x - 0.5) log x - x + log(2 pi) / 2) for x >= 10 (Stirling's series; error < 1e-17).
local function stirling_rest(x)
  local r = 1 / (x * x)
  return (1 / 12 - r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r * (1 / 1188 - r * 691 / 360360))))) / x
end

-- log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b). For a large the two big lgammas nearly
-- cancel, so their difference is taken from Stirling's series directly.
local function lbeta(a, b)
  if a < b then a, b = b, a end
  if a < 10 then return lgamma(a) + lgamma(b) - lgamma(a + b) end
  local diff = (a - 0.5) * log1p(b / a) + b * log(a + b) - b + stirling_rest(a + b) - stirling_rest(a)
  return lgamma(b) - diff -- lgamma(a + b) - lgamma(a) = diff
end

-- Continued fraction of the incomplete beta (modified Lentz); converges fast for x < (a+1)/(a+b+2).
local function betacf(a, b, x)
  local tiny, eps = 1e-300, 1e-16
  local qab, qap, qam = a + b, a + 1, a - 1
  local c, d = 1, 1 - qab * x / qap
  if abs(d) < tiny then d = tiny end
  d = 1 / d
  local h = d
  for m = 1, 1000 do
    local m2 = 2 * m
    local aa = m * (b - m) * x / ((qam + m2) * (a + m2))
    d = 1 + aa * d; if abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if abs(c) < tiny then c = tiny end
    d = 1 / d
    h = h * d * c
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
    d = 1 + aa * d; if abs(d) < tiny then d = tiny end
    c = 1 + aa / c; if abs(c) < tiny then c = tiny end
    d = 1 / d
    local del = d * c
    h = h * del
    if abs(del - 1) < eps then break end
  end
  return h
end

-- erfc(x) for x >= 0, and its log (which, unlike erfc itself, never underflows): Taylor series of
-- erf below 1 (where 1 - erf loses no digits), else Laplace's continued fraction
-- erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up from
-- enough terms for double precision at that x (200 from x = 1, 80 from 2.5).
local function erfc_pos(x)
  if x < 1 then
    local sum, term, n = x, x, 0
    repeat
      n = n + 1
      term = -term * x * x / n
      local add = term / (2 * n + 1)
      sum = sum + add
    until abs(add) <= 1e-17 * abs(sum) -- (x = 0: add = sum = 0 stops at once)
    local v = 1 - 2 / sqrt(math.pi) * sum
    return v, log(v)
  end
  local f = x
  if x < 27.3 then -- (beyond, exp(-x^2) underflows and f = x to double precision)
    for k = x < 2.5 and 200 or 80, 1, -1 do f = x + (k / 2) / f end
  end
  return exp(-x * x) / sqrt(math.pi) / f, -x * x - log(sqrt(math.pi) * f)
end

local function normal_cdf_of(z)
  local erfc = erfc_pos(abs(z) / sqrt(2))
  return z >= 0 and 1 - erfc / 2 or erfc / 2
end

local LOG_HALF = log(0.5)

-- P(Z > z) for z >= 0, and its log.
local function normal_tail(z)
  local e, log_e = erfc_pos(z / sqrt(2))
  return e / 2, log_e + LOG_HALF
end

-- From this many degrees of freedom on, Hill's normalising transformation (CACM algorithm 395) is
-- accurate to about 1e-13 relative, and better as df grows, while the incomplete beta's continued
-- fraction converges ever more slowly (both measured against 50-digit values: the crossover is here).
local DF_HILL = 4000

-- P(T > t) for t >= 0, and its log: small tails keep their relative precision, and the log stays
-- exact where the tail itself underflows (quantiles of small tails are searched on the log, never
-- on 1 - cdf).
local function t_tail(t, df)
  if t == huge then return 0, -huge end
  -- Below df = 1e-20, 1 - I_x(df/2, 1/2) < df * 1500 for every finite t: the tail rounds to 0.5.
  if t == 0 or df < 1e-20 then return 0.5, LOG_HALF end
  if df == huge then return normal_tail(t) end
  local r = t / sqrt(df)
  local r2 = r * r -- t^2 / df without overflowing t^2
  if r2 == 0 then return 0.5, LOG_HALF end
  if df >= DF_HILL then
    if r2 == huge then return 0, -huge end
    local a = df - 0.5
    local y -- a * log1p(t^2 / df); where r2 is tiny (maybe subnormal) from t^2 itself
    if r2 < 1e-8 then y = t * (a / df) * t * (1 - r2 / 2) else y = a * log1p(r2) end
    if y > 1e4 then return 0, -huge end -- log tail < -5000: beyond every double, q included
    local b = 48 * a * a
    local z = (((((-0.4 * y - 3.3) * y - 24) * y - 85.5) / (0.8 * y * y + 100 + b) + y + 3) / b + 1) * sqrt(y)
    return normal_tail(z)
  end
  -- 2 P(T > t) = I_x(df/2, 1/2), x = df/(df + t^2) = 1/(1 + r2), y = 1 - x = r2/(1 + r2).
  local a, b = df / 2, 0.5
  local log_x, log_y, x, y
  if r2 == huge then
    log_x, log_y = -2 * (log(t) - 0.5 * log(df)), 0
    x, y = exp(log_x), 1
  else
    local l = log1p(r2)
    log_x, log_y = -l, log(r2) - l
    x, y = 1 / (1 + r2), r2 / (1 + r2)
  end
  local log_bt = a * log_x + b * log_y - lbeta(a, b)
  if x < (a + 1) / (a + b + 2) then
    local cf = betacf(a, b, x)
    return 0.5 * exp(log_bt) * cf / a, LOG_HALF + log_bt + log(cf / a)
  end
  local v = 0.5 * (1 - exp(log_bt) * betacf(b, a, y) / b) -- here the tail is at least about 0.04
  return v, log(v)
end

local function t_cdf_of(t, df)
  if t >= 0 then return 1 - t_tail(t, df) end
  return (t_tail(-t, df))
end

-- The t >= 0 with tail(t) = q, for a decreasing tail function with tail(0) = 0.5 and q in (0, 0.5),
-- compared on the logs (the second value of tail), so that subnormal q are found as precisely as
-- any; nil when even the largest double has a tail above q. The bracket grows by doubling and then
-- by squaring (at most 23 steps); the search halves the interval (geometrically while it spans more
-- than a factor 4), at most 2000 times, so every loop is bounded.
local function invert_tail(tail, q)
  local log_q = log(q)
  local function above(t) return select(2, tail(t)) > log_q end
  local lo, hi = 0.0, 1.0 -- floats: integers would wrap around when squared
  while above(hi) do
    if hi == MAX_DOUBLE then return nil end
    lo = hi
    hi = hi < 65536 and 2 * hi or math.min(hi * hi, MAX_DOUBLE)
  end
  for _ = 1, 2000 do
    local mid = (lo > 0 and hi > 4 * lo) and sqrt(lo) * sqrt(hi) or 0.5 * (lo + hi)
    if mid <= lo or mid >= hi then break end
    if above(mid) then lo = mid else hi = mid end
    if hi - lo <= 1e-15 * hi then break end
  end
  return 0.5 * (lo + hi)
end

local function normal_upper_quantile(q) -- z >= 0 with P(Z > z) = q, q in (0, 0.5]
  if q == 0.5 then return 0 end
  return invert_tail(normal_tail, q)
end

-- t >= 0 with P(T > t) = q, q in (0, 0.5]; nil when t would exceed the largest double.
local function t_upper_quantile(q, df)
  if q == 0.5 then return 0 end
  if df == huge then return normal_upper_quantile(q) end
  return invert_tail(function(t) return t_tail(t, df) end, q)
end

-- Regularised incomplete beta I_x(a, b) (a, b > 0, x in [0, 1]) through the continued fraction,
-- on whichever side converges.
local function ibeta(a, b, x)
  if x <= 0 then return 0 end
  if x >= 1 then return 1 end
  local log_bt = a * log(x) + b * log1p(-x) - lbeta(a, b)
  if x < (a + 1) / (a + b + 2) then return exp(log_bt) * betacf(a, b, x) / a end
  return 1 - exp(log_bt) * betacf(b, a, 1 - x) / b
end

-- P(F > f) for Fisher's F with (d1, d2) degrees of freedom: I_{d2/(d2 + d1 f)}(d2/2, d1/2).
local function f_tail(f, d1, d2)
  if f <= 0 then return 1 end
  if f == huge then return 0 end
  return ibeta(d2 / 2, d1 / 2, d2 / (d2 + d1 * f))
end

M.ibeta = ibeta
M.f_tail = f_tail
M.normal_cdf = normal_cdf_of
M.t_cdf = t_cdf_of
M.t_tail = t_tail
M.normal_upper_quantile = normal_upper_quantile
M.t_upper_quantile = t_upper_quantile
return M
