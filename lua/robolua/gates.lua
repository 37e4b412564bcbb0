-- Gates: pass/fail checks over a finished run. A gate is a table {name = "...", check = fn} or a plain
-- function; check(run) returns {ok = true|false, msg = "..."}, or {skip = true, msg = why} when it has
-- nothing to judge (e.g. the cuda backend was not available). A skipped gate is never a pass.
-- run.results holds one entry per (config, backend): see scenario.lua for the fields.
local M = {}

local function ok_results(run, backend, where)
  local out = {}
  for _, r in ipairs(run.results) do
    if r.status == "ok" and (not backend or r.backend == backend) and (not where or where(r.config, r)) then
      out[#out + 1] = r
    end
  end
  return out
end
M.ok_results = ok_results

local function fmt_list(items, limit)
  limit = limit or 4
  local shown = {}
  for i = 1, math.min(#items, limit) do shown[i] = items[i] end
  local s = table.concat(shown, "; ")
  if #items > limit then s = s .. string.format("; and %d more", #items - limit) end
  return s
end

local function skip_msg(run, backend)
  for _, r in ipairs(run.results) do
    if r.backend == backend and r.status == "skipped" then return backend .. " skipped: " .. tostring(r.reason) end
  end
  return "no " .. (backend or "") .. " results to judge"
end

-- Every measured (config, backend) was verified against the float64 reference (added by the runner).
function M.verified()
  return { name = "verified against the float64 reference", check = function(run)
    local bad, n = {}, 0
    for _, r in ipairs(run.results) do
      if r.status == "failed_verification" or r.status == "error" then bad[#bad + 1] = r.key .. " " .. r.backend .. ": " .. tostring(r.reason) end
      if r.status == "ok" then n = n + 1 end
    end
    if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
    if n == 0 then return { skip = true, msg = "nothing was measured" } end
    return { ok = true, msg = n .. " results verified before timing" }
  end }
end

-- Spread of per-seed medians (max - min over the median) at most max_pct, per (config, backend).
function M.variance(o)
  o = o or {}
  local max_pct = o.max_pct or 5
  return { name = string.format("variance: per-seed median spread <= %g%%%s", max_pct, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad, worst = {}, 0
      for _, r in ipairs(rs) do
        worst = math.max(worst, r.seed_spread_pct)
        if r.seed_spread_pct > max_pct then bad[#bad + 1] = string.format("%s %s: %.2f%%", r.key, r.backend, r.seed_spread_pct) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = string.format("worst %.2f%% over %d results", worst, #rs) }
    end }
end

-- The ranking of backends by per-seed median is the same under every seed, for every config.
function M.ordering(o)
  o = o or {}
  return { name = "ordering: same backend ranking under every seed", check = function(run)
    local by_config, keys = {}, {}
    for _, r in ipairs(ok_results(run, nil, o.where)) do
      if not by_config[r.key] then by_config[r.key] = {}; keys[#keys + 1] = r.key end
      table.insert(by_config[r.key], r)
    end
    local judged, bad = 0, {}
    for _, key in ipairs(keys) do
      local rs = by_config[key]
      if #rs >= 2 then
        judged = judged + 1
        local first
        for s = 1, #rs[1].seed_medians do
          local order = {}
          for i, r in ipairs(rs) do order[i] = { r.backend, r.seed_medians[s] } end
          table.sort(order, function(a, b) return a[2] < b[2] end)
          local names = {}
          for i, e in ipairs(order) do names[i] = e[1] end
          local rank = table.concat(names, "<")
          first = first or rank
          if rank ~= first then bad[#bad + 1] = string.format("%s: seed #%d ranks %s, seed #1 %s", key, s, rank, first) end
        end
      end
    end
    if judged == 0 then return { skip = true, msg = "no configuration has two measured backends" } end
    if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
    return { ok = true, msg = judged .. " configurations, ranking stable under every seed" }
  end }
end

-- median(base) / median(cand) >= min for every config measured on both.
function M.speedup(o)
  assert(type(o) == "table" and o.base and o.cand, "gate.speedup{base=, cand=, min=}")
  local min = o.min or 1
  return { name = string.format("speedup: %s vs %s >= %gx", o.cand, o.base, min), check = function(run)
    local base = {}
    for _, r in ipairs(ok_results(run, o.base, o.where)) do base[r.key] = r end
    local pairs_n, bad, worst = 0, {}, math.huge
    for _, r in ipairs(ok_results(run, o.cand, o.where)) do
      local b = base[r.key]
      if b then
        pairs_n = pairs_n + 1
        local s = b.stats.median / r.stats.median
        worst = math.min(worst, s)
        if s < min then bad[#bad + 1] = string.format("%s: %.2fx", r.key, s) end
      end
    end
    if pairs_n == 0 then return { skip = true, msg = skip_msg(run, o.cand) } end
    if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
    return { ok = true, msg = string.format("lowest %.2fx over %d configurations", worst, pairs_n) }
  end }
end

-- Median latency at most max_ms (per backend, optional where(config)).
function M.latency(o)
  assert(type(o) == "table" and o.max_ms, "gate.latency{backend=, max_ms=, where=}")
  return { name = string.format("latency: median <= %g ms%s", o.max_ms, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad = {}
      for _, r in ipairs(rs) do
        if r.stats.median > o.max_ms then bad[#bad + 1] = string.format("%s %s: %.4g ms", r.key, r.backend, r.stats.median) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = #rs .. " results" }
    end }
end

-- Effective bandwidth at least min_gbps.
function M.throughput(o)
  assert(type(o) == "table" and o.min_gbps, "gate.throughput{backend=, min_gbps=, where=}")
  return { name = string.format("throughput: >= %g GB/s%s", o.min_gbps, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad = {}
      for _, r in ipairs(rs) do
        if r.gbps < o.min_gbps then bad[#bad + 1] = string.format("%s %s: %.1f GB/s", r.key, r.backend, r.gbps) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = #rs .. " results" }
    end }
end

-- Effective bandwidth as % of the copy bandwidth measured in the same run on the same device: the
-- large-buffer copy (default), or with against = "same_size" a copy of each result's own bytes timed
-- the same way (CUDA results).
function M.roofline(o)
  o = o or {}
  local min_pct = o.min_pct or 80
  local same = o.against == "same_size"
  if o.against ~= nil and not same then error("gate.roofline: against must be nil or \"same_size\"", 2) end
  local field = same and "copy_same_pct" or "roofline_pct"
  return { name = string.format("roofline: >= %g%% of %s%s%s", min_pct,
      same and "a same-size copy timed the same way" or "same-run copy bandwidth",
      o.backend and (" (" .. o.backend .. ")") or "", o.label and (" " .. o.label) or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad, worst = {}, math.huge
      for _, r in ipairs(rs) do
        if not r[field] then
          return { skip = true, msg = (same and "no same-size copy was measured for " or "no copy bandwidth was measured for ") .. r.backend }
        end
        worst = math.min(worst, r[field])
        if r[field] < min_pct then bad[#bad + 1] = string.format("%s %s: %.1f%%", r.key, r.backend, r[field]) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = string.format("lowest %.1f%% over %d results", worst, #rs) }
    end }
end

-- Normalises a user gate (function or table) and runs it; an error inside a gate is a failure with
-- its message, never a crash of the run.
function M.evaluate(gate, run, index)
  local name, check
  if type(gate) == "function" then
    name, check = "custom gate #" .. index, gate
  elseif type(gate) == "table" and type(gate.check) == "function" then
    name, check = gate.name or ("gate #" .. index), gate.check
  else
    return { name = "gate #" .. index, status = "fail", msg = "not a gate: expected a function or {name=, check=}" }
  end
  local ok, res = pcall(check, run)
  if not ok then return { name = name, status = "fail", msg = "gate raised an error: " .. tostring(res) } end
  if type(res) ~= "table" then return { name = name, status = "fail", msg = "gate returned " .. type(res) .. ", expected {ok=, msg=}" } end
  local status = res.skip and "skip" or (res.ok and "pass" or "fail")
  return { name = res.name or name, status = status, msg = res.msg or "" }
end

return M
