-- A self-contained HTML report: provenance, tables, and two inline SVG charts: median latency per
-- configuration and backend with 95% CI whiskers (log scale), and every seed's median (the spread).
local fmt = require "robolua.fmt"
local M = {}

local function esc(s)
  return (tostring(s):gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local palette = { cpu = "#4c72b0", cuda = "#55a868" }
local function color(backend) return palette[backend] or "#c44e52" end

local function log10(x) return math.log(x, 10) end

-- A horizontal log-scale chart: one row per (config, backend); draw(row, x_of, y) draws its marks.
local function chart(title, rows, lo, hi, draw)
  local row_h, left, width, top = 22, 330, 560, 30
  local h = top + #rows * row_h + 40
  lo, hi = 10 ^ math.floor(log10(lo)), 10 ^ math.ceil(log10(hi))
  if hi <= lo then hi = lo * 10 end
  local function x_of(v) return left + (log10(math.max(v, lo)) - log10(lo)) / (log10(hi) - log10(lo)) * width end
  local out = { string.format('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img" aria-label="%s">', left + width + 30, h, esc(title)),
    string.format('<text x="%d" y="18" font-size="14" font-weight="bold">%s</text>', left, esc(title)) }
  local d = lo
  while d <= hi * 1.0001 do
    local x = x_of(d)
    out[#out + 1] = string.format('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>', x, top, x, top + #rows * row_h)
    local label = d < 1 and string.format("%g µs", d * 1000) or string.format("%g ms", d)
    out[#out + 1] = string.format('<text x="%.1f" y="%d" font-size="11" text-anchor="middle">%s</text>', x, top + #rows * row_h + 16, label)
    d = d * 10
  end
  for i, r in ipairs(rows) do
    local y = top + (i - 1) * row_h + row_h / 2
    out[#out + 1] = string.format('<text x="%d" y="%.1f" font-size="11" text-anchor="end" dominant-baseline="middle">%s · %s</text>',
      left - 8, y, esc(fmt.config_label(r)), esc(r.backend))
    draw(r, x_of, y, out)
  end
  out[#out + 1] = "</svg>"
  return table.concat(out, "\n")
end

function M.render(run)
  local rows, lo, hi = {}, math.huge, 0
  for _, r in ipairs(run.results) do
    if r.stats then
      rows[#rows + 1] = r
      lo = math.min(lo, r.stats.min, r.stats.ci_lo > 0 and r.stats.ci_lo or r.stats.min)
      hi = math.max(hi, r.stats.max, r.stats.ci_hi < math.huge and r.stats.ci_hi or r.stats.max)
    end
  end
  local e = run.env
  local parts = { "<!DOCTYPE html>", '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>',
    "<title>robolua: " .. esc(run.scenario) .. "</title>",
    "<style>body{font-family:sans-serif;margin:2em;max-width:1200px}table{border-collapse:collapse;font-size:13px}" ..
    "td,th{border:1px solid #ccc;padding:3px 6px}th{background:#f4f4f4}td.n{text-align:right}" ..
    ".pass{color:#1a7f37}.fail{color:#cf222e;font-weight:bold}.skip{color:#9a6700}code{background:#f4f4f4}</style>",
    "</head><body>", "<h1>robolua: " .. esc(run.scenario) .. "</h1>" }
  local function add(s) parts[#parts + 1] = s end
  if run.description then add("<p>" .. esc(run.description) .. "</p>") end
  add("<ul>")
  add("<li>time (UTC): " .. esc(run.started_utc) .. " → " .. esc(run.finished_utc or "?") .. "</li>")
  add("<li>command: <code>" .. esc(run.command) .. "</code></li>")
  add("<li>git commit: <code>" .. esc(e.git.commit) .. "</code>" .. (e.git.dirty and " (with uncommitted changes)" or "") .. "</li>")
  add("<li>cpu: " .. esc(e.host.cpu_model) .. ", " .. e.host.logical_cpus .. " logical cpus</li>")
  if e.cuda.available then
    add(string.format("<li>gpu: %s, %d SMs, driver %s, runtime %d</li>", esc(e.cuda.name), e.cuda.sm_count,
      esc(e.cuda.driver ~= "" and e.cuda.driver or e.cuda.driver_version), e.cuda.runtime_version))
  else
    add("<li>gpu: none (" .. esc(e.cuda.reason) .. ")</li>")
  end
  for _, dev in ipairs { "cpu", "cuda" } do
    local r = run.roofline and run.roofline[dev]
    if r then add(string.format("<li>%s copy bandwidth, same run: <b>%.1f GB/s</b> (%s)</li>", dev, r.bytes_per_s / 1e9, esc(r.what))) end
  end
  if run.rotate and run.rotate ~= 1 then
    add("<li>CUDA inputs rotated (" .. esc(run.rotate) .. "): each timed launch uses the next of several copies of its inputs and output</li>")
  end
  add("</ul>")
  if run.interrupted then add('<p class="fail">The run was interrupted; these are the results measured before.</p>') end

  if #rows > 0 then
    add("<h2>Latency</h2>")
    add(chart("median latency per launch, 95% CI of the mean as whiskers (log scale)", rows, lo, hi, function(r, x_of, y, out)
      local s = r.stats
      local cl = s.ci_lo > 0 and s.ci_lo or s.min
      local ch = s.ci_hi < math.huge and s.ci_hi or s.max
      out[#out + 1] = string.format('<rect x="%.1f" y="%.1f" width="%.1f" height="12" fill="%s" opacity="0.8"><title>%s ms</title></rect>',
        x_of(0), y - 6, x_of(s.median) - x_of(0), color(r.backend), fmt.ms(s.median))
      out[#out + 1] = string.format('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000"/>', x_of(cl), y, x_of(ch), y)
      out[#out + 1] = string.format('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000"/>', x_of(cl), y - 5, x_of(cl), y + 5)
      out[#out + 1] = string.format('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000"/>', x_of(ch), y - 5, x_of(ch), y + 5)
    end))
    add("<h2>Per-seed medians (the variance envelope)</h2>")
    add(chart("each dot is one seed's median; the bar spans min..max over seeds", rows, lo, hi, function(r, x_of, y, out)
      local mn, mx = math.huge, 0
      for _, m in ipairs(r.seed_medians) do mn, mx = math.min(mn, m), math.max(mx, m) end
      out[#out + 1] = string.format('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="6" opacity="0.3"/>',
        x_of(mn), y, x_of(mx), y, color(r.backend))
      for si, m in ipairs(r.seed_medians) do
        out[#out + 1] = string.format('<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>seed %s: %s ms</title></circle>',
          x_of(m), y, color(r.backend), tostring(run.seeds[si]), fmt.ms(m))
      end
    end))
  end

  add("<h2>Results</h2><table><tr><th>configuration</th><th>backend</th><th>mean ± std (ms)</th><th>median (ms)</th>" ..
    "<th>95% CI (ms)</th><th>seed spread</th><th>GB/s</th><th>% copy BW</th><th>% same-size copy</th><th>speedup vs " .. esc(run.speedup_base) ..
    "</th><th>outliers</th><th>n</th><th>status</th></tr>")
  for _, r in ipairs(run.results) do
    local s = r.stats
    if s then
      add(string.format('<tr><td>%s</td><td>%s</td><td class="n">%s ± %s</td><td class="n">%s</td><td class="n">[%s, %s]</td>' ..
        '<td class="n">%s%%</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%s</td><td class="n">%d/%d</td><td class="n">%d</td><td>ok</td></tr>',
        esc(fmt.config_label(r)), esc(r.backend), fmt.ms(s.mean), fmt.ms(s.std), fmt.ms(s.median), fmt.ms(s.ci_lo),
        fmt.ms(s.ci_hi), fmt.num(r.seed_spread_pct, 2), fmt.num(r.gbps, 1), fmt.num(r.roofline_pct, 1), fmt.num(r.copy_same_pct, 1),
        r.speedup and string.format("%.2fx", r.speedup) or "-", s.outliers_mild, s.outliers_severe, s.n))
    else
      add(string.format('<tr><td>%s</td><td>%s</td><td colspan="10"></td><td class="%s">%s: %s</td></tr>', esc(fmt.config_label(r)),
        esc(r.backend), r.status == "skipped" and "skip" or "fail", esc(r.status), esc(r.reason or "")))
    end
  end
  add("</table>")
  add("<h2>Gates</h2><table><tr><th>gate</th><th>result</th><th>detail</th></tr>")
  for _, g in ipairs(run.gates) do
    local cls = g.status == "pass" and "pass" or (g.status == "skip" or g.status == "inconclusive") and "skip" or "fail"
    add(string.format('<tr><td>%s</td><td class="%s">%s</td><td>%s</td></tr>', esc(g.name), cls,
      g.status == "skip" and "SKIPPED" or g.status:upper(), esc(g.msg)))
  end
  add("</table>")
  if run.verdict then add("<p>Verdict: <b>" .. esc(run.verdict) .. "</b></p>") end
  if run.profile_dir then add("<p>Nsight profile of this commit: <code>" .. esc(run.profile_dir) .. "</code></p>") end
  add("<p>Regenerate: <code>" .. esc(run.command) .. "</code></p>")
  add("</body></html>")
  return table.concat(parts, "\n") .. "\n"
end

return M
