-- A self-contained HTML report (well-formed XHTML, inline SVG, no JavaScript, no external assets):
-- the verdict, provenance and method, the charts of reports/html_charts.lua and html_seeds.lua, the results table (the
-- human fields of record.fields, as the Markdown report shows them), the gates, and the command that
-- regenerates the run. Renders the live run and a results.json read back alike.
local fmt = require "robolua.fmt"
local record = require "robolua.record"
local svg = require "robolua.reports.svg"
local charts = require "robolua.reports.html_charts"
local rows_of = require "robolua.reports.html_rows"
local markdown = require "robolua.reports.markdown"
local M = {}

local esc = svg.esc

local STYLE = table.concat {
  "body{font-family:sans-serif;margin:2em auto;max-width:1160px;padding:0 1em;color:#222}",
  "h2{margin-top:1.6em;border-bottom:1px solid #ddd}",
  "table{border-collapse:collapse;font-size:13px;margin:.5em 0}",
  "td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;white-space:nowrap}",
  ".pass{color:#1a7f37;font-weight:bold}.fail,.error{color:#cf222e;font-weight:bold}",
  ".skip{color:#9a6700}.inconclusive{color:#8250df;font-weight:bold}",
  ".verdict{font-size:1.25em;padding:.4em .8em;border:2px solid #ccc;display:inline-block}",
  ".verdict.pass{border-color:#1a7f37}.verdict.fail{border-color:#cf222e}.verdict.inconclusive{border-color:#8250df}",
  "code{background:#f4f4f4;padding:0 .2em}svg.chart{display:block;max-width:100%;height:auto;margin:.5em 0 1.5em}",
  "nav a{margin-right:1em}table.results td:first-child{min-width:14em}table.results td.status{max-width:22em}",
  "table.results td:nth-child(2){white-space:nowrap}div.wide{overflow-x:auto}",
}

local function verdict_class(v)
  v = tostring(v or "")
  if v:match("^PASS") then return "pass" end
  if v:match("^INCONCLUSIVE") then return "inconclusive" end
  return "fail"
end

local function provenance(run, add)
  local e = run.env or {}
  local git, host, cuda = e.git or {}, e.host or {}, e.cuda or {}
  add("<ul>")
  add("<li>time (UTC): " .. esc(run.started_utc or "?") .. " → " .. esc(run.finished_utc or "?") .. "</li>")
  add("<li>command: <code>" .. esc(run.command or "?") .. "</code></li>")
  add("<li>git commit: <code>" .. esc(git.commit or "unknown") .. "</code>" .. (git.dirty and " (with uncommitted changes)" or "") .. "</li>")
  add(string.format("<li>cpu: %s, %s logical cpus%s</li>", esc(host.cpu_model or "?"), esc(rows_of.int(host.logical_cpus or "?")),
    host.isa and (", ISA path " .. esc(host.isa)) or ""))
  if cuda.available then
    add(string.format("<li>gpu: %s, %s SMs, driver %s, runtime %s</li>", esc(cuda.name), esc(cuda.sm_count),
      esc(cuda.driver ~= "" and cuda.driver or cuda.driver_version), esc(cuda.runtime_version)))
  else
    add("<li>gpu: none (" .. esc(cuda.reason or "not reported") .. ")</li>")
  end
  for _, dev in ipairs { "cpu", "cuda" } do
    local r = run.roofline and run.roofline[dev]
    if r and r.bytes_per_s then
      add(string.format("<li>%s copy bandwidth, same run: <b>%.1f GB/s</b> (%s%s)</li>", esc(dev), r.bytes_per_s / 1e9, esc(r.what or "copy"),
        r.bytes and (", " .. esc(fmt.bytes(r.bytes)) .. " buffers") or ""))
    end
  end
  if run.shard then add(string.format("<li>shard %s of %s</li>", esc(run.shard.index), esc(run.shard.count))) end
  -- the method in words, once (shared with the Markdown report)
  for line in markdown.method(run):gmatch("[^\n]+") do add("<li>" .. esc((line:gsub("^%- ", ""))) .. "</li>") end
  add("</ul>")
  if run.warnings and #run.warnings > 0 then
    add('<ul class="skip">')
    for _, w in ipairs(run.warnings) do add("<li>warning: " .. esc(w) .. "</li>") end
    add("</ul>")
  end
  if run.interrupted then add('<p class="fail">The run was interrupted; these are the results measured before.</p>') end
end

local function status_cell(r)
  if r.status == "ok" then return '<td class="status pass">ok</td>' end
  if r.status == "skipped" then return '<td class="status skip">skipped: ' .. esc(r.reason or "") .. "</td>" end
  return '<td class="status fail">' .. esc(tostring(r.status):upper()) .. (r.reason and (": " .. esc(r.reason)) or "") .. "</td>"
end

local function results_table(run, ctx, add)
  local shown = {}
  local head = { "<tr><th>configuration</th><th>backend</th>" }
  for _, f in ipairs(record.fields) do
    if f.human then
      shown[#shown + 1] = f
      head[#head + 1] = "<th>" .. esc(f.label .. (f.unit and f.unit ~= "%" and f.unit ~= "x" and (" (" .. f.unit .. ")") or "")) .. "</th>"
    end
  end
  head[#head + 1] = "<th>95% CI of the median (ms)</th><th>95% CI of the mean (ms)</th><th>status</th></tr>"
  add('<div class="wide"><table class="results">')
  add(table.concat(head))
  for _, r in ipairs(run.results) do
    local cells = { "<tr><td>" .. esc(fmt.config_label(r)) .. "</td><td>" .. esc(rows_of.backend_label(r)) .. "</td>" }
    for _, f in ipairs(shown) do cells[#cells + 1] = '<td class="n">' .. esc(record.show(f, r, run)) .. "</td>" end
    local c, s = ctx.ci[r], r.stats
    cells[#cells + 1] = '<td class="n">' .. (c and esc(string.format("[%s, %s]%s", fmt.ms(c.lo), fmt.ms(c.hi),
      c.short and string.format(" (%.1f%%)", c.coverage * 100) or "")) or "-") .. "</td>"
    cells[#cells + 1] = '<td class="n">' .. (s and s.ci_lo and esc(string.format("[%s, %s]", fmt.ms(s.ci_lo), fmt.ms(s.ci_hi))) or "-") .. "</td>"
    cells[#cells + 1] = status_cell(r) .. "</tr>"
    add(table.concat(cells))
  end
  add("</table></div>")
end

local badges = { pass = "PASS", skip = "SKIPPED", fail = "FAIL", inconclusive = "INCONCLUSIVE", error = "ERROR" }
local function gates_table(run, add)
  add('<table class="gates"><tr><th>gate</th><th>result</th><th>detail</th></tr>')
  for _, g in ipairs(run.gates or {}) do
    local cls = badges[g.status] and g.status or "error"
    add(string.format('<tr><td>%s</td><td class="%s">%s</td><td>%s</td></tr>', esc(g.name), cls,
      esc(badges[g.status] or tostring(g.status):upper()), esc(g.msg or "")))
  end
  add("</table>")
end

function M.render(run)
  local parts = { "<!DOCTYPE html>",
    '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>',
    "<title>robolua: " .. esc(run.scenario or "run") .. "</title>", "<style>" .. STYLE .. "</style>", "</head><body>",
    "<h1>robolua: " .. esc(run.scenario or "run") .. "</h1>" }
  local function add(s) parts[#parts + 1] = s end
  if run.verdict then add(string.format('<p class="verdict %s">Verdict: %s</p>', verdict_class(run.verdict), esc(run.verdict))) end
  if run.description then add("<p>" .. esc(run.description) .. "</p>") end
  provenance(run, add)

  local list, ctx = charts.all(run)
  local nav = { "<nav>" }
  for _, c in ipairs(list) do nav[#nav + 1] = string.format('<a href="#%s">%s</a>', esc(c.id), esc(c.heading)) end
  nav[#nav + 1] = '<a href="#results">results</a><a href="#gates">gates</a></nav>'
  add("<h2>Charts</h2>")
  add(table.concat(nav))
  add("<p>Every axis is linear. " .. esc(rows_of.CONVENTION) .. ": the interval between two order statistics " ..
    "of the pooled samples that holds the true median with at least 95% probability whatever the distribution. " ..
    "Each backend has one colour in every chart; a result without a value is a hatched row that says why.</p>")
  for _, c in ipairs(list) do
    add(string.format('<div id="%s">', esc(c.id)) .. c.svg .. "</div>")
  end
  add('<h2 id="results">Results</h2>')
  results_table(run, ctx, add)
  add('<h2 id="gates">Gates</h2>')
  gates_table(run, add)
  if run.verdict then add(string.format('<p>Verdict: <span class="%s">%s</span></p>', verdict_class(run.verdict), esc(run.verdict))) end
  if run.profile_dir then add("<p>Nsight profile of this commit: <code>" .. esc(run.profile_dir) .. "</code></p>") end
  add("<p>Regenerate: <code>" .. esc(run.command or "?") .. "</code></p>")
  add("</body></html>")
  return table.concat(parts, "\n") .. "\n"
end

return M
