-- Comparing two runs of the same scenario (a baseline and a candidate), for CI regression gates.
-- Per record measured in both: medians, ratio new / base, a Mann-Whitney U test on all timed samples,
-- and a verdict that needs significance AND a change beyond a noise threshold:
--   SLOWER / FASTER  p < alpha and |ratio - 1| >= threshold
--   AMBIGUOUS        |ratio - 1| >= threshold but p >= alpha (re-run, or take more repeats)
--   SAME             otherwise
--   BROKEN           measured in the base, but failed (verification, an error) in the new run
--   MISSING          measured in the base, in the new run's plan but not measured there (skipped, e.g.
--                    no usable GPU; interrupted; not run after another backend lost the CUDA context)
--   INVALID          a median of zero or a non-finite ratio: nothing can be said
-- A configuration absent from the new run's plan (the scenario changed, another shard) is only listed.
-- Exit codes: 1 if anything is SLOWER, BROKEN or MISSING; 2 if nothing could be compared (no record
-- matched, a side has no results, different scenarios, an unreadable schema); 0 otherwise.
local stats = require "robolua.stats"
local record = require "robolua.record"
local M = {}

local function index(doc)
  local by, order = {}, {}
  for _, r in ipairs(doc.results) do
    local id = record.id(r)
    by[id] = r
    order[#order + 1] = id
  end
  return by, order
end

-- The statuses record.lua writes; anything else is a hand edit or another tool's file.
local STATUSES = { "ok", "skipped", "failed_verification", "error", "interrupted", "not_run" }
local KNOWN_STATUS = {}
for _, st in ipairs(STATUSES) do KNOWN_STATUS[st] = true end

local json_type = require("robolua.json").type_name

-- What is wrong with one record, or nil. Samples are what the verdict reads, so each must be a finite
-- number >= 0 (the schema's bound; a zero median stays a row with the verdict INVALID), and an ok record
-- must have timed samples (a run never writes one without: record.finalize makes it an error).
local function record_problem(r)
  if not KNOWN_STATUS[r.status] then
    local got = type(r.status) == "string" and "'" .. r.status .. "'" or json_type(r.status)
    return string.format("status is %s, expected one of %s", got, table.concat(STATUSES, ", "))
  end
  if type(r.seeds) ~= "table" then return "seeds is " .. json_type(r.seeds) .. ", expected an array" end
  local timed = 0
  for si = 1, #r.seeds do
    local e = r.seeds[si]
    if type(e) ~= "table" then return string.format("seeds[%d] is %s, expected an object", si, json_type(e)) end
    local xs = e.samples_ms
    if type(xs) ~= "table" then return string.format("seeds[%d].samples_ms is %s, expected an array", si, json_type(xs)) end
    for i = 1, #xs do
      local x = xs[i]
      if type(x) ~= "number" then
        return string.format("seeds[%d].samples_ms[%d] is %s, expected a number", si, i, json_type(x))
      elseif x ~= x or x < 0 or x == math.huge then
        return string.format("seeds[%d].samples_ms[%d] is %s, expected a finite number >= 0", si, i, tostring(x))
      end
    end
    if e.control ~= true then timed = timed + #xs end
  end
  if r.status == "ok" and timed == 0 then return "status ok but no timed samples (every seed's samples_ms is empty)" end
end

-- A loaded run document (record.from_doc's shape) checked for what compare reads: nil when usable, else
-- one line naming where (a file, or base/new) and the record ("WHERE: result 'KEY | BACKEND': ...").
function M.check(doc, where)
  local seen = {}
  for i, r in ipairs(doc.results) do
    local id = record.id(r)
    if seen[id] then return string.format("%s: result '%s' appears twice (results[%d] and results[%d])", where, id, seen[id], i) end
    seen[id] = i
    local why = record_problem(r)
    if why then return string.format("%s: result '%s': %s", where, id, why) end
  end
end

local function show(v)
  if v == nil then return "-" end
  if type(v) == "number" then return string.format("%.15g", v) end
  if type(v) == "table" then
    local t = {}
    for i, x in ipairs(v) do t[i] = show(x) end
    return "{" .. table.concat(t, ",") .. "}"
  end
  return tostring(v)
end

-- Measurement settings that differ, as "name base -> new".
function M.settings_diff(base, new)
  local a, b, out = base.settings or {}, new.settings or {}, {}
  local function norm(k, v)
    if v == nil and (k == "rotate" or k == "interleave") then return "1" end
    if k == "stop" and type(v) == "table" then return show(v.precision_pct) .. "/" .. show(v.max_repeats) end
    return show(v)
  end
  for _, k in ipairs { "seeds", "controls", "warmup", "repeats", "graph_batch", "interleave", "rotate", "stop" } do
    if norm(k, a[k]) ~= norm(k, b[k]) then out[#out + 1] = string.format("%s %s -> %s", k, norm(k, a[k]), norm(k, b[k])) end
  end
  return out
end

-- Differences of machine and build that can explain a change by themselves.
function M.environment_diff(base, new)
  local out = {}
  local function env(doc, path)
    local v = doc.env
    for part in path:gmatch("[^.]+") do v = type(v) == "table" and v[part] or nil end
    return v
  end
  local function gpu(doc) local c = doc.env and doc.env.cuda; return c and c.available and c.name or "none" end
  if gpu(base) ~= gpu(new) then out[#out + 1] = { what = "gpu", base = gpu(base), new = gpu(new) } end
  local checks = { { "host CPU", "host.cpu_model" }, { "logical CPUs", "host.logical_cpus" },
    { "CPU ISA path", "host.isa" }, { "build type", "robolua.build_type" }, { "commit", "git.commit" },
  }
  for _, c in ipairs(checks) do
    local x, y = env(base, c[2]), env(new, c[2])
    if x ~= nil and y ~= nil and show(x) ~= show(y) then out[#out + 1] = { what = c[1], base = show(x), new = show(y) } end
  end
  return out
end

-- Statuses of a record that was planned but never measured (record.lua); the others failed or passed.
local NOT_MEASURED = { skipped = true, interrupted = true, not_run = true }

local function verdict_of(ratio, p, threshold, alpha)
  if ratio ~= ratio or ratio == math.huge or ratio <= 0 then return "INVALID" end
  if math.abs(ratio - 1) < threshold then return "SAME" end
  if p >= alpha then return "AMBIGUOUS" end
  return ratio > 1 and "SLOWER" or "FASTER"
end

-- opts: threshold (relative, default 0.05), alpha (default 0.01).
function M.compare(base, new, opts)
  opts = opts or {}
  local threshold, alpha = opts.threshold or 0.05, opts.alpha or 0.01
  if type(threshold) ~= "number" or threshold < 0 or threshold ~= threshold then error("compare: threshold must be >= 0", 2) end
  if type(alpha) ~= "number" or not (alpha > 0 and alpha < 1) then error("compare: alpha must be in (0, 1)", 2) end
  for _, side in ipairs { { base, "base" }, { new, "new" } } do
    local why = M.check(side[1], side[2])
    if why then error("compare: " .. why, 0) end
  end
  local b_by, b_order = index(base)
  local n_by, n_order = index(new)
  local out = { rows = {}, only_base = {}, only_new = {}, broken = {}, missing = {}, threshold = threshold, alpha = alpha,
    counts = { SAME = 0, FASTER = 0, SLOWER = 0, AMBIGUOUS = 0, INVALID = 0, BROKEN = 0, MISSING = 0 } }
  local log_sum, logs = 0, 0
  for _, id in ipairs(b_order) do
    local b, n = b_by[id], n_by[id]
    if b.status == "ok" then
      if not n then
        out.only_base[#out.only_base + 1] = id
      elseif n.status ~= "ok" then
        -- planned in new but not measured there: a gate that passed here would pass a runner that lost its
        -- GPU or was killed, so this counts like BROKEN, under its own name
        if NOT_MEASURED[n.status] then
          out.missing[#out.missing + 1] = id .. ": " .. n.status .. ": " .. tostring(n.reason)
          out.counts.MISSING = out.counts.MISSING + 1
        else
          out.broken[#out.broken + 1] = id .. ": " .. n.status .. ": " .. tostring(n.reason)
          out.counts.BROKEN = out.counts.BROKEN + 1
        end
      else
        local xs, ys = record.samples(b), record.samples(n)
        if #xs > 0 and #ys > 0 then
          local bm, nm = stats.median(xs), stats.median(ys)
          local ratio = bm > 0 and nm / bm or 0 / 0
          local p = stats.mann_whitney(xs, ys).p
          local verdict = verdict_of(ratio, p, threshold, alpha)
          out.counts[verdict] = out.counts[verdict] + 1
          if verdict ~= "INVALID" then log_sum, logs = log_sum + math.log(ratio), logs + 1 end
          out.rows[#out.rows + 1] = { id = id, key = b.key, backend = b.backend, base_ms = bm, new_ms = nm, ratio = ratio,
            p = p, verdict = verdict, n_base = #xs, n_new = #ys,
            threads = (b.threads ~= n.threads) and (show(b.threads) .. " -> " .. show(n.threads)) or nil }
        end
      end
    end
  end
  for _, id in ipairs(n_order) do
    if (not b_by[id] or b_by[id].status ~= "ok") and n_by[id].status == "ok" then out.only_new[#out.only_new + 1] = id end
  end
  out.geomean = logs > 0 and math.exp(log_sum / logs) or nil
  return out
end

local function describe(doc)
  local e = doc.env or {}
  local gpu = e.cuda and e.cuda.available and e.cuda.name or "no gpu"
  return string.format("%s, commit %s, %s, %s (%s CPUs), %s", tostring(doc.scenario), tostring(e.git and e.git.commit or "?"),
    gpu, tostring(e.host and e.host.cpu_model or "?"), tostring(e.host and e.host.logical_cpus or "?"), tostring(doc.started_utc))
end

-- Markdown for a terminal or a CI job summary.
function M.markdown(cmp, base, new)
  local lines = { "# robolua compare", "", "- base: " .. describe(base), "- new: " .. describe(new),
    string.format("- verdict per row: change beyond %g%% and Mann-Whitney p < %g (all timed samples); ratio = new / base median",
      cmp.threshold * 100, cmp.alpha) }
  for _, d in ipairs(M.environment_diff(base, new)) do
    local severe = d.what ~= "commit"
    lines[#lines + 1] = string.format("- %s%s differs: %s -> %s%s", severe and "**warning: " or "", d.what, d.base, d.new,
      severe and "** (a change may come from the machine, not the code)" or "")
  end
  local diff = M.settings_diff(base, new)
  if #diff > 0 then
    lines[#lines + 1] = "- **warning: the runs were measured differently: " .. table.concat(diff, ", ") .. "** (a change may come from the method, not the code)"
  end
  local args_base, args_new = table.concat(base.script_args or {}, " "), table.concat(new.script_args or {}, " ")
  if args_base ~= args_new then -- (arguments change what a script measures without changing its hash)
    lines[#lines + 1] = string.format("- **warning: the script arguments differ: '%s' -> '%s'** (a change may come from them, not the code)",
      args_base, args_new)
  end
  if base.definition_hash and new.definition_hash and base.definition_hash ~= new.definition_hash then
    lines[#lines + 1] = "- warning: the scenario definitions differ (definition hash " .. base.definition_hash .. " -> " .. new.definition_hash .. ")"
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "| configuration | backend | base median (ms) | new median (ms) | new / base | p | verdict | note |"
  lines[#lines + 1] = "|---|---|---:|---:|---:|---:|---|---|"
  for _, r in ipairs(cmp.rows) do
    -- a zero base median makes the ratio NaN (INVALID): "-", not the C library's "-nan"
    local ratio = r.ratio == r.ratio and r.ratio ~= math.huge and string.format("%.3f", r.ratio) or "-"
    lines[#lines + 1] = string.format("| %s | %s | %.6g | %.6g | %s | %s | %s | %s |", r.key, r.backend, r.base_ms,
      r.new_ms, ratio, r.p < 1e-12 and "<1e-12" or string.format("%.2g", r.p),
      r.verdict == "SAME" and r.verdict or "**" .. r.verdict .. "**", r.threads and ("threads " .. r.threads) or "")
  end
  if cmp.geomean then lines[#lines + 1] = string.format("| geometric mean | | | | %.3f | | | |", cmp.geomean) end
  lines[#lines + 1] = ""
  local c = cmp.counts
  lines[#lines + 1] = string.format("%d same, %d faster, %d slower, %d ambiguous, %d broken, %d missing, %d invalid.", c.SAME,
    c.FASTER, c.SLOWER, c.AMBIGUOUS, c.BROKEN, c.MISSING, c.INVALID)
  if c.AMBIGUOUS > 0 then
    lines[#lines + 1] = "Ambiguous: a change beyond the threshold that the samples do not establish; re-run both, or with more repeats."
  end
  for _, b in ipairs(cmp.broken) do lines[#lines + 1] = "- **broken in new**: " .. b end
  for _, m in ipairs(cmp.missing) do lines[#lines + 1] = "- **missing in new** (measured in base, not in new): " .. m end
  if #cmp.only_base > 0 then lines[#lines + 1] = "Only in base: " .. table.concat(cmp.only_base, "; ") end
  if #cmp.only_new > 0 then lines[#lines + 1] = "Only in new: " .. table.concat(cmp.only_new, "; ") end
  if #cmp.rows == 0 then lines[#lines + 1] = "**Nothing was compared: no configuration was measured in both runs.**" end
  return table.concat(lines, "\n") .. "\n"
end

-- The comparison as a JSON document for a CI job to read (robolua compare --json FILE; a run's --baseline
-- writes compare-NAME.json): the per-configuration verdicts the Markdown table shows, the counts, the
-- exit code and the differences the Markdown warns of. res: M.run's result.
function M.json_doc(res, base, new)
  local function side(doc, path)
    local e = doc.env or {}
    return { scenario = doc.scenario, path = path, commit = e.git and e.git.commit, started_utc = doc.started_utc,
      gpu = e.cuda and e.cuda.available and e.cuda.name or nil, script_args = doc.script_args or {} }
  end
  local out = { schema = "robolua.compare/1", exit_code = res.exit_code, error = res.error,
    base = side(base, res.base_name), new = side(new, res.new_name) }
  local cmp = res.cmp
  if not cmp then return out end
  out.threshold_pct, out.alpha, out.geomean_ratio = cmp.threshold * 100, cmp.alpha, cmp.geomean
  out.counts = {}
  for verdict, n in pairs(cmp.counts) do out.counts[verdict:lower()] = n end
  out.rows = {}
  for i, r in ipairs(cmp.rows) do
    out.rows[i] = { key = r.key, backend = r.backend, base_median_ms = r.base_ms, new_median_ms = r.new_ms, ratio = r.ratio,
      p = r.p, verdict = r.verdict, n_base = r.n_base, n_new = r.n_new, threads = r.threads }
  end
  out.broken, out.missing, out.only_base, out.only_new = cmp.broken, cmp.missing, cmp.only_base, cmp.only_new
  out.environment_diff, out.settings_diff = M.environment_diff(base, new), M.settings_diff(base, new)
  out.definitions_differ = base.definition_hash ~= nil and new.definition_hash ~= nil and base.definition_hash ~= new.definition_hash
  return out
end

-- The whole comparison: {cmp, markdown, exit_code, error}. opts.base_name, opts.new_name: how a
-- malformed document is named (its file; default base, new).
function M.run(base, new, opts)
  for _, side in ipairs { { base, opts and opts.base_name or "base" }, { new, opts and opts.new_name or "new" } } do
    local why = M.check(side[1], side[2])
    if why then return { markdown = "robolua compare: " .. why .. "\n", exit_code = 2, error = why } end
  end
  if base.scenario ~= new.scenario and not (opts and opts.force) then
    local msg = string.format("the runs are of different scenarios ('%s' and '%s'); --force compares them anyway", tostring(base.scenario), tostring(new.scenario))
    return { markdown = "robolua compare: " .. msg .. "\n", exit_code = 2, error = msg }
  end
  local cmp = M.compare(base, new, opts)
  local md = M.markdown(cmp, base, new)
  local names = { base_name = opts and opts.base_name, new_name = opts and opts.new_name }
  local code = 0
  if cmp.counts.SLOWER > 0 or cmp.counts.BROKEN > 0 or cmp.counts.MISSING > 0 then code = 1 end
  if #cmp.rows == 0 or cmp.counts.INVALID == #cmp.rows then code = 2 end
  return { cmp = cmp, markdown = md, exit_code = code, base_name = names.base_name, new_name = names.new_name }
end

return M
