-- The HTML report on a synthetic run (tests/lib/synthetic_run.lua: two dtypes, cpu and cuda, copy
-- bandwidths, a skipped and a failed record, texts that need escaping): linear axes, whiskers that are
-- the CI of the median and hold their bar's end, a legend naming each backend in its one colour,
-- placeholder rows for records without a value, the copy-bandwidth reference lines, the speedup chart,
-- the seeds beside the controls, the tables, well-formed and fully escaped markup.
-- With ROBOLUA_HTML_OUT=DIR the report is also written to DIR/report.html (for tools/screenshot.sh).
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local synthetic = require "synthetic_run"
local html = require "robolua.reports.html"
local record = require "robolua.record"
local sm = require "robolua.stats_median"
local describe, it = spec.describe, spec.it

local run = synthetic.build()
local page = html.render(run)
local out_dir = os.getenv("ROBOLUA_HTML_OUT")
if out_dir then
  local f = assert(io.open(out_dir .. "/report.html", "wb"))
  f:write(page)
  f:close()
end

-- Each chart's markup by its class (time, gbps, copy-pct, speedup, seeds) and device.
local charts = {}
for attrs, body in page:gmatch('<svg xmlns="http://www.w3.org/2000/svg" class="chart ([^"]*)"(.-)</svg>') do
  local id = body:match('<pattern id="hatch%-([^"]+)"')
  charts[id] = body
end

local function ticks(svg)
  local t = {}
  for v, x in svg:gmatch('<text class="tick" data%-value="([^"]+)" x="([^"]+)"') do t[#t + 1] = { v = tonumber(v), x = tonumber(x) } end
  return t
end

-- x of a value on a chart's axis, from its first and last tick.
local function x_of(svg, v)
  local t = ticks(svg)
  local a, b = t[1], t[#t]
  return a.x + (v - a.v) / (b.v - a.v) * (b.x - a.x)
end

local function rows(svg, class)
  local out = {}
  for g in svg:gmatch('<g class="' .. class .. '">(.-)</g>') do out[#out + 1] = g end
  return out
end

local function tag_balance(text)
  local stack = {}
  for close, name, selfclose in text:gmatch("<(/?)([%a][%w:]*)[^>]-(/?)>") do
    name = name:lower()
    if close == "/" then
      local top = table.remove(stack)
      if top ~= name then return nil, "closing </" .. name .. "> but open <" .. tostring(top) .. ">" end
    elseif selfclose ~= "/" then
      stack[#stack + 1] = name
    end
  end
  if #stack > 0 then return nil, "unclosed <" .. stack[#stack] .. ">" end
  return true
end

describe("the HTML report's charts", function()
  it("has every chart: time and GB/s per device, % of copy bandwidth, speedup, seeds", function()
    for _, id in ipairs { "time-cpu", "time-cuda", "gbps-cpu", "gbps-cuda", "copy-pct", "speedup", "seeds" } do
      spec.truthy(charts[id], "chart " .. id)
    end
  end)

  it("draws linear axes: ticks evenly spaced in value and in position, from 0 for magnitudes", function()
    local checked = 0
    for id, svg in pairs(charts) do
      local t = ticks(svg)
      spec.truthy(#t >= 3, id .. ": at least 3 ticks")
      local dv, dx = t[2].v - t[1].v, t[2].x - t[1].x
      for i = 2, #t do
        spec.near(t[i].v - t[i - 1].v, dv, 1e-9 * math.abs(dv), id .. ": tick value step")
        spec.near(t[i].x - t[i - 1].x, dx, 0.02, id .. ": tick position step")
      end
      if id ~= "seeds" then spec.eq(t[1].v, 0, id .. ": the axis starts at 0") end
      checked = checked + 1
    end
    spec.eq(checked, 7, "charts checked")
  end)

  it("draws each bar to its median and a whisker (the 95% CI of the median) that holds the bar's end", function()
    local svg = charts["time-cpu"]
    local n = 0
    for _, r in ipairs(run.results) do
      if r.device == "cpu" and r.status == "ok" then
        local lo, hi = sm.median_ci(record.samples(r), 0.95)
        spec.truthy(lo <= r.stats.median and r.stats.median <= hi, "the CI of the median holds the median")
        -- the row of r: its whisker ends are at the CI's values on the axis
        local found
        for _, g in ipairs(rows(svg, "row")) do
          local x, w = g:match('<rect class="bar" x="([^"]+)" y="[^"]+" width="([^"]+)"')
          local x1, x2 = g:match('class="whisker" data%-x1="([^"]+)" data%-x2="([^"]+)"')
          if x and math.abs(tonumber(x) + tonumber(w) - x_of(svg, r.stats.median)) < 0.02 then
            spec.near(tonumber(x1), x_of(svg, lo), 0.02, "whisker start at the CI's low end")
            spec.near(tonumber(x2), x_of(svg, hi), 0.02, "whisker end at the CI's high end")
            found = true
          end
        end
        spec.truthy(found, "a bar at the median of " .. record.id(r))
        n = n + 1
      end
    end
    spec.eq(n, 6, "cpu records checked")
    local whiskers = 0
    for id, svg in pairs(charts) do
      for _, g in ipairs(rows(svg, "row")) do
        local x, w = g:match('<rect class="bar" x="([^"]+)" y="[^"]+" width="([^"]+)"')
        local x1, x2 = g:match('class="whisker" data%-x1="([^"]+)" data%-x2="([^"]+)"')
        if x and x1 then
          local bar_end = tonumber(x) + tonumber(w)
          spec.truthy(tonumber(x1) <= bar_end + 0.02 and bar_end <= tonumber(x2) + 0.02,
            string.format("%s: whisker [%s, %s] holds the bar's end %.2f", id, x1, x2, bar_end))
          whiskers = whiskers + 1
        end
      end
    end
    spec.truthy(whiskers >= 30, "whiskers checked: " .. whiskers)
  end)

  it("marks a whisker dashed where too few samples give less than 95% coverage", function()
    local dashed = 0
    for _, g in ipairs(rows(charts["time-cpu"], "row")) do
      if g:find('class="whisker"[^>]*stroke%-dasharray') then dashed = dashed + 1 end
    end
    spec.eq(dashed, 1, "dashed whiskers (the 3-sample record)")
    spec.truthy(charts["time-cpu"]:find("too few samples", 1, true), "the legend explains it")
  end)

  it("has a legend naming each backend in the colour of its bars, the same in every chart", function()
    local color_of = {}
    for id, svg in pairs(charts) do
      for kind, body in svg:gmatch('<g class="legend%-item" data%-kind="(%a+)">(.-)</g>') do
        if kind == "swatch" then
          local fill, name = body:match('fill="([^"]+)"/><text[^>]*>([^<]+)</text>')
          spec.truthy(fill and name, id .. ": swatch with a name")
          if color_of[name] then spec.eq(fill, color_of[name], "one colour for " .. name) end
          color_of[name] = fill
        end
      end
      for _, g in ipairs(rows(svg, "row")) do
        local backend = g:match(" · (%a+)")
        local fill = g:match('<rect class="bar"[^>]*fill="([^"]+)"') or g:match('<circle class="seed"[^>]*fill="([^"]+)"')
        spec.truthy(color_of[backend], id .. ": legend names " .. tostring(backend))
        spec.eq(fill, color_of[backend], id .. ": colour of a " .. backend .. " row")
      end
    end
    spec.truthy(color_of.cpu and color_of.cuda and color_of.cpu ~= color_of.cuda, "cpu and cuda in the legend, told apart")
    spec.truthy(charts["copy-pct"]:find('data%-kind="swatch"><rect[^>]*/><text[^>]*>cuda<'), "the mixed chart's legend has cuda")
  end)

  it("shows records without a value as labelled placeholder rows in every chart they belong to", function()
    for _, id in ipairs { "time-cuda", "gbps-cuda", "copy-pct", "speedup", "seeds" } do
      local texts = {}
      for _, g in ipairs(rows(charts[id], "placeholder")) do texts[#texts + 1] = g end
      local all = table.concat(texts, "\n")
      spec.truthy(all:find("skipped: no usable GPU", 1, true), id .. ": the skipped record")
      spec.truthy(all:find("FAILED_VERIFICATION: max abs err", 1, true), id .. ": the failed record")
      spec.eq(#texts, 2, id .. ": placeholder rows")
    end
    spec.eq(#rows(charts["time-cpu"], "placeholder"), 0, "no placeholder where every record has a value")
    spec.truthy(charts["speedup"]:find('data-kind="placeholder"', 1, true), "the legend explains placeholder rows")
    spec.truthy(not charts["time-cpu"]:find('data-kind="placeholder"', 1, true), "and only where there are some")
  end)

  it("draws the same-run copy bandwidth of each device as a reference line at its value", function()
    for dev, gbps in pairs { cpu = 8.3, cuda = 3000 } do
      local svg = charts["gbps-" .. dev]
      local v, x = svg:match('<g class="ref" data%-value="([^"]+)"><line x1="([^"]+)"')
      spec.near(tonumber(v), gbps, 1e-9, dev .. ": reference value")
      spec.near(tonumber(x), x_of(svg, gbps), 0.02, dev .. ": reference line position")
      spec.truthy(svg:find(string.format("%s copy bandwidth, same run: %.1f GB/s", dev, gbps), 1, true), dev .. ": labelled")
    end
    spec.truthy(charts["copy-pct"]:find('<g class="ref" data-value="100">', 1, true), "100% line on the % chart")
  end)

  it("has a speedup chart: non-base backends' median ratios with a line at 1x", function()
    local svg = charts.speedup
    spec.truthy(svg:find('<g class="ref" data-value="1">', 1, true), "the 1x line")
    local bars = rows(svg, "row")
    spec.eq(#bars, 4, "one bar per ok cuda record")
    for _, r in ipairs(run.results) do
      if r.backend == "cuda" and r.speedup then
        spec.truthy(svg:find(string.format("%.2fx", r.speedup), 1, true), "speedup " .. string.format("%.2fx", r.speedup) .. " shown")
      end
    end
  end)

  it("shows every seed's median beside the controls' medians", function()
    local seed_dots, control_marks = 0, 0
    for _, g in ipairs(rows(charts.seeds, "row")) do
      for _ in g:gmatch('<circle class="seed"') do seed_dots = seed_dots + 1 end
      for _ in g:gmatch('<path class="control"') do control_marks = control_marks + 1 end
    end
    spec.eq(seed_dots, 10 * 3, "3 seed medians for each of 10 ok records")
    spec.eq(control_marks, 10 * 2, "2 control medians for each of 10 ok records")
    spec.truthy(charts.seeds:find("noise 1.", 1, true) or charts.seeds:find("noise ", 1, true), "noise floor named per row")
  end)

  it("cuts long labels, keeping the backend, with the full text in a tooltip", function()
    local full = "layout=very-long-descriptive-layout-name-that-will-not-fit"
    local cut = 0
    for id, svg in pairs(charts) do
      for label, title in svg:gmatch('<text class="label"[^>]*>([^<]*)<title>([^<]*)</title>') do
        if title:find(full, 1, true) then
          spec.truthy(label:find("…", 1, true) and not label:find(full, 1, true), id .. ": the label is cut: " .. label)
          spec.truthy(label:match(" · cpu %(2 thr%)$") or label:match(" · cuda$"), id .. ": the backend is kept: " .. label)
          spec.truthy(utf8.len(label) <= 50, id .. ": fits: " .. label)
          cut = cut + 1
        end
      end
    end
    spec.truthy(cut >= 14, "cut labels checked: " .. cut)
  end)
end)

describe("the HTML report's page", function()
  it("is well formed: tags balanced, ids unique", function()
    local ok, err = tag_balance(page)
    spec.truthy(ok, err)
    local seen = {}
    for id in page:gmatch(' id="([^"]+)"') do
      spec.truthy(not seen[id], "duplicate id " .. id)
      seen[id] = true
    end
  end)

  it("escapes everything: no raw text from the run reaches the markup", function()
    spec.truthy(not page:find(synthetic.EVIL, 1, true), "the raw text never appears")
    spec.truthy(not page:lower():find("<script", 1, true), "no script element")
    spec.truthy(page:find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;", 1, true), "the escaped text appears")
    for amp in page:gmatch("&[^;%s]*;?") do
      spec.truthy(amp:match("^&amp;$") or amp:match("^&lt;$") or amp:match("^&gt;$") or amp:match("^&quot;$") or amp:match("^&#%d+;$"), "bare " .. amp)
    end
    spec.truthy(page:find("synthetic &lt;html&gt; &amp; co", 1, true), "the scenario name escaped")
  end)

  it("has the results table (the human fields of record.fields) and every gate status", function()
    for _, f in ipairs(record.fields) do
      if f.human then spec.truthy(page:find("<th>" .. f.label, 1, true), "column " .. f.label) end
    end
    spec.truthy(page:find("95% CI of the median (ms)", 1, true), "the CI column")
    for _, s in ipairs { "PASS", "FAIL", "SKIPPED", "INCONCLUSIVE", "ERROR" } do
      spec.truthy(page:find(">" .. s .. "</td>", 1, true), "gate status " .. s)
    end
    spec.truthy(page:find('class="verdict fail">Verdict: FAIL: 2 gates', 1, true), "the verdict")
    local trs = 0
    for _ in page:match('<table class="results">(.-)</table>'):gmatch("<tr>") do trs = trs + 1 end
    spec.eq(trs, #run.results + 1, "one row per record and the head")
  end)

  it("renders degenerate runs: no results, nothing ok, no dtype, no samples stored", function()
    local function check(r, what)
      local text = html.render(r)
      local ok, err = tag_balance(text)
      spec.truthy(ok, what .. ": " .. tostring(err))
      return text
    end
    local empty = synthetic.build()
    empty.results = {}
    check(empty, "no results")
    local skipped = synthetic.build()
    for _, r in ipairs(skipped.results) do record.set_status(r, "skipped", "no usable GPU"); r.stats = nil end
    local text = check(skipped, "nothing ok")
    local n = 0
    for _ in text:gmatch('<g class="placeholder">') do n = n + 1 end
    spec.eq(n, 2 * 12 + 12 + 12 + 12, "each of the 12 records a placeholder in every chart (time and GB/s of its device, %, speedup, seeds)")
    local plain = synthetic.build()
    for _, r in ipairs(plain.results) do r.config.dtype = nil end
    spec.truthy(not check(plain, "no dtype"):find('<g class="group">', 1, true), "no group headings without a dtype")
    local bare = synthetic.build()
    for _, r in ipairs(bare.results) do r.seeds = {} end
    local t = check(bare, "no samples stored")
    spec.truthy(not t:find('class="whisker"', 1, true), "no whisker without samples")
    spec.truthy(t:find("no samples stored: no interval", 1, true), "and the tooltip says why")
  end)

  it("renders a results.json read back as the live run does (charts and tables alike)", function()
    local json = require "robolua.json"
    local doc = assert(record.from_doc(json.decode(record.encode(run))))
    -- from the charts on (the method lines above are the Markdown report's, whose numbers read back as floats)
    local function tail(text) return text:sub((assert(text:find("<h2>Charts</h2>", 1, true)))) end
    local want, got = tail(page), tail(html.render(doc))
    local n = 0
    local got_lines = {}
    for line in got:gmatch("[^\n]*") do got_lines[#got_lines + 1] = line end
    for line in want:gmatch("[^\n]*") do
      n = n + 1
      spec.eq(got_lines[n], line, "line " .. n .. " of the charts and tables")
    end
    spec.truthy(n > 50, "lines compared: " .. n)
  end)
end)

spec.finish()
