-- The HTML report's bar charts, built from the run's records: time per launch and GB/s per device
-- (with the same-run copy bandwidth as a reference line), % of copy bandwidth, and speedup over the base
-- backend; then the list of every chart (the seeds chart is in html_seeds.lua). One convention
-- throughout: a bar is the median of the pooled samples and its whisker the 95% confidence interval of
-- that median; GB/s and % are the same interval mapped through bytes / time. Every record appears in
-- every chart it belongs to: one without a value is a labelled placeholder row, never a gap.
local svg = require "robolua.reports.svg"
local rows_of = require "robolua.reports.html_rows"
local seeds = require "robolua.reports.html_seeds"
local fmt = require "robolua.fmt"
local M = {}

local row_label, placeholder, grouped, legend_for = rows_of.row_label, rows_of.placeholder, rows_of.grouped, rows_of.legend_for

local function ci_words(c, unit_fmt)
  if not c then return "no samples stored: no interval" end
  return string.format("%g%% CI of the median [%s, %s]%s", c.level * 100, unit_fmt(c.lo), unit_fmt(c.hi),
    c.short and string.format(" (only %.1f%% coverage: too few samples)", c.coverage * 100) or "")
end

-- One bar row: value, the interval mapped through map (time -> shown quantity; a decreasing map
-- swaps the ends), the shown text.
local function bar_row(ctx, r, value, map, show, unit)
  local c = ctx.ci[r]
  local lo, hi
  if c then
    lo, hi = map(c.lo), map(c.hi)
    if lo > hi then lo, hi = hi, lo end
  end
  local shown_ci = c and { lo = lo, hi = hi, level = c.level, short = c.short, coverage = c.coverage }
  return {
    kind = "data", label = row_label(r), label_suffix = rows_of.label_suffix(r), value = value, hi = math.max(value, hi or value),
    tip = string.format("%s: median %s %s, %s, n=%d", row_label(r), show(value), unit, ci_words(shown_ci, show), r.stats.n),
    draw = function(x_of, y)
      return svg.bar({ value = value, lo = lo, hi = hi, color = ctx.colors[r.backend], dashed = c and c.short,
        text = show(value) .. " " .. unit }, x_of, y)
    end,
  }
end

local function max_of(rows)
  local hi = 0
  for _, row in ipairs(rows) do if row.hi and row.hi > hi then hi = row.hi end end
  return hi
end

local function by_device(run)
  local order, lists = {}, {}
  for _, dev in ipairs { "cpu", "cuda" } do lists[dev] = {}; order[#order + 1] = dev end
  for _, r in ipairs(run.results) do
    local dev = r.device or "cpu"
    if not lists[dev] then lists[dev] = {}; order[#order + 1] = dev end
    table.insert(lists[dev], r)
  end
  return order, lists
end

function M.time_chart(ctx, dev, list)
  local rows = grouped(ctx, list, function(r)
    if r.status ~= "ok" or not r.stats then return placeholder(r) end
    return bar_row(ctx, r, r.stats.median, function(t) return t end, fmt.ms, "ms")
  end)
  return svg.chart { id = "time-" .. dev, class = "time", title = "Time per launch, " .. dev .. " backends (ms, linear axis)",
    subtitle = rows_of.CONVENTION .. "; samples of all seeds pooled, controls excluded",
    axis_title = "milliseconds per launch", lo = 0, hi = max_of(rows), rows = rows, legend = legend_for(ctx, list, { { kind = "whisker", label = "95% CI of the median" } }) }
end

function M.gbps_chart(ctx, dev, list)
  local roof = ctx.run.roofline and ctx.run.roofline[dev]
  local rows = grouped(ctx, list, function(r)
    if r.status ~= "ok" or not r.stats then return placeholder(r) end
    if not r.gbps then return placeholder(r, "no byte count: no GB/s") end
    return bar_row(ctx, r, r.gbps, function(t) return r.bytes / (t * 1e-3) / 1e9 end, function(v) return fmt.num(v, 1) end, "GB/s")
  end)
  local refs, extra = {}, { { kind = "whisker", label = "95% CI of the median" } }
  if roof and roof.bytes_per_s then
    refs[1] = { value = roof.bytes_per_s / 1e9, label = string.format("%s copy bandwidth, same run: %.1f GB/s", dev, roof.bytes_per_s / 1e9) }
    extra[#extra + 1] = { kind = "ref", label = "same-run copy bandwidth (" .. tostring(roof.what or "copy") .. ")" }
  end
  return svg.chart { id = "gbps-" .. dev, class = "gbps", title = "Throughput, " .. dev .. " backends (GB/s, linear axis)",
    subtitle = rows_of.CONVENTION .. "; GB/s = bytes read and written / median time" .. (roof and "" or "; no same-run copy bandwidth measured for " .. dev),
    axis_title = "GB/s (10^9 bytes per second)", lo = 0, hi = max_of(rows), rows = rows, refs = refs, legend = legend_for(ctx, list, extra) }
end

function M.copy_pct_chart(ctx)
  local list = ctx.run.results
  local rows = grouped(ctx, list, function(r)
    if r.status ~= "ok" or not r.stats then return placeholder(r) end
    local roof = ctx.run.roofline and ctx.run.roofline[r.device]
    if not (r.bytes and r.bytes > 0) then return placeholder(r, "no byte count: no % of copy bandwidth") end
    if not (roof and roof.bytes_per_s) then return placeholder(r, "no same-run copy bandwidth for " .. tostring(r.device)) end
    local function pct(t) return 100 * r.bytes / (t * 1e-3) / roof.bytes_per_s end
    return bar_row(ctx, r, pct(r.stats.median), pct, function(v) return fmt.num(v, 1) end, "%")
  end)
  return svg.chart { id = "copy-pct", class = "copy-pct", title = "Share of the same-run copy bandwidth of each device (%, linear axis)",
    subtitle = rows_of.CONVENTION .. "; above 100% the working set is served from caches faster than a large copy",
    axis_title = "% of the device's copy bandwidth", lo = 0, hi = max_of(rows), rows = rows,
    refs = { { value = 100, label = "100% = copy bandwidth" } },
    legend = legend_for(ctx, list, { { kind = "whisker", label = "95% CI of the median" }, { kind = "ref", label = "the device's copy bandwidth" } }) }
end

-- The base backend's record for r's configuration (same GPU first), as record.speedups pairs them.
local function base_of(ctx, r)
  local any
  for _, b in ipairs(ctx.run.results) do
    if b.backend == ctx.base and b.key == r.key and b.status == "ok" and b.stats then
      if (b.gpu and b.gpu.index) == (r.gpu and r.gpu.index) then return b end
      any = any or b
    end
  end
  return any
end

function M.speedup_chart(ctx)
  local list = {}
  for _, r in ipairs(ctx.run.results) do
    if r.backend ~= ctx.base or r.status ~= "ok" then list[#list + 1] = r end
  end
  local rows = grouped(ctx, list, function(r)
    if r.status ~= "ok" or not r.stats then return placeholder(r) end
    local b = base_of(ctx, r)
    local s = r.speedup or (b and b.stats.median / r.stats.median)
    if not (b and s) then return placeholder(r, "no ok " .. ctx.base .. " result of this configuration to compare with") end
    local cb, cr = ctx.ci[b], ctx.ci[r]
    local lo, hi = cb and cr and cb.lo / cr.hi, cb and cr and cb.hi / cr.lo
    return { kind = "data", label = row_label(r), label_suffix = rows_of.label_suffix(r), hi = math.max(s, hi or s),
      tip = string.format("%s: %.3fx (%s median %s ms / median %s ms)%s", row_label(r), s, ctx.base, fmt.ms(b.stats.median), fmt.ms(r.stats.median),
        lo and string.format(", from the two 95%% CIs: [%.3fx, %.3fx]", lo, hi) or ""),
      draw = function(x_of, y)
        return svg.bar({ value = s, lo = lo, hi = hi, color = ctx.colors[r.backend], dashed = (cb and cb.short) or (cr and cr.short),
          text = string.format("%.2fx", s) }, x_of, y)
      end }
  end)
  return svg.chart { id = "speedup", class = "speedup", title = "Speedup over " .. ctx.base .. " (x, linear axis)",
    subtitle = "bar: " .. ctx.base .. "'s median / this median; whisker: the lowest and highest ratio the two 95% CIs of the medians allow (" ..
      ctx.base .. " itself is 1x by definition and not drawn)",
    axis_title = "times faster than " .. ctx.base, lo = 0, hi = max_of(rows), rows = rows,
    refs = { { value = 1, label = "1x = " .. ctx.base } },
    legend = legend_for(ctx, list, { { kind = "whisker", label = "ratio range over both CIs" }, { kind = "ref", label = "1x" } }) }
end

-- Every chart of the run: {{id, heading, svg}}.
function M.all(run)
  local ctx = rows_of.context(run)
  local out = {}
  local order, lists = by_device(run)
  for _, dev in ipairs(order) do
    if #lists[dev] > 0 then out[#out + 1] = { id = "time-" .. dev, heading = "Time per launch: " .. dev, svg = M.time_chart(ctx, dev, lists[dev]) } end
  end
  for _, dev in ipairs(order) do
    if #lists[dev] > 0 then out[#out + 1] = { id = "gbps-" .. dev, heading = "Throughput: " .. dev, svg = M.gbps_chart(ctx, dev, lists[dev]) } end
  end
  out[#out + 1] = { id = "copy-pct", heading = "% of copy bandwidth", svg = M.copy_pct_chart(ctx) }
  out[#out + 1] = { id = "speedup", heading = "Speedup over " .. ctx.base, svg = M.speedup_chart(ctx) }
  out[#out + 1] = { id = "seeds", heading = "Seeds and the noise floor", svg = seeds.chart(ctx) }
  return out, ctx
end

return M
