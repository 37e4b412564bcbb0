-- A random API fuzzer: calls the public entry points (rl.tensor, rl.empty, tensor methods and fields,
-- rl.trajectories, rl.resample on the cpu and reference backends, rl.compare, rl.validate_times,
-- rl.stats.*, rl.bench.resample with tiny repeats) with random valid and invalid arguments: wrong
-- types, NaN, inf, huge, negative, aliased and closed tensors, mismatched shapes and dtypes.
-- Every call must return or raise a string error that is not a raw Lua runtime error ("attempt to
-- index/compare/call/perform arithmetic ...") from inside robolua; the process must never crash
-- (CI also runs this under ASan + UBSan).
-- Fixed seed (ROBOLUA_FUZZ_SEED, default 20261201); runs for ROBOLUA_FUZZ_SECONDS (default 2).
-- A failure prints the call number and what was called, to reproduce with the same seed.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"

local SEED = tonumber(os.getenv("ROBOLUA_FUZZ_SEED") or "") or 20261201
local SECONDS = tonumber(os.getenv("ROBOLUA_FUZZ_SECONDS") or "") or 2
math.randomseed(SEED)
local rnd = math.random
local function pick(list) return list[rnd(1, #list)] end
local function chance(p) return rnd() < p end
-- Half the calls are clean (every argument valid, so that they reach the work behind the checks);
-- in the others each argument goes wrong with its own probability.
local clean = false
local function bad(p) return not clean and rnd() < p end

-- Scalars. Sizes are small (1..8), invalid, or so huge that any tensor using one is far beyond any
-- machine's memory (2^50 elements): never a size that would allocate gigabytes and pass.
local NAN = 0 / 0
local odd_numbers = { 0, -1, -0.0, 0.5, 1.5, NAN, math.huge, -math.huge, 1e300, -1e300, 1e-300, 5e-324,
  2 ^ 53, 2 ^ 63, -2 ^ 63, math.mininteger, math.maxinteger, -2 ^ 32 }
local odd_values = { nil, true, false, "", "x", "3", {}, { 1 }, print, coroutine.create(print) }
local small_sizes = { 1, 2, 3, 4, 5, 8, 3.0 }
local bad_sizes = { 0, -1, 1.5, NAN, math.huge, 2 ^ 50, 2 ^ 62, math.maxinteger, math.mininteger, -2 ^ 32, "2", "x", true, {} }
local dtypes = { "f32", "bf16", "f16", "f64", "i64", "float32", "int8", "", 5 }
local devices = { "cpu", "host", "tpu", 1 }
if not rl.cuda.available() then devices[#devices + 1] = "cuda" end -- (an error here; on a GPU host it would run)

local function any_scalar()
  if chance(0.6) then return pick(odd_numbers) end
  return odd_values[rnd(1, #odd_values)] -- (may be nil)
end
local function size()
  if bad(0.2) then return pick(bad_sizes) end
  return pick(small_sizes)
end
-- v, or (in a call that is not clean, with probability 1 - p) a wrong value.
local function maybe(v, p) if bad(1 - (p or 0.8)) then return any_scalar() end return v end

local function shape()
  if bad(0.1) then return any_scalar() end
  local s, n = {}, bad(0.05) and rnd(0, 6) or rnd(1, 4)
  for i = 1, n do s[i] = size() end
  return s
end
local function numel(sh)
  local n = 1
  for _, v in ipairs(type(sh) == "table" and sh or {}) do n = n * (tonumber(v) or 1) end
  return n
end

-- Live tensors of many shapes and dtypes, some closed; refreshed as the run goes.
local pool = {}
local function add(t) pool[#pool + 1] = t; if #pool > 40 then table.remove(pool, rnd(1, #pool)) end end
local function make_tensor()
  local ok, t = pcall(rl.empty, { rnd(1, 4), rnd(1, 6), rnd(1, 3) }, pick({ "f32", "bf16", "f16", "f64", "i64" }))
  if ok then add(t) end
  ok, t = pcall(rl.tensor, nil, { rnd(1, 3), rnd(1, 6) }, pick({ "f32", "f64" }))
  if ok then add(t) end
end
for _ = 1, 10 do make_tensor() end
local function a_tensor()
  if #pool == 0 or chance(0.1) then make_tensor() end
  local t = pick(pool)
  if bad(0.03) then t:close() end
  return t
end
local function tensor_or_junk() if bad(0.15) then return any_scalar() end return a_tensor() end

-- A consistent resample problem (so that calls reach past the argument checks), often mutated.
local function problem(cpu)
  local ok, tr = pcall(rl.trajectories, { batch = rnd(1, 3), source_len = rnd(1, 9), target_len = rnd(1, 7),
    dim = rnd(1, 5), dtype = pick(cpu and { "f32", "bf16", "f16" } or { "f32", "bf16", "f16", "f64" }),
    seed = rnd(0, 99), timing = pick({ "jitter", "uniform" }) })
  if not ok then error("a valid trajectories call failed: " .. tostring(tr)) end
  local src, st, tt = tr.src, tr.src_times, tr.tgt_times
  add(src); add(st); add(tt)
  if bad(0.15) then st:fill(pick({ NAN, math.huge, -1, 0 })) end
  if bad(0.15) then tt:fill(pick({ NAN, -math.huge, 1e30 })) end
  if bad(0.4) then
    local r = rnd(1, 5)
    if r == 1 then src = tensor_or_junk() elseif r == 2 then st = tensor_or_junk() elseif r == 3 then tt = tensor_or_junk()
    elseif r == 4 then tt = st else st = src end -- mismatches and aliases
  end
  return src, st, tt
end

local function resample_opts(bench, backend)
  if bad(0.05) then return any_scalar() end
  local o = {
    backend = maybe(backend, 0.9),
    threads = chance(0.5) and nil or bad(0.3) and pick({ -1, 1.5, 5000, NAN, "x" }) or pick({ 0, 1, 2, 3 }),
    validate = chance(0.7) and nil or bad(0.2) and 1 or pick({ true, false }),
    strict = chance(0.8) and nil or bad(0.2) and "yes" or pick({ true, false }),
    out = (bad(0.15) or chance(0.05)) and tensor_or_junk() or nil,
  }
  if bench then
    o.warmup = bad(0.1) and pick({ -1, 1.5, NAN, 2 ^ 40 }) or pick({ 0, 1 })
    o.repeats = bad(0.1) and pick({ 0, -1, 1.5, NAN, 2 ^ 40 }) or pick({ 1, 2 })
    o.mode = bad(0.2) and pick({ "graph", "warm", 3 }) or chance(0.01) and "cold" or "hot" -- (cold flushes the LLC, 0.1 s: rare)
    o.rotate = bad(0.1) and pick({ 2, 0, 65 }) or nil
    o.batch = bad(0.1) and pick({ 1, 0, 1e9 }) or nil
    o.nvtx = bad(0.1) and pick({ "range", 5 }) or nil
  end
  return o
end

-- Samples for the statistics: mostly finite numbers, sometimes NaN, inf, holes, strings, non-tables.
local function sample()
  if bad(0.08) then return any_scalar() end
  local xs, n = {}, bad(0.1) and 0 or rnd(1, 12)
  for i = 1, n do
    xs[i] = chance(0.2) and rnd(-5, 5) or (rnd() - 0.3) * 10 ^ rnd(-3, 3)
    if bad(0.1) then xs[i] = any_scalar() end
  end
  if chance(0.3) then table.sort(xs, function(a, b) return tostring(a) < tostring(b) end) end
  return xs
end
local function prob() return bad(0.3) and any_scalar() or rnd() end
local function df() return bad(0.4) and any_scalar() or pick({ 1, 2, 4.5, 30, 1e3, 1e5, 1e15, 1e300, math.huge }) end
local function values(sh)
  if bad(0.3) then return sample() end
  if chance(0.5) then return nil end
  local v = {}
  for i = 1, math.min(numel(sh), 64) do v[i] = (rnd() - 0.5) * 100 end
  return v
end

-- The calls: each returns the function to call, its arguments, and a name for messages.
local calls = {
  function()
    local sh = shape()
    return rl.tensor, { values(sh), sh, maybe(pick({ "f32", "f64", "bf16" }), 0.7), maybe({ device = maybe("cpu", 0.7) }, 0.8) }, "rl.tensor"
  end,
  function() return rl.empty, { shape(), maybe(pick({ "f32", "f64", "f16", "i64" }), 0.7), maybe({ device = maybe("cpu", 0.7) }, 0.8) }, "rl.empty" end,
  function()
    local t = tensor_or_junk()
    local m = pick({ "totable", "bytes", "to", "copy_from", "fill", "close" })
    local arg = m == "to" and maybe("cpu", 0.7) or m == "copy_from" and tensor_or_junk() or m == "fill" and maybe(rnd() * 10, 0.7)
      or any_scalar()
    local method = rl.empty({ 1 })[m] -- the C function itself, so that junk reaches its self check
    return method, { t, arg }, "tensor:" .. m
  end,
  function()
    local t = a_tensor()
    local k = pick({ "shape", "dtype", "device", "nbytes", "ndim", "numel", "closed", "nope" })
    return function(x) return x[k], #x, tostring(x) end, { t }, "tensor." .. k
  end,
  function()
    local o = { batch = size(), source_len = size(), dim = size(), target_len = chance(0.7) and nil or size(),
      dtype = maybe(pick(dtypes), 0.5), seed = maybe(rnd(0, 9), 0.9), timing = maybe(pick({ "jitter", "uniform" }), 0.9),
      rate = maybe(pick({ 100, 1, 1e-6, 1e5 }), 0.7), jitter = maybe(pick({ 0, 0.25, 0.49 }), 0.8),
      drop = maybe(pick({ 0, 0.05, 0.9 }), 0.8), max_offset = maybe(pick({ 0, 2, 1e-3 }), 0.8),
      device = bad(0.1) and pick(devices) or nil }
    if bad(0.15) then
      local a = a_tensor()
      o.into = chance(0.2) and any_scalar() or { src = chance(0.5) and a or a_tensor(), src_times = a_tensor(), tgt_times = chance(0.3) and a or a_tensor() }
    end
    return rl.trajectories, { bad(0.05) and any_scalar() or o }, "rl.trajectories"
  end,
  function()
    local backend = pick({ "cpu", "reference" })
    local src, st, tt = problem(backend == "cpu")
    return rl.resample, { src, st, tt, resample_opts(false, backend) }, "rl.resample"
  end,
  function()
    local src, st, tt = problem(true)
    return rl.bench.resample, { src, st, tt, resample_opts(true, "cpu") }, "rl.bench.resample"
  end,
  function()
    local got, ref = a_tensor(), a_tensor()
    if not bad(0.5) then
      local src, st, tt = problem(true)
      local ok1, o = pcall(rl.resample, src, st, tt, { backend = "cpu" })
      local ok2, r = pcall(rl.resample, src, st, tt, { backend = "reference" })
      if ok1 and ok2 then got, ref = o, r end
    end
    local opts = chance(0.5) and nil or { rtol = maybe(1e-6, 0.7), atol = maybe(1e-6, 0.7), ulps = maybe(1, 0.7) }
    return rl.compare, { maybe(got, 0.9), maybe(ref, 0.9), bad(0.05) and any_scalar() or opts }, "rl.compare"
  end,
  function()
    local _, st = problem()
    return rl.validate_times, { maybe(st, 0.9), chance(0.5) and nil or { strict = maybe(true, 0.8), monotone = maybe(false, 0.8) } }, "rl.validate_times"
  end,
  function()
    local S = rl.stats
    local fn = pick({ "summary", "mean", "std", "median", "quantile", "quantile_sorted", "mean_ci", "outliers",
      "spread_pct", "mann_whitney", "t_quantile", "t_cdf", "normal_cdf", "normal_quantile" })
    local args
    if fn == "quantile" or fn == "quantile_sorted" then args = { sample(), prob() }
    elseif fn == "mean_ci" or fn == "summary" then args = { sample(), chance(0.5) and nil or prob() }
    elseif fn == "std" then args = { sample(), chance(0.7) and nil or any_scalar() }
    elseif fn == "mann_whitney" then args = { sample(), sample() }
    elseif fn == "t_quantile" then args = { prob(), df() }
    elseif fn == "t_cdf" then args = { bad(0.3) and any_scalar() or (rnd() - 0.5) * 10 ^ rnd(0, 200), df() }
    elseif fn == "normal_cdf" then args = { bad(0.3) and any_scalar() or (rnd() - 0.5) * 80 }
    elseif fn == "normal_quantile" then args = { prob() }
    else args = { sample() } end
    if fn == "quantile_sorted" and type(args[1]) == "table" and not bad(0.3) then
      pcall(table.sort, args[1])
    end
    return S[fn], args, "rl.stats." .. fn
  end,
}

-- Describes an argument list for a failure message.
local function show(args, n)
  local parts = {}
  for i = 1, n do
    local v = args[i]
    if type(v) == "table" then
      local items = {}
      for k, x in pairs(v) do
        if #items < 8 then items[#items + 1] = tostring(k) .. "=" .. tostring(x) end
      end
      parts[i] = "{" .. table.concat(items, ", ") .. "}"
    else
      parts[i] = tostring(v)
    end
  end
  return table.concat(parts, ", ")
end

spec.describe("API fuzzer", function()
  spec.it(string.format("random calls for %g s (seed %d) return or raise clear errors", SECONDS, SEED), function()
    local t0, n, errors, by_name = rl.clock(), 0, 0, {}
    while rl.clock() - t0 < SECONDS do
      n = n + 1
      clean = chance(0.5)
      local fn, args, name = pick(calls)()
      local ok, err = pcall(fn, table.unpack(args, 1, 4))
      local count = by_name[name] or { 0, 0 }
      by_name[name] = count
      count[1] = count[1] + 1
      if ok then count[2] = count[2] + 1 end
      if not ok then
        errors = errors + 1
        local where = string.format("call %d, %s(%s)", n, name, show(args, 4))
        if type(err) ~= "string" then error(where .. ": raised a " .. type(err) .. ", not a message") end
        if err:find("attempt to", 1, true) then error(where .. ": raw Lua error: " .. err) end
      end
      if n % 200 == 0 then collectgarbage() end
    end
    local names = {}
    for k, v in pairs(by_name) do names[#names + 1] = string.format("%s %d (%d returned)", k, v[1], v[2]) end
    table.sort(names)
    print(string.format("      %d calls, %d raised a clear error; %s", n, errors, table.concat(names, ", ")))
    spec.truthy(n >= 50, "at least 50 calls ran (" .. n .. ")")
  end)
end)

spec.finish()
