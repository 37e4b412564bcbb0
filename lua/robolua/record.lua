-- The result record: one per (configuration, backend[, device]) of a run, and the run document that
-- holds them. The record in memory has the same shape as in results.json (what a custom gate or report
-- receives is what a later compare reads back), and this module is its only owner: constructor,
-- samples, statistics, the JSON document, reading documents back (schema 1 and 2), and the table of
-- fields every report iterates.
--
-- A record: {key, backend, workload, device ("cpu"|"cuda"), gpu ({index, name, uuid} with --devices),
--   index (the configuration's place in the plan), status ("ok" | "skipped" | "failed_verification" | "error" | "interrupted" | "not_run"), reason,
--   point {axis = value}, config {the workload's view}, label, bytes, rotate, threads, interleave,
--   seeds [{seed, control, samples_ms [], sm_clock_mhz [], verification {ok, bad, max_abs_err,
--   max_ulp_err}, stop}], and after finalize: stats {n mean std min max median p90 p99 cv_pct ci_lo
--   ci_hi ci_level outliers_mild outliers_severe}, seed_medians [], seed_spread_pct, control_medians [],
--   noise_floor_pct, gbps, roofline_pct, copy_same {bytes, median_ms, bytes_per_s}, copy_same_pct,
--   speedup, speedup_base, sm_clock_min_mhz, sm_clock_max_mhz, throttled {samples, of, below_mhz},
--   load_avg [before, after], ncu {duration_ms, dram_pct, launches, kernels_per_call, ...}}
local stats = require "robolua.stats"
local json = require "robolua.json"
local fmt = require "robolua.fmt"
local M = {}

M.SCHEMA = "robolua.run/2"
M.READABLE = { ["robolua.run/1"] = true, ["robolua.run/2"] = true }

function M.id(r) return r.key .. " | " .. r.backend .. (r.gpu and (" | gpu" .. r.gpu.index) or "") end

function M.new(o)
  return { key = o.key, backend = o.backend, workload = o.workload, device = o.device, gpu = o.gpu, status = "ok",
    point = o.point, config = o.config, label = o.label, bytes = o.bytes, seeds = {}, index = o.index }
end

function M.set_status(r, status, reason)
  r.status, r.reason = status, reason and tostring(reason) or nil
end

-- The entry of seed position si (created on first use).
function M.seed(r, si, seed, control)
  local e = r.seeds[si]
  if not e then
    e = { seed = seed, control = control or nil, samples_ms = {}, sm_clock_mhz = {} }
    r.seeds[si] = e
  end
  return e
end

function M.add_samples(r, si, samples, clocks)
  local e = r.seeds[si]
  table.move(samples, 1, #samples, #e.samples_ms + 1, e.samples_ms)
  if clocks then table.move(clocks, 1, #clocks, #e.sm_clock_mhz + 1, e.sm_clock_mhz) end
end

local function medians_of(r, want_control)
  local out = {}
  for _, e in ipairs(r.seeds) do
    if (e.control == true) == want_control and #e.samples_ms > 0 then out[#out + 1] = stats.median(e.samples_ms) end
  end
  return out
end

-- Statistics once measuring is done. ctx: {roofline = {cpu=, cuda=}, sm_clock_max_mhz =,
-- throttle_pct = 90}. Only "ok" records get statistics; controls are kept apart from the seeds.
function M.finalize(r, ctx)
  ctx = ctx or {}
  if r.status ~= "ok" then return r end
  local all = {}
  for _, e in ipairs(r.seeds) do
    if not e.control then table.move(e.samples_ms, 1, #e.samples_ms, #all + 1, all) end
  end
  if #all == 0 then
    M.set_status(r, "error", "no samples were taken")
    return r
  end
  r.stats = stats.summary(all)
  r.seed_medians = medians_of(r, false)
  r.seed_spread_pct = stats.spread_pct(r.seed_medians)
  -- the noise floor: the spread among identical-data runs (the first seed and its controls)
  local controls = medians_of(r, true)
  if #controls > 0 then
    local group = { r.seed_medians[1] }
    table.move(controls, 1, #controls, 2, group)
    r.control_medians = controls
    r.noise_floor_pct = stats.spread_pct(group)
  end
  r.gbps = r.bytes and r.bytes > 0 and r.bytes / (r.stats.median * 1e-3) / 1e9 or nil
  local roof = ctx.roofline and ctx.roofline[r.device]
  if r.gbps and roof and roof.bytes_per_s then r.roofline_pct = 100 * r.gbps * 1e9 / roof.bytes_per_s end
  local same = r.copy_same
  if r.gbps and same and same.bytes_per_s then r.copy_same_pct = 100 * r.gbps * 1e9 / same.bytes_per_s end
  local mn, mx, n, low = nil, nil, 0, 0
  local below = ctx.sm_clock_max_mhz and ctx.sm_clock_max_mhz > 0 and ctx.sm_clock_max_mhz * (ctx.throttle_pct or 90) / 100
  for _, e in ipairs(r.seeds) do
    for _, v in ipairs(e.sm_clock_mhz) do
      if v > 0 then
        mn, mx = math.min(mn or v, v), math.max(mx or v, v)
        n = n + 1
        if below and v < below then low = low + 1 end
      end
    end
  end
  r.sm_clock_min_mhz, r.sm_clock_max_mhz = mn, mx
  if below and n > 0 then r.throttled = { samples = low, of = n, below_mhz = below } end
  return r
end

-- Speedup of every ok record over the base backend's record of the same configuration (and GPU).
function M.speedups(results, base_backend)
  local base = {}
  local function where(r) return r.key .. "|" .. (r.gpu and r.gpu.index or "") end
  for _, r in ipairs(results) do
    if r.status == "ok" and r.backend == base_backend then base[where(r)] = r; base[r.key] = base[r.key] or r end
  end
  for _, r in ipairs(results) do
    local b = base[where(r)] or base[r.key]
    if r.status == "ok" and b and r.stats then
      r.speedup, r.speedup_base = b.stats.median / r.stats.median, base_backend
    end
  end
end

-- Worst verification figures over a record's seeds.
function M.verification(r)
  local max_abs, max_ulp
  for _, e in ipairs(r.seeds) do
    local v = e.verification
    if v then
      max_abs = math.max(max_abs or 0, v.max_abs_err or 0)
      max_ulp = math.max(max_ulp or 0, v.max_ulp_err or 0)
    end
  end
  return max_abs, max_ulp
end

-- Every measured column, once. key: the CSV column; label/unit: for the human tables; get(r, run);
-- human = true: shown in the Markdown/HTML results table; format: how a human table shows it.
local function s(name) return function(r) return r.stats and r.stats[name] end end
M.fields = {
  { key = "n", label = "n", get = s("n"), human = true, format = "int" },
  { key = "mean_ms", label = "mean", unit = "ms", get = s("mean"), format = "ms" },
  { key = "std_ms", label = "std", unit = "ms", get = s("std"), format = "ms" },
  { key = "min_ms", label = "min", unit = "ms", get = s("min"), format = "ms" },
  { key = "median_ms", label = "median", unit = "ms", get = s("median"), human = true, format = "ms" },
  { key = "p90_ms", label = "p90", unit = "ms", get = s("p90"), format = "ms" },
  { key = "p99_ms", label = "p99", unit = "ms", get = s("p99"), format = "ms" },
  { key = "max_ms", label = "max", unit = "ms", get = s("max"), format = "ms" },
  { key = "cv_pct", label = "CV", unit = "%", get = s("cv_pct"), format = "pct" },
  { key = "ci95_lo_ms", label = "95% CI lo", unit = "ms", get = s("ci_lo"), format = "ms" },
  { key = "ci95_hi_ms", label = "95% CI hi", unit = "ms", get = s("ci_hi"), format = "ms" },
  { key = "seed_spread_pct", label = "seed spread", unit = "%", get = function(r) return r.seed_spread_pct end, human = true, format = "pct2" },
  { key = "noise_floor_pct", label = "noise floor", unit = "%", get = function(r) return r.noise_floor_pct end, human = true, format = "pct2" },
  { key = "outliers_mild", label = "outliers mild", get = s("outliers_mild"), format = "int" },
  { key = "outliers_severe", label = "outliers severe", get = s("outliers_severe"), format = "int" },
  { key = "bytes", label = "bytes", get = function(r) return r.bytes end, format = "int" },
  { key = "gbps", label = "GB/s", get = function(r) return r.gbps end, human = true, format = "num1" },
  { key = "roofline_pct", label = "% copy BW", unit = "%", get = function(r) return r.roofline_pct end, human = true, format = "num1" },
  { key = "copy_same_ms", label = "same-size copy", unit = "ms", get = function(r) return r.copy_same and r.copy_same.median_ms end, format = "ms" },
  { key = "copy_same_pct", label = "% same-size copy", unit = "%", get = function(r) return r.copy_same_pct end, human = true, format = "num1" },
  { key = "rotate", label = "input sets", get = function(r) return r.rotate end, format = "int" },
  { key = "speedup_vs_base", label = "speedup", unit = "x", get = function(r) return r.speedup end, human = true, format = "x" },
  { key = "max_abs_err", label = "max abs err", get = function(r) return (M.verification(r)) end, format = "g" },
  { key = "max_ulp_err", label = "max ulp err", get = function(r) return select(2, M.verification(r)) end, format = "g" },
  { key = "sm_clock_min_mhz", label = "SM clock min", unit = "MHz", get = function(r) return r.sm_clock_min_mhz end, format = "int" },
  { key = "sm_clock_max_mhz", label = "SM clock max", unit = "MHz", get = function(r) return r.sm_clock_max_mhz end, format = "int" },
  { key = "throttled_samples", label = "throttled", get = function(r) return r.throttled and r.throttled.samples end, human = true, format = "int" },
  { key = "threads_used", label = "threads", get = function(r) return r.threads end, format = "int" },
}

local formats = {
  int = function(v) return math.type(v) == "integer" and tostring(v) or string.format("%.0f", v) end,
  ms = fmt.ms, pct = function(v) return fmt.num(v, 1) end, pct2 = function(v) return fmt.num(v, 2) .. "%" end,
  num1 = function(v) return fmt.num(v, 1) end, x = function(v) return string.format("%.2fx", v) end,
  g = function(v) return string.format("%.3g", v) end,
}
-- A field's value of r as a human table shows it ("-" when absent).
function M.show(field, r, run)
  local v = field.get(r, run)
  if v == nil or v ~= v then return "-" end
  return (formats[field.format] or tostring)(v)
end

-- Keys of a record that are working state, not results (never written).
local private = {}

local function record_doc(r)
  local d = {}
  for k, v in pairs(r) do
    if not private[k] then d[k] = v end
  end
  d.point = json.sanitize(r.point)
  d.config = json.sanitize(r.config)
  return d
end
M.record_document = record_doc

-- The run document (results.json). run holds the settings, env, rooflines, results and gates.
function M.document(run)
  local doc = {
    schema = M.SCHEMA, scenario = run.scenario, description = run.description, workload = run.workload,
    definition_hash = run.definition_hash, started_utc = run.started_utc, finished_utc = run.finished_utc,
    command = run.command, script = run.script, script_args = run.script_args, passed = run.passed,
    verdict = run.verdict, interrupted = run.interrupted, settings = json.sanitize(run.settings), env = run.env,
    roofline = run.roofline, results = {}, gates = run.gates or {}, reports = run.report_files or {},
    profile_dir = run.profile_dir, shard = run.shard, shards = run.shards, devices = run.devices,
    warnings = run.warnings, interleave = run.interleave, baseline = run.baseline,
  }
  for i, r in ipairs(run.results) do doc.results[i] = record_doc(r) end
  return doc
end

function M.encode(run) return json.encode(M.document(run)) .. "\n" end

-- A decoded document, schema 1 or 2, in schema 2's shape; nil, message for anything else.
function M.from_doc(doc, where)
  where = where or "document"
  if type(doc) ~= "table" then return nil, where .. ": not a JSON object" end
  if not M.READABLE[doc.schema] then
    return nil, string.format("%s: unknown schema %s (this robolua reads %s)", where, tostring(doc.schema), "robolua.run/1 and robolua.run/2")
  end
  if type(doc.results) ~= "table" then return nil, where .. ": no results array" end
  doc.settings = doc.settings or {}
  doc.gates = doc.gates or {}
  -- what every reader indexes without looking (the reports, compare, merge): a hand-edited or truncated
  -- document is refused here, naming the field, rather than failing inside a report
  local list_problem, type_name = require("robolua.usage").list_problem, json.type_name
  local function shape(v, what, kind)
    local got = v == nil and "missing" or type_name(v)
    if kind == "list" then
      if type(v) ~= "table" then return what .. " is " .. got .. ", expected an array" end
      return list_problem(v, what)
    end
    if type(v) ~= "table" then return what .. " is " .. got .. ", expected an object" end
  end
  local function present(v, what, kind) return v ~= nil and shape(v, what, kind) end
  local problem = shape(doc.results, "results", "list") or shape(doc.gates, "gates", "list") or present(doc.env, "env")
    or present(doc.script_args, "script_args", "list")
  if problem then return nil, where .. ": " .. problem end
  -- (a document without its environment, or parts of it, is read: the reports say "unknown" there)
  local env = doc.env or {}
  problem = present(env.git, "env.git") or present(env.host, "env.host") or present(env.cuda, "env.cuda")
  if problem then return nil, where .. ": " .. problem end
  for i, a in ipairs(doc.script_args or {}) do
    if type(a) ~= "string" then return nil, string.format("%s: script_args[%d] is %s, expected a string", where, i, type_name(a)) end
  end
  for i, r in ipairs(doc.results) do
    if type(r) ~= "table" or type(r.key) ~= "string" or type(r.backend) ~= "string" then
      return nil, string.format("%s: results[%d] has no key/backend", where, i)
    end
    if r.gpu ~= nil and not (type(r.gpu) == "table" and math.type(r.gpu.index) == "integer") then
      return nil, string.format("%s: results[%d].gpu is %s, expected an object with an integer index", where, i, type_name(r.gpu))
    end
    -- (seeds or samples that are no array at all, e.g. null, are compare.check's to name; an object where
    -- an array belongs reads as an empty array unless refused here)
    local p = r.config ~= nil and shape(r.config, string.format("results[%d].config", i))
      or type(r.seeds) == "table" and shape(r.seeds, string.format("results[%d].seeds", i), "list")
    if p then return nil, where .. ": " .. p end
    for si, e in ipairs(type(r.seeds) == "table" and r.seeds or {}) do
      p = type(e) == "table" and type(e.samples_ms) == "table" and shape(e.samples_ms, string.format("results[%d].seeds[%d].samples_ms", i, si), "list")
      if p then return nil, where .. ": " .. p end
    end
    r.seeds = r.seeds or {}
    -- a seeds or seed that is not a table (a hand edit, null) is left for the reader to name: compare.check
    if type(r.seeds) == "table" then
      for _, e in ipairs(r.seeds) do
        if type(e) == "table" then
          e.samples_ms = e.samples_ms or {}
          e.sm_clock_mhz = e.sm_clock_mhz or {}
        end
      end
    end
    r.device = r.device or (r.backend == "cuda" and "cuda" or "cpu") -- schema 1 had no device field
  end
  return doc
end

-- A run document from a results.json path or a run folder that holds one; raises a clear error.
function M.load(path)
  local files = require "robolua.files"
  if files.is_dir(path) then path = path .. "/results.json" end
  local text, err = files.read(path)
  if not text then error("cannot read " .. tostring(path) .. ": " .. err, 0) end
  local doc, derr = json.decode(text)
  if not doc then error(path .. " is not JSON: " .. tostring(derr), 0) end
  local ok, why = M.from_doc(doc, path)
  if not ok then error(why, 0) end
  return doc
end

-- All timed samples of a record's seeds (controls excluded).
function M.samples(r)
  local all = {}
  for _, e in ipairs(r.seeds or {}) do
    if not e.control then table.move(e.samples_ms or {}, 1, #(e.samples_ms or {}), #all + 1, all) end
  end
  return all
end

return M
