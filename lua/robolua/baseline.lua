-- Comparing two runs of the same scenario (a baseline and a candidate), for CI regression gates.
-- Per (configuration, backend) measured in both: medians, ratio new / base, a Mann-Whitney U test on
-- all timed samples, and a verdict that needs both significance and a change beyond a noise threshold:
--   SLOWER / FASTER  p < alpha and |ratio - 1| >= threshold
--   AMBIGUOUS        |ratio - 1| >= threshold but p >= alpha (re-run, or take more repeats)
--   SAME             otherwise (no change, or a significant one smaller than the threshold)
-- Only SLOWER should fail a gate; improvements and ambiguity never do.
local stats = require "robolua.stats"
local M = {}

-- A run from a results.json path or a run folder (that holds one).
function M.load(path)
  local lfs = require "lfs"
  if lfs.attributes(path, "mode") == "directory" then path = path .. "/results.json" end
  local f, err = io.open(path, "r")
  if not f then error("baseline.load: cannot open " .. tostring(path) .. ": " .. tostring(err), 2) end
  local text = f:read("a")
  f:close()
  local ok, doc = pcall(require("cjson").decode, text)
  if not ok or type(doc) ~= "table" or type(doc.results) ~= "table" then
    error("baseline.load: " .. path .. " is not a robolua results.json", 2)
  end
  return doc
end

local function samples_of(r)
  local all = {}
  for _, s in ipairs(r.seeds or {}) do
    for _, v in ipairs(s.samples_ms or {}) do all[#all + 1] = v end
  end
  return all
end

local function index(doc)
  local by, order = {}, {}
  for _, r in ipairs(doc.results) do
    local id = tostring(r.key) .. " | " .. tostring(r.backend)
    if r.status == "ok" then
      by[id] = r
      order[#order + 1] = id
    end
  end
  return by, order
end

-- opts: threshold (relative, default 0.05), alpha (default 0.01).
-- -> {rows = {{key, backend, base_ms, new_ms, ratio, p, verdict, n_base, n_new}}, only_base = {...},
--     only_new = {...}, geomean = ratio, counts = {SAME=, FASTER=, SLOWER=, AMBIGUOUS=}, threshold, alpha}
function M.compare(base, new, opts)
  opts = opts or {}
  local threshold, alpha = opts.threshold or 0.05, opts.alpha or 0.01
  if type(threshold) ~= "number" or threshold < 0 then error("baseline.compare: threshold must be >= 0", 2) end
  if type(alpha) ~= "number" or alpha <= 0 or alpha >= 1 then error("baseline.compare: alpha must be in (0, 1)", 2) end
  local b_by, b_order = index(base)
  local n_by, n_order = index(new)
  local out = { rows = {}, only_base = {}, only_new = {}, threshold = threshold, alpha = alpha,
    counts = { SAME = 0, FASTER = 0, SLOWER = 0, AMBIGUOUS = 0 } }
  local log_sum = 0
  for _, id in ipairs(b_order) do
    local b, n = b_by[id], n_by[id]
    if not n then
      out.only_base[#out.only_base + 1] = id
    else
      local xs, ys = samples_of(b), samples_of(n)
      if #xs > 0 and #ys > 0 then
        local bm, nm = stats.median(xs), stats.median(ys)
        local ratio = nm / bm
        local p = stats.mann_whitney(xs, ys).p
        local verdict = "SAME"
        if math.abs(ratio - 1) >= threshold then
          verdict = p >= alpha and "AMBIGUOUS" or (ratio > 1 and "SLOWER" or "FASTER")
        end
        out.counts[verdict] = out.counts[verdict] + 1
        log_sum = log_sum + math.log(ratio)
        out.rows[#out.rows + 1] = { key = b.key, backend = b.backend, base_ms = bm, new_ms = nm, ratio = ratio,
          p = p, verdict = verdict, n_base = #xs, n_new = #ys }
      end
    end
  end
  for _, id in ipairs(n_order) do
    if not b_by[id] then out.only_new[#out.only_new + 1] = id end
  end
  out.geomean = #out.rows > 0 and math.exp(log_sum / #out.rows) or nil
  return out
end

-- Measurement settings that differ between two runs, as "name base -> new" strings.
function M.settings_diff(base, new)
  local a, b, out = base.settings or {}, new.settings or {}, {}
  local function show(v)
    if v == nil then v = 1 end -- absent rotate/interleave mean 1
    if type(v) == "number" then return string.format("%.15g", v) end -- JSON may turn 1 into 1.0
    if type(v) == "table" then
      local t = {}
      for i, x in ipairs(v) do t[i] = type(x) == "number" and string.format("%.15g", x) or tostring(x) end
      return "{" .. table.concat(t, ",") .. "}"
    end
    return tostring(v)
  end
  for _, k in ipairs { "seeds", "warmup", "repeats", "graph_batch", "interleave", "rotate" } do
    if show(a[k]) ~= show(b[k]) then out[#out + 1] = string.format("%s %s -> %s", k, show(a[k]), show(b[k])) end
  end
  return out
end

local function describe(doc)
  local e = doc.env or {}
  local gpu = e.cuda and e.cuda.available and e.cuda.name or "no gpu"
  return string.format("%s, commit %s, %s, %s", tostring(doc.scenario), tostring(e.git and e.git.commit or "?"),
    gpu, tostring(doc.started_utc))
end

-- Markdown: provenance of both runs, one row per configuration, the geometric mean, what to do.
function M.markdown(cmp, base, new)
  local lines = { "# robolua compare", "",
    "- base: " .. describe(base), "- new: " .. describe(new),
    string.format("- verdict: change beyond %g%% and Mann-Whitney p < %g (all timed samples); ratio = new / base median",
      cmp.threshold * 100, cmp.alpha) }
  local bg = base.env and base.env.cuda and base.env.cuda.name
  local ng = new.env and new.env.cuda and new.env.cuda.name
  if bg ~= ng then lines[#lines + 1] = "- **warning: the runs used different GPUs (" .. tostring(bg) .. " vs " .. tostring(ng) .. ")**" end
  local diff = M.settings_diff(base, new)
  if #diff > 0 then
    lines[#lines + 1] = "- **warning: the runs were measured differently: " .. table.concat(diff, ", ") ..
      "** (a change may come from the method, not the code)"
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "| configuration | backend | base median (ms) | new median (ms) | new / base | p | verdict |"
  lines[#lines + 1] = "|---|---|---:|---:|---:|---:|---|"
  for _, r in ipairs(cmp.rows) do
    lines[#lines + 1] = string.format("| %s | %s | %.6g | %.6g | %.3f | %s | %s |", r.key, r.backend, r.base_ms,
      r.new_ms, r.ratio, r.p < 1e-12 and "<1e-12" or string.format("%.2g", r.p),
      r.verdict == "SAME" and r.verdict or "**" .. r.verdict .. "**")
  end
  if cmp.geomean then
    lines[#lines + 1] = string.format("| geometric mean | | | | %.3f | | |", cmp.geomean)
  end
  lines[#lines + 1] = ""
  local c = cmp.counts
  lines[#lines + 1] = string.format("%d same, %d faster, %d slower, %d ambiguous.", c.SAME, c.FASTER, c.SLOWER, c.AMBIGUOUS)
  if c.AMBIGUOUS > 0 then
    lines[#lines + 1] = "Ambiguous: a change beyond the threshold that the samples do not establish; re-run both, or with more repeats."
  end
  if #cmp.only_base > 0 then lines[#lines + 1] = "Only in base: " .. table.concat(cmp.only_base, "; ") end
  if #cmp.only_new > 0 then lines[#lines + 1] = "Only in new: " .. table.concat(cmp.only_new, "; ") end
  return table.concat(lines, "\n") .. "\n"
end

return M
