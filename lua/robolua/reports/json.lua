-- JSON report (results.json): the run document of record.lua (schema "robolua.run/2"), every raw sample
-- kept. Its JSON Schema ships as schema/run.schema.json; validate(doc) checks a decoded document
-- against the parts every reader relies on.
local record = require "robolua.record"
local M = {}
M.SCHEMA = record.SCHEMA

function M.render(run) return record.encode(run) end

-- Checks a decoded document: required fields, types, statuses, samples against stats.n. Returns true
-- or nil, message. (The shipped JSON Schema says the same for other tools.)
function M.validate(doc)
  local function need(t, k, ty, where)
    if type(t[k]) ~= ty then error(string.format("%s.%s: expected %s, got %s", where, k, ty, type(t[k])), 0) end
  end
  local statuses = { ok = true, skipped = true, failed_verification = true, error = true, interrupted = true, not_run = true }
  local gate_status = { pass = true, fail = true, skip = true, inconclusive = true, error = true }
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
      for _, k in ipairs { "key", "backend", "status", "device" } do need(r, k, "string", w) end
      if not statuses[r.status] then error(w .. ".status: unknown status " .. r.status, 0) end
      need(r, "config", "table", w)
      need(r, "seeds", "table", w)
      if r.status == "ok" then
        need(r, "stats", "table", w)
        for _, k in ipairs { "n", "mean", "std", "min", "max", "median", "p90", "p99", "cv_pct", "ci_lo", "ci_hi" } do
          need(r.stats, k, "number", w .. ".stats")
        end
        need(r, "seed_medians", "table", w)
        local n = 0
        for _, s in ipairs(r.seeds) do
          need(s, "samples_ms", "table", w .. ".seeds")
          if not s.control then n = n + #s.samples_ms end
        end
        if n ~= r.stats.n then error(string.format("%s: %d raw samples but stats.n = %d", w, n, r.stats.n), 0) end
      end
    end
    for i, g in ipairs(doc.gates) do
      need(g, "name", "string", "gates[" .. i .. "]")
      if not gate_status[g.status] then error("gates[" .. i .. "].status: " .. tostring(g.status), 0) end
    end
  end)
  if ok then return true end
  return nil, err
end

return M
