-- Gates: checks over a finished run. A gate is a table {name = "...", check = fn} or a plain function;
-- check(run) returns one of
--   {ok = true, msg = "..."}               PASS
--   {ok = false, msg = "..."}              FAIL
--   {skip = true, msg = why}               SKIPPED: nothing to judge (e.g. no GPU); never a pass
--   {inconclusive = true, msg = why}       INCONCLUSIVE: too noisy to tell; never a pass
-- ({status = "pass"|"fail"|"skip"|"inconclusive", msg =} and {skipped = true} are accepted too.)
-- run.results holds one record per (configuration, backend): its fields are listed in record.lua and
-- in the README ("The run and result records"). A gate that raises an error is a script error (exit 2).
local usage = require "robolua.usage"
local M = {}

-- A gate constructor's options, checked where the scenario calls it (a usage error naming that line):
-- spec maps each accepted key to its kind; a misspelt key, a missing required one or a value of the
-- wrong kind is an error naming gate.NAME and the key, never a default taken in silence. The backends a
-- gate names are kept in gate.backends, so that the plan can refuse one the scenario does not have.
local kinds = {
  backend = { "a backend name (a string)", function(v) return type(v) == "string" and v ~= "" end },
  where = { "a function(config, record) -> boolean", function(v) return type(v) == "function" end },
  pct = { "a finite number >= 0", function(v) return type(v) == "number" and v >= 0 and v < math.huge end },
  positive = { "a finite number > 0", function(v) return type(v) == "number" and v > 0 and v < math.huge end },
  share = { "a percentage in (0, 100]", function(v) return type(v) == "number" and v > 0 and v <= 100 end },
  alpha = { "a number in (0, 1)", function(v) return type(v) == "number" and v > 0 and v < 1 end },
  label = { "a string", function(v) return type(v) == "string" end },
  against = { "nil or \"same_size\"", function(v) return v == "same_size" end },
  dram_against = { "\"copy\" or \"peak\"", function(v) return v == "copy" or v == "peak" end },
}
local function options(gate, o, spec, required)
  -- a usage error (exit 2, no traceback) that names the scenario's line: the caller of gate.NAME
  local function refuse(msg)
    local at = debug.getinfo(4, "Sl") -- (1 refuse, 2 options, 3 gate.NAME, 4 its caller)
    usage.raise(string.format("%s%s: %s", at and at.currentline > 0 and (at.short_src .. ":" .. at.currentline .. ": ") or "", gate, msg))
  end
  if o == nil and not required then return {} end
  if type(o) ~= "table" then refuse("expected an options table, got " .. type(o)) end
  local keys = {}
  for k in pairs(spec) do keys[#keys + 1] = k end
  table.sort(keys)
  local unknown = usage.unknown_key(o, keys)
  if unknown then refuse(unknown) end
  for _, k in ipairs(required or {}) do
    if o[k] == nil then refuse(string.format("%s is required (%s)", k, kinds[spec[k]][1])) end
  end
  for k, kind in pairs(spec) do
    local v = o[k]
    if v ~= nil and not kinds[kind][2](v) then
      refuse(string.format("%s: expected %s, got %s", k, kinds[kind][1], type(v) == "string" and ("'" .. v .. "'") or tostring(v)))
    end
  end
  return o
end

M.options = options -- (rl.profile's gates check theirs the same way)

-- gate.backends: the backends named by o's keys (in that order), for the plan's check.
local function naming(gate, o, ...)
  gate.backends = {}
  for _, k in ipairs { ... } do
    if o[k] then gate.backends[#gate.backends + 1] = { key = k, name = o[k] } end
  end
  return gate
end

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
  return backend and ("no " .. backend .. " results to judge") or "no results to judge"
end

-- Every measured (config, backend) was verified against the float64 reference (added by the runner).
function M.verified()
  return { name = "verified against the float64 reference", check = function(run)
    local bad, n = {}, 0
    for _, r in ipairs(run.results) do
      if r.status == "failed_verification" then
        bad[#bad + 1] = r.key .. " " .. r.backend .. ": " .. tostring(r.reason)
      elseif r.status == "error" or r.status == "not_run" then -- (not verified: it never got that far)
        bad[#bad + 1] = string.format("%s %s: not verified (%s): %s", r.key, r.backend,
          r.status == "error" and "an error" or "not run", tostring(r.reason))
      end
      if r.status == "ok" then n = n + 1 end
    end
    if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
    if n == 0 then return { skip = true, msg = "nothing was measured" } end
    return { ok = true, msg = n .. " results verified before timing" }
  end }
end

-- Spread of per-seed medians ((max - min) / median) at most max_pct, per (config, backend), judged
-- against the noise floor: the identical-data controls (the first seed's data measured as further
-- seeds, interleaved with the others). Per record:
--   PASS          the seeds spread within max_pct and so do the controls
--   INCONCLUSIVE  the controls alone spread beyond max_pct (the machine is too noisy to tell), or the
--                 seeds spread beyond it but no more than identical data does (F test of the seed
--                 medians' variance against the controls', p >= alpha)
--   FAIL          the seeds spread beyond max_pct AND beyond the noise floor (p < alpha): a seed effect
-- Without controls (controls = 0) the seed spread alone decides, as before.
local stats = require "robolua.stats"
local function var(xs)
  local m = stats.mean(xs)
  local s = 0
  for _, x in ipairs(xs) do s = s + (x - m) ^ 2 end
  return s / (#xs - 1)
end
function M.variance(o)
  o = options("gate.variance", o, { max_pct = "pct", alpha = "alpha", backend = "backend", where = "where" })
  local max_pct, alpha = o.max_pct or 5, o.alpha or 0.01
  return naming({ name = string.format("variance: per-seed median spread <= %g%%%s", max_pct, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad, noisy, worst, floors = {}, {}, 0, 0
      for _, r in ipairs(rs) do
        local floor = r.noise_floor_pct
        local p
        if floor and #r.seed_medians >= 2 and r.control_medians and #r.control_medians >= 1 then
          floors = floors + 1
          local group = { r.seed_medians[1] }
          for _, m in ipairs(r.control_medians) do group[#group + 1] = m end
          local vs, vc = var(r.seed_medians), var(group)
          p = vc > 0 and stats.f_tail(vs / vc, #r.seed_medians - 1, #group - 1) or (vs > 0 and 0 or 1)
        end
        local label = string.format("%s %s: seeds %.2f%%%s", r.key, r.backend, r.seed_spread_pct,
          floor and string.format(", noise floor %.2f%%%s", floor, p and string.format(", F test p = %.2g", p) or "") or "")
        if floor and floor > max_pct then
          noisy[#noisy + 1] = label .. " (the controls alone spread beyond the envelope)"
        elseif r.seed_spread_pct > max_pct then
          if p == nil or p < alpha then bad[#bad + 1] = label
          else noisy[#noisy + 1] = label .. " (beyond the envelope, but no more than identical data spreads)" end
        else
          worst = math.max(worst, r.seed_spread_pct)
        end
      end
      if #bad > 0 then
        return { ok = false, msg = "a seed effect beyond the noise floor: " .. fmt_list(bad) .. (#noisy > 0 and ("; inconclusive: " .. fmt_list(noisy)) or "") }
      end
      if #noisy > 0 then return { inconclusive = true, msg = "too noisy to judge: " .. fmt_list(noisy) } end
      return { ok = true, msg = string.format("worst %.2f%% over %d results%s", worst, #rs,
        floors > 0 and ", each with its noise floor within the envelope" or " (no controls: noise floor not measured)") }
    end }, o, "backend")
end

-- The ranking of backends by per-seed median is the same under every seed, for every config.
function M.ordering(o)
  o = options("gate.ordering", o, { where = "where" })
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
  o = options("gate.speedup", o, { base = "backend", cand = "backend", min = "positive", where = "where" }, { "base", "cand" })
  local min = o.min or 1
  return naming({ name = string.format("speedup: %s vs %s >= %gx", o.cand, o.base, min), check = function(run)
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
  end }, o, "base", "cand")
end

-- Median latency at most max_ms (per backend, optional where(config)).
function M.latency(o)
  o = options("gate.latency", o, { max_ms = "positive", backend = "backend", where = "where" }, { "max_ms" })
  return naming({ name = string.format("latency: median <= %g ms%s", o.max_ms, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad = {}
      for _, r in ipairs(rs) do
        if r.stats.median > o.max_ms then bad[#bad + 1] = string.format("%s %s: %.4g ms", r.key, r.backend, r.stats.median) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = #rs .. " results" }
    end }, o, "backend")
end

-- Effective bandwidth at least min_gbps.
function M.throughput(o)
  o = options("gate.throughput", o, { min_gbps = "positive", backend = "backend", where = "where" }, { "min_gbps" })
  return naming({ name = string.format("throughput: >= %g GB/s%s", o.min_gbps, o.backend and (" (" .. o.backend .. ")") or ""),
    check = function(run)
      local rs = ok_results(run, o.backend, o.where)
      if #rs == 0 then return { skip = true, msg = skip_msg(run, o.backend) } end
      local bad = {}
      for _, r in ipairs(rs) do
        if r.gbps < o.min_gbps then bad[#bad + 1] = string.format("%s %s: %.1f GB/s", r.key, r.backend, r.gbps) end
      end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = #rs .. " results" }
    end }, o, "backend")
end

-- Effective bandwidth as % of the copy bandwidth measured in the same run on the same device: the
-- large-buffer copy (default), or with against = "same_size" a copy of each result's own bytes timed
-- the same way (CUDA results).
function M.roofline(o)
  o = options("gate.roofline", o, { min_pct = "pct", against = "against", backend = "backend", label = "label", where = "where" })
  local min_pct = o.min_pct or 80
  local same = o.against == "same_size"
  local field = same and "copy_same_pct" or "roofline_pct"
  return naming({ name = string.format("roofline: >= %g%% of %s%s%s", min_pct,
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
    end }, o, "backend")
end

-- Samples taken below threshold_pct (default 90) of the device's maximum SM clock at most max_pct %
-- of a record's samples (default 0): a throttled GPU makes a slow number that is not the kernel's.
function M.throttle(o)
  o = options("gate.throttle", o, { max_pct = "pct", threshold_pct = "share", backend = "backend", where = "where" })
  local max_pct = o.max_pct or 0
  return naming({ name = string.format("throttle: <= %g%% of samples below %g%% of the max SM clock", max_pct, o.threshold_pct or 90),
    check = function(run)
      local rs, bad, judged = ok_results(run, o.backend, o.where), {}, 0
      for _, r in ipairs(rs) do
        local t = r.throttled
        if t and t.of > 0 then
          judged = judged + 1
          local pct = 100 * t.samples / t.of
          if pct > max_pct then bad[#bad + 1] = string.format("%s %s: %d of %d samples throttled", r.key, r.backend, t.samples, t.of) end
        end
      end
      if judged == 0 then return { skip = true, msg = "no SM clock readings (no GPU or no NVML)" } end
      if #bad > 0 then return { ok = false, msg = fmt_list(bad) } end
      return { ok = true, msg = judged .. " results, no throttled samples beyond the limit" }
    end }, o, "backend")
end

-- Normalises a user gate (function or table) and runs it. status: pass | fail | skip | inconclusive |
-- error (the gate raised: a script error, exit 2).
function M.evaluate(gate, run, index)
  local name, check
  if type(gate) == "function" then
    local info = debug.getinfo(gate, "S")
    name, check = string.format("custom gate #%d (%s:%d)", index, info.short_src, info.linedefined), gate
  elseif type(gate) == "table" and type(gate.check) == "function" then
    name, check = gate.name or ("gate #" .. index), gate.check
  else
    return { name = "gate #" .. index, status = "error", msg = "not a gate: expected a function or {name=, check=}" }
  end
  local ok, res = xpcall(check, debug.traceback, run)
  if not ok then return { name = name, status = "error", msg = "the gate raised an error: " .. tostring(res) } end
  if type(res) ~= "table" then
    return { name = name, status = "error", msg = "the gate returned " .. type(res) .. ", expected {ok=, msg=}, {skip=}, or {inconclusive=}" }
  end
  local status
  if res.status == "pass" or res.status == "fail" or res.status == "skip" or res.status == "inconclusive" then
    status = res.status
  elseif res.skip or res.skipped then
    status = "skip"
  elseif res.inconclusive then
    status = "inconclusive"
  elseif res.ok == true then
    status = "pass"
  elseif res.ok == false then
    status = "fail"
  else
    return { name = res.name or name, status = "error", msg = "the gate returned a table without ok, skip or inconclusive" }
  end
  return { name = res.name or name, status = status, msg = res.msg and tostring(res.msg) or "" }
end

return M
