-- What every chart of the HTML report shares: one colour per backend, row labels, placeholder rows
-- for records without a value, grouping by dtype, legends, and each record's 95% confidence interval
-- of the median (robolua.stats_median: distribution-free, from order statistics of the pooled samples).
local record = require "robolua.record"
local median = require "robolua.stats_median"
local fmt = require "robolua.fmt"
local M = {}

M.CONVENTION = "bar: median; whisker: 95% CI of the median (distribution-free)"

-- Colours: one per backend, the same in every chart (Okabe-Ito, readable by the colour-blind).
local fixed = { cpu = "#0072B2", cuda = "#009E73" }
local spare = { "#E69F00", "#CC79A7", "#D55E00", "#56B4E9", "#8C564B", "#7F7F7F" }
function M.colors(results)
  local colors, order, n = {}, {}, 0
  for _, r in ipairs(results) do
    if not colors[r.backend] then
      if not fixed[r.backend] then n = n + 1 end
      colors[r.backend] = fixed[r.backend] or spare[(n - 1) % #spare + 1]
      order[#order + 1] = r.backend
    end
  end
  return colors, order
end

function M.status_text(r)
  if r.status == "skipped" then return "skipped: " .. tostring(r.reason or "") end
  return tostring(r.status):upper() .. (r.reason and (": " .. tostring(r.reason)) or "")
end

-- A whole number as digits (a results.json read back holds 2.0 where the run held 2).
function M.int(v)
  if type(v) == "number" and v == math.floor(v) and math.abs(v) < 2 ^ 53 then return string.format("%d", v) end
  return tostring(v)
end

function M.backend_label(r)
  return r.backend .. (r.device == "cpu" and r.threads and (" (" .. M.int(r.threads) .. " thr)") or "")
end

-- A row's label: configuration, then backend; the backend part is the suffix a cut label keeps.
function M.label_suffix(r) return " · " .. M.backend_label(r) end
function M.row_label(r) return fmt.config_label(r) .. M.label_suffix(r) end

function M.placeholder(r, text)
  return { kind = "placeholder", label = M.row_label(r), label_suffix = M.label_suffix(r), text = text or M.status_text(r), failed = r.status ~= "ok" and r.status ~= "skipped" }
end

-- The shared state of one report: colours, grouping, each record's interval of the median.
function M.context(run)
  local ctx = { run = run, ci = {} }
  ctx.colors, ctx.backends = M.colors(run.results)
  for _, r in ipairs(run.results) do
    if r.config and r.config.dtype then ctx.grouped = true end
    if r.status == "ok" and r.stats then
      local xs = record.samples(r)
      local level = r.stats.ci_level or 0.95
      if #xs > 0 then
        local lo, hi, coverage = median.median_ci(xs, level)
        ctx.ci[r] = { lo = lo, hi = hi, coverage = coverage, level = level, short = coverage < level }
      end
    end
  end
  ctx.base = run.speedup_base
  for _, r in ipairs(run.results) do ctx.base = ctx.base or r.speedup_base end
  ctx.base = ctx.base or "cpu"
  return ctx
end

-- Rows of the records in list, under one heading per dtype (in order of first appearance).
function M.grouped(ctx, list, make)
  if not ctx.grouped then
    local rows = {}
    for _, r in ipairs(list) do rows[#rows + 1] = make(r) end
    return rows
  end
  local order, members = {}, {}
  for _, r in ipairs(list) do
    local g = r.config and r.config.dtype and tostring(r.config.dtype) or "(no dtype)"
    if not members[g] then members[g] = {}; order[#order + 1] = g end
    table.insert(members[g], r)
  end
  local rows = {}
  for _, g in ipairs(order) do
    rows[#rows + 1] = { kind = "group", label = "dtype " .. g }
    for _, r in ipairs(members[g]) do rows[#rows + 1] = make(r) end
  end
  return rows
end

-- A chart's legend: the backends of its records in their colours, then extra items, then the dashed
-- whisker when a record had too few samples for the level (unless the chart draws no whiskers). The
-- chart itself adds the placeholder item when it has a placeholder row.
function M.legend_for(ctx, list, extra, no_whiskers)
  local items, seen = {}, {}
  for _, r in ipairs(list) do seen[r.backend] = true end
  for _, b in ipairs(ctx.backends) do
    if seen[b] then items[#items + 1] = { kind = "swatch", color = ctx.colors[b], label = b } end
  end
  local short = false
  for _, r in ipairs(list) do
    if ctx.ci[r] and ctx.ci[r].short then short = true end
  end
  for _, it in ipairs(extra or {}) do items[#items + 1] = it end
  if short and not no_whiskers then items[#items + 1] = { kind = "whisker", dashed = true, label = "too few samples for the level: min..max" } end
  return items
end

return M
