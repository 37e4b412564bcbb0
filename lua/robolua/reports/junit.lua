-- JUnit XML report (junit.xml): the run's verdict in the form CI systems read (GitLab's
-- `artifacts:reports:junit`, Jenkins' junit step, GitHub test-report actions). Three test suites:
--   gates     one test case per gate: fail -> <failure>, error -> <error>, skip and inconclusive ->
--             <skipped> (an INCONCLUSIVE verdict exits 0, so a CI must not count it as a failure;
--             --strict has already turned both into failures; a shard's failure is provisional: skipped);
--             and an <error> case "the run finished" for an interrupted run or a scenario that raised
--   points    one test case per measured configuration and backend: a result that failed verification ->
--             <failure>, one that raised -> <error>, skipped or never run -> <skipped>; an ok result's
--             time attribute is its median in seconds, so a CI's per-test duration trend charts it
--   baseline  with --baseline NAME: one test case per compared configuration, SLOWER, BROKEN and MISSING
--             -> <failure> (what makes the exit code 1), INVALID -> <skipped>; a comparison that could
--             not run or compared nothing -> an <error>. `robolua compare --junit FILE` writes this suite alone.
-- The document is written whatever the report list says (finish.lua), like results.json.
local fmt = require "robolua.fmt"
local clean_utf8 = require("robolua.json").clean_utf8
local M = {}

-- XML 1.0 text: valid UTF-8 (a bad byte becomes U+FFFD, as in results.json), the five special characters
-- escaped, and the control characters XML 1.0 cannot hold at all (a C0 byte other than tab, newline and
-- carriage return) replaced by '?'.
local function xml(s)
  s = clean_utf8(tostring(s == nil and "" or s)) -- (one bad byte makes the whole file unparseable)
  s = s:gsub("[%z\1-\8\11\12\14-\31]", "?")
  return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;" }))
end

-- One test case: {name, time (s, optional), kind (nil: passed; "failure", "error", "skipped"), message,
-- out (text for <system-out>)}.
local function case_xml(classname, c)
  local head = string.format('    <testcase classname="%s" name="%s"%s', xml(classname), xml(c.name),
    c.time and string.format(' time="%.9f"', c.time) or "")
  local body = {}
  if c.kind == "skipped" then
    body[#body + 1] = string.format('      <skipped message="%s"/>', xml(c.message))
  elseif c.kind then
    body[#body + 1] = string.format('      <%s message="%s">%s</%s>', c.kind, xml(c.message), xml(c.message), c.kind)
  end
  if c.out and c.out ~= c.message then body[#body + 1] = "      <system-out>" .. xml(c.out) .. "</system-out>" end
  if #body == 0 then return head .. "/>" end
  return head .. ">\n" .. table.concat(body, "\n") .. "\n    </testcase>"
end

local function suite_xml(name, classname, cases, attrs)
  local n = { failure = 0, error = 0, skipped = 0 }
  local lines = {}
  for i, c in ipairs(cases) do
    if c.kind then n[c.kind] = n[c.kind] + 1 end
    lines[i] = case_xml(classname, c)
  end
  local open = string.format('  <testsuite name="%s" tests="%d" failures="%d" errors="%d" skipped="%d"%s>', xml(name),
    #cases, n.failure, n.error, n.skipped, attrs or "")
  return open .. "\n" .. table.concat(lines, "\n") .. (#lines > 0 and "\n" or "") .. "  </testsuite>", n, #cases
end

local gate_kind = { fail = "failure", error = "error", skip = "skipped", inconclusive = "skipped" }

local function gate_cases(run)
  local cases = {}
  -- what exits 2 without a gate saying so: an interrupted run, or a scenario script that raised
  if run.interrupted or run.script_error then
    local why = run.script_error and ("the scenario raised: " .. tostring(run.script_error)) or "interrupted: the results are partial"
    cases[1] = { name = "the run finished", kind = "error", message = why }
  end
  -- a shard's gates see part of the sweep: a failure there is provisional (the shard exits 0; robolua
  -- merge judges the whole sweep), so it is reported as skipped, not as a failed test
  local shard = not run.merge and run.shard
  for _, g in ipairs(run.gates or {}) do
    local kind = gate_kind[g.status]
    local msg = g.status == "inconclusive" and ("inconclusive: " .. tostring(g.msg)) or g.msg
    if shard and kind == "failure" then
      kind, msg = "skipped", string.format("provisional (shard %d of %d; robolua merge judges the whole sweep): %s",
        shard.index, shard.count, tostring(g.msg))
    end
    cases[#cases + 1] = { name = g.name, kind = kind, message = kind and msg or nil, out = msg }
  end
  return cases
end

-- A measured result in one line: median, the CI of the mean, samples, bandwidth, % of the copy.
local function result_line(r)
  local s = r.stats
  local parts = { string.format("median %s ms, %g%% CI of the mean [%s, %s] ms, %d samples", fmt.ms(s.median), 100 * (s.ci_level or 0.95),
    fmt.ms(s.ci_lo), fmt.ms(s.ci_hi), s.n) }
  if r.gbps then parts[#parts + 1] = string.format("%.1f GB/s", r.gbps) end
  if r.copy_same_pct then parts[#parts + 1] = string.format("%.1f%% of a same-size copy", r.copy_same_pct)
  elseif r.roofline_pct then parts[#parts + 1] = string.format("%.1f%% of the copy bandwidth", r.roofline_pct) end
  return table.concat(parts, ", ")
end

local point_kind = { failed_verification = "failure", error = "error", skipped = "skipped", interrupted = "skipped",
  not_run = "skipped" }

local function point_cases(run)
  local cases = {}
  for _, r in ipairs(run.results or {}) do
    -- (a --devices run measures a point on each GPU: the index keeps the names apart, as record.id does)
    local where = r.gpu and ("@gpu" .. tostring(r.gpu.index)) or r.device and r.device ~= r.backend and ("@" .. r.device) or ""
    local name = string.format("%s [%s%s]", r.key, r.backend, where)
    if r.status == "ok" and r.stats then
      cases[#cases + 1] = { name = name, time = r.stats.median / 1e3, out = result_line(r) }
    else
      local kind = point_kind[r.status] or "error"
      cases[#cases + 1] = { name = name, kind = kind, message = r.status .. (r.reason and (": " .. tostring(r.reason)) or "") }
    end
  end
  return cases
end

local row_kind = { SLOWER = "failure", INVALID = "skipped" }

-- A comparison's cases (doc: compare.json_doc's document, or nil when the comparison could not run).
local function comparison_cases(name, doc, err)
  if not doc or not doc.rows then
    return { { name = "comparison with " .. name, kind = "error", message = tostring(err or (doc and doc.error) or "the comparison did not run") } }
  end
  local cases = {}
  if doc.exit_code == 2 then -- nothing was compared (no configuration matched, every row INVALID): exit 2
    cases[1] = { name = "comparison with " .. name, kind = "error",
      message = "nothing was compared: no configuration of the run matched one of the other, or every row is INVALID" }
  end
  local function num(fmt_, v) return (type(v) == "number" and v == v) and string.format(fmt_, v) or "-" end
  for _, r in ipairs(doc.rows) do
    local kind = row_kind[r.verdict]
    local line = string.format("%s: new / base median %s (%s -> %s ms), p = %s", r.verdict, num("%.3f", r.ratio),
      fmt.ms(r.base_median_ms), fmt.ms(r.new_median_ms), num("%.3g", r.p))
    cases[#cases + 1] = { name = string.format("%s [%s]", r.key, r.backend), kind = kind, message = kind and line or nil, out = line }
  end
  for _, id in ipairs(doc.broken or {}) do cases[#cases + 1] = { name = id, kind = "failure", message = "BROKEN: " .. id } end
  for _, id in ipairs(doc.missing or {}) do cases[#cases + 1] = { name = id, kind = "failure", message = "MISSING: " .. id } end
  return cases
end

-- suites: {{name, classname, cases}, ...} -> the whole document
local function document(title, suites, attrs)
  local body, total = {}, { tests = 0, failure = 0, error = 0, skipped = 0 }
  for i, s in ipairs(suites) do
    local text, n, tests = suite_xml(s[1], s[2], s[3], attrs)
    body[i] = text
    total.tests = total.tests + tests
    for k, v in pairs(n) do total[k] = total[k] + v end
  end
  return string.format('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="%s" tests="%d" failures="%d" errors="%d" skipped="%d">\n%s\n</testsuites>\n',
    xml(title), total.tests, total.failure, total.error, total.skipped, table.concat(body, "\n"))
end

local function stamp_attrs(started_utc, host)
  return (started_utc and string.format(' timestamp="%s"', xml((tostring(started_utc):gsub("Z$", "")))) or "") ..
    (host and string.format(' hostname="%s"', xml(host)) or "")
end

function M.render(run)
  local scenario = tostring(run.scenario or "scenario")
  local suites = {
    { scenario .. ": gates", "robolua." .. scenario .. ".gates", gate_cases(run) },
    { scenario .. ": points", "robolua." .. scenario .. ".points", point_cases(run) },
  }
  local b = run.baseline
  if b then
    suites[#suites + 1] = { scenario .. ": baseline " .. b.name, "robolua." .. scenario .. ".baseline",
      comparison_cases("baseline " .. b.name, run.comparison, b.error) }
  end
  return document("robolua " .. scenario, suites, stamp_attrs(run.started_utc, run.env and run.env.host and run.env.host.hostname))
end

-- robolua compare --junit FILE: the comparison alone, one suite (doc: compare.json_doc's document).
function M.render_comparison(doc)
  local scenario = tostring(doc.new and doc.new.scenario or "scenario")
  local title = string.format("compare %s -> %s", tostring(doc.base and doc.base.path or "base"), tostring(doc.new and doc.new.path or "new"))
  return document("robolua " .. title, { { scenario .. ": " .. title, "robolua." .. scenario .. ".compare",
    comparison_cases(title, doc, doc.error) } }, stamp_attrs(doc.new and doc.new.started_utc))
end

return M
