-- JSON report (schema "robolua.run/1"): the whole run, every raw sample kept, through lua-cjson.
-- Layout: {schema, scenario, description, started_utc, finished_utc, command, passed, interrupted,
--   settings {seeds, warmup, repeats, graph_batch, backends}, env {...}, roofline {cpu, cuda},
--   results [{key, backend, status, reason, config {batch, source_len, target_len, dim, dtype, timing,
--     mode, threads, extra}, bytes, gbps, roofline_pct, copy_same {bytes, mode, rotate, median_ms, bytes_per_s | error},
--     copy_same_pct, rotate (input sets cycled, CUDA), speedup, threads, stats {n, mean, std, min,
--     max, median, p90, p99, cv_pct, ci_lo, ci_hi, ci_level, outliers_mild, outliers_severe},
--     seed_medians [], seed_spread_pct, seeds [{seed, samples_ms [], sm_clock_mhz [], verification,
--     stop (why the stopping rule released the seed)}]}],
--   gates [{name, status, msg}], reports [], profile_dir}
local cjson = require "cjson.safe"
cjson.encode_invalid_numbers("null") -- an infinite CI (n = 1) becomes null rather than invalid JSON
cjson.encode_number_precision(14)
cjson.encode_sparse_array(true)

local M = {}
M.SCHEMA = "robolua.run/1"

function M.encode(v)
  local s, err = cjson.encode(v)
  if not s then error("json: " .. tostring(err), 2) end
  return s
end

local function result_doc(run, r)
  local c = r.config
  local d = {
    key = r.key, backend = r.backend, status = r.status, reason = r.reason,
    config = { batch = c.batch, source_len = c.source_len, target_len = c.target_len, dim = c.dim, dtype = c.dtype,
      timing = c.timing, mode = c.mode, threads = c.threads, extra = next(c.extra) and c.extra or nil },
    bytes = r.bytes, gbps = r.gbps, roofline_pct = r.roofline_pct, copy_same = r.copy_same,
    copy_same_pct = r.copy_same_pct, rotate = r.rotate, speedup = r.speedup, speedup_base = run.speedup_base,
    threads = r.threads, stats = r.stats, seed_medians = r.seed_medians, seed_spread_pct = r.seed_spread_pct,
    sm_clock_min_mhz = r.sm_clock_min_mhz, sm_clock_max_mhz = r.sm_clock_max_mhz,
    seeds = {},
  }
  for si, seed in ipairs(run.seeds) do
    if r.samples[si] or r.verification[si] then
      d.seeds[#d.seeds + 1] = { seed = seed, samples_ms = r.samples[si], sm_clock_mhz = r.sm_clock_mhz[si],
        verification = r.verification[si], stop = r.stop_reasons and r.stop_reasons[si] }
    end
  end
  return d
end

function M.document(run)
  local doc = {
    schema = M.SCHEMA, scenario = run.scenario, description = run.description,
    started_utc = run.started_utc, finished_utc = run.finished_utc, command = run.command,
    passed = run.passed, interrupted = run.interrupted,
    settings = { seeds = run.seeds, warmup = run.warmup, repeats = run.repeats, graph_batch = run.graph_batch,
      interleave = run.interleave, rotate = run.rotate, stop = run.stop,
      backends = run.backends },
    env = run.env, roofline = run.roofline, results = {}, gates = run.gates, reports = run.report_files,
    profile_dir = run.profile_dir,
  }
  for i, r in ipairs(run.results) do doc.results[i] = result_doc(run, r) end
  return doc
end

function M.render(run)
  return M.encode(M.document(run)) .. "\n"
end

-- Checks a decoded document against the schema's required fields and types; returns true or
-- nil, message. Used by the tests and by tools that read runs back.
function M.validate(doc)
  local function need(t, k, ty, where)
    if type(t[k]) ~= ty then error(string.format("%s.%s: expected %s, got %s", where, k, ty, type(t[k])), 0) end
  end
  local ok, err = pcall(function()
    need({ doc = doc }, "doc", "table", "")
    if doc.schema ~= M.SCHEMA then error("schema: expected " .. M.SCHEMA .. ", got " .. tostring(doc.schema), 0) end
    for _, k in ipairs { "scenario", "started_utc", "command" } do need(doc, k, "string", "doc") end
    for _, k in ipairs { "settings", "env", "roofline", "results", "gates" } do need(doc, k, "table", "doc") end
    need(doc.settings, "seeds", "table", "settings")
    need(doc.settings, "repeats", "number", "settings")
    need(doc.env, "git", "table", "env")
    need(doc.env, "host", "table", "env")
    for i, r in ipairs(doc.results) do
      local w = "results[" .. i .. "]"
      for _, k in ipairs { "key", "backend", "status" } do need(r, k, "string", w) end
      need(r, "config", "table", w)
      need(r, "bytes", "number", w)
      if r.status == "ok" then
        need(r, "stats", "table", w)
        for _, k in ipairs { "n", "mean", "std", "min", "max", "median", "p90", "p99", "cv_pct", "ci_lo", "ci_hi" } do
          need(r.stats, k, "number", w .. ".stats")
        end
        need(r, "seed_medians", "table", w)
        need(r, "gbps", "number", w)
        need(r, "seeds", "table", w)
        local n = 0
        for _, s in ipairs(r.seeds) do
          need(s, "samples_ms", "table", w .. ".seeds")
          n = n + #s.samples_ms
        end
        if n ~= r.stats.n then error(string.format("%s: %d raw samples but stats.n = %d", w, n, r.stats.n), 0) end
      end
    end
    for i, g in ipairs(doc.gates) do
      need(g, "name", "string", "gates[" .. i .. "]")
      if g.status ~= "pass" and g.status ~= "fail" and g.status ~= "skip" then error("gates[" .. i .. "].status: " .. tostring(g.status), 0) end
    end
  end)
  if ok then return true end
  return nil, err
end

return M
