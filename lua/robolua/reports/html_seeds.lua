-- The HTML report's seeds chart: each record's per-seed medians and its controls' medians (the first
-- seed's data measured again as if another seed), in % from the median of the seed medians, so the
-- seeds' spread stands beside the noise floor on one linear axis.
local svg = require "robolua.reports.svg"
local rows_of = require "robolua.reports.html_rows"
local fmt = require "robolua.fmt"
local M = {}

local row_label, placeholder, grouped, legend_for, int = rows_of.row_label, rows_of.placeholder, rows_of.grouped, rows_of.legend_for, rows_of.int

function M.chart(ctx)
  local list, worst = ctx.run.results, 0
  local function dev_pct(m, center) return center ~= 0 and 100 * (m / center - 1) or 0 end
  local rows = grouped(ctx, list, function(r)
    if r.status ~= "ok" or not r.seed_medians or #r.seed_medians == 0 then return placeholder(r) end
    local sorted = {}
    for i, m in ipairs(r.seed_medians) do sorted[i] = m end
    table.sort(sorted)
    local n = #sorted
    local center = n % 2 == 1 and sorted[(n + 1) // 2] or (sorted[n // 2] + sorted[n // 2 + 1]) / 2
    local seeds, controls = {}, {}
    local seed_ids = {}
    for _, e in ipairs(r.seeds or {}) do
      if not e.control and #(e.samples_ms or {}) > 0 then seed_ids[#seed_ids + 1] = e.seed end
    end
    for i, m in ipairs(r.seed_medians) do
      seeds[i] = dev_pct(m, center)
      worst = math.max(worst, math.abs(seeds[i]))
    end
    local noise_group = { seeds[1] }
    for i, m in ipairs(r.control_medians or {}) do
      controls[i] = dev_pct(m, center)
      noise_group[#noise_group + 1] = controls[i]
      worst = math.max(worst, math.abs(controls[i]))
    end
    local text = string.format("seeds %s%%", fmt.num(r.seed_spread_pct, 2)) ..
      (r.noise_floor_pct and string.format(" · noise %s%%", fmt.num(r.noise_floor_pct, 2)) or " · no controls")
    local color = ctx.colors[r.backend]
    return { kind = "data", label = row_label(r), label_suffix = rows_of.label_suffix(r),
      tip = string.format("%s: seed spread %s%%, noise floor %s%% (median of seed medians %s ms)", row_label(r),
        fmt.num(r.seed_spread_pct, 2), fmt.num(r.noise_floor_pct, 2), fmt.ms(center)),
      draw = function(x_of, y)
        local out = {}
        local function band(vals, yy, fill)
          local lo, hi = math.huge, -math.huge
          for _, v in ipairs(vals) do lo, hi = math.min(lo, v), math.max(hi, v) end
          out[#out + 1] = string.format('<rect x="%.2f" y="%.1f" width="%.2f" height="6" fill="%s" fill-opacity="0.3"/>',
            x_of(lo), yy - 3, math.max(1, x_of(hi) - x_of(lo)), fill)
          return x_of(hi)
        end
        local right = band(seeds, y - 3, color)
        if #controls > 0 then right = math.max(right, band(noise_group, y + 4, "#555")) end
        for i, v in ipairs(seeds) do
          out[#out + 1] = svg.dot(x_of(v), y - 3, color, false, string.format("seed %s: median %s ms (%+.2f%%)", int(seed_ids[i] or i), fmt.ms(r.seed_medians[i]), v))
        end
        -- the first seed belongs to the noise group too: its mark in the lower lane closes the grey band
        if #controls > 0 then
          out[#out + 1] = string.format('<circle cx="%.2f" cy="%.1f" r="2.2" fill="%s"/>', x_of(seeds[1]), y + 4, color)
        end
        for i, v in ipairs(controls) do
          out[#out + 1] = svg.dot(x_of(v), y + 4, color, true, string.format("control %d (seed %s's data again): median %s ms (%+.2f%%)", i,
            int(seed_ids[1] or 1), fmt.ms(r.control_medians[i]), v))
        end
        out[#out + 1] = string.format('<text x="%.1f" y="%.1f" font-size="10.5" fill="#333" dominant-baseline="middle">%s</text>',
          math.max(right, x_of(0)) + 8, y, svg.esc(text))
        return table.concat(out)
      end }
  end)
  worst = math.max(worst, 0.5)
  local items = legend_for(ctx, list, {
    { kind = "dot", color = "#777", label = "a seed's median (upper lane; band: their range)" },
    { kind = "dot", hollow = true, label = "a control's median: the first seed's data again (lower lane; grey band: controls and first seed, the noise floor)" } }, true)
  return svg.chart { id = "seeds", class = "seeds", title = "Per-seed medians beside the noise floor (% from the median of the seed medians, linear axis)",
    subtitle = "seed spread well beyond the controls' spread means the input data changes the time; within it, the spread is measurement noise",
    axis_title = "% deviation from the record's median of seed medians", lo = -worst, hi = worst, rows = rows, legend = items }
end

return M
