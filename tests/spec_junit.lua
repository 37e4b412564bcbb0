-- junit.xml (lua/robolua/reports/junit.lua) on synthetic runs: outcomes and counts, text that XML must
-- escape or cannot hold, an interrupted run, a comparison that failed and one with every verdict. (Real
-- run folders are checked against their results.json by tests/schema.sh with tests/junit_check.py.)
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local junit = require "robolua.reports.junit"
local describe, it = spec.describe, spec.it

local function ok_result(key, median)
  return { key = key, backend = "cpu", device = "cpu", status = "ok", gbps = 12.5,
    stats = { median = median, ci_lo = median * 0.9, ci_hi = median * 1.1, ci_level = 0.95, n = 30 } }
end

local function run_of(t)
  local run = { scenario = "s", started_utc = "2026-11-26T01:02:03Z", env = { host = { hostname = "node-1" } },
    gates = {}, results = {} }
  for k, v in pairs(t) do run[k] = v end
  return run
end

-- The attribute `name` of the element whose start tag begins with `open`, e.g. attr(x, "<testsuites", "failures").
local function attr(xml, open, name)
  local tag = xml:match(open:gsub("%p", "%%%0") .. "[^>]*>")
  return tag and tag:match(" " .. name .. '="([^"]*)"')
end

describe("junit.xml", function()
  it("maps every gate and point status to its JUnit outcome, with counts that add up", function()
    local x = junit.render(run_of {
      gates = { { name = "g-pass", status = "pass", msg = "fine" }, { name = "g-fail", status = "fail", msg = "too slow" },
        { name = "g-skip", status = "skip", msg = "no GPU" }, { name = "g-noisy", status = "inconclusive", msg = "noisy" },
        { name = "g-error", status = "error", msg = "raised" } },
      results = { ok_result("k1", 2.5), { key = "k2", backend = "cuda", device = "cuda", status = "skipped", reason = "no usable GPU" },
        { key = "k3", backend = "mine", device = "cpu", status = "failed_verification", reason = "max error 1" },
        { key = "k4", backend = "mine", device = "cpu", status = "error", reason = "segfault caught" },
        { key = "k5", backend = "cpu", device = "cpu", status = "interrupted", reason = "not measured" } },
    })
    spec.eq(attr(x, "<testsuites", "tests"), "10")
    spec.eq(attr(x, "<testsuites", "failures"), "2")
    spec.eq(attr(x, "<testsuites", "errors"), "2")
    spec.eq(attr(x, "<testsuites", "skipped"), "4")
    spec.eq(attr(x, '<testsuite name="s: gates"', "failures"), "1")
    spec.eq(attr(x, '<testsuite name="s: gates"', "skipped"), "2")
    spec.eq(attr(x, '<testsuite name="s: points"', "errors"), "1")
    spec.eq(attr(x, '<testsuite name="s: gates"', "timestamp"), "2026-11-26T01:02:03")
    spec.eq(attr(x, '<testsuite name="s: gates"', "hostname"), "node-1")
    spec.truthy(x:find('name="g-fail">\n      <failure message="too slow">', 1, true), x)
    spec.truthy(x:find('<skipped message="inconclusive: noisy"/>', 1, true), x)
    spec.truthy(x:find('<error message="error: segfault caught"', 1, true), x)
    spec.truthy(x:find('name="k5 [cpu]">\n      <skipped message="interrupted: not measured"/>', 1, true), x)
    spec.truthy(x:find('name="k4 [mine@cpu]"', 1, true), x)
    -- an ok point: passed, its median (ms) as seconds, its numbers in system-out
    spec.truthy(x:find('name="k1 [cpu]" time="0.002500000">', 1, true), x)
    spec.truthy(x:find("<system-out>median 2.500 ms, 95% CI of the mean [2.250, 2.750] ms, 30 samples, 12.5 GB/s</system-out>", 1, true), x)
    -- a failure's text is its message once, not again as system-out
    spec.truthy(x:find('<failure message="too slow">too slow</failure>\n    </testcase>', 1, true), x)
    spec.truthy(not x:find("the run finished", 1, true), "a run that finished has no such case")
  end)

  it("escapes XML's special characters and replaces the control characters XML 1.0 cannot hold", function()
    local x = junit.render(run_of {
      scenario = "a&b",
      gates = { { name = [[x<y & "q" 'z']], status = "fail", msg = "bell\7 and nul\0 and tab\tok ]]> <!--" } },
    })
    spec.truthy(x:find('name="x&lt;y &amp; &quot;q&quot; &apos;z&apos;"', 1, true), x)
    spec.truthy(x:find("bell? and nul? and tab\tok ]]&gt; &lt;!--", 1, true), x)
    spec.truthy(x:find('<testsuites name="robolua a&amp;b"', 1, true), x)
    spec.truthy(not x:find("[%z\1-\8\11\12\14-\31]"), "no raw control character")
    local raw = x:gsub("<%?xml[^>]*>", ""):gsub("</?[%a][^<>]*>", "") -- every tag removed: no < or > may be left
    spec.truthy(not raw:find("[<>]"), raw)
  end)

  it("text that is not valid UTF-8 is repaired (one bad byte would make the file unparseable)", function()
    local x = junit.render(run_of { gates = { { name = "caf\233", status = "fail", msg = "bad \255 byte" } } })
    spec.truthy(utf8.len(x), "the document is valid UTF-8")
    spec.truthy(x:find('name="caf\u{FFFD}"', 1, true), x)
  end)

  it("a shard's failed gate is provisional: skipped, not a failed test (the shard exits 0)", function()
    local x = junit.render(run_of { shard = { index = 1, count = 2 }, gates = { { name = "g", status = "fail", msg = "slow" } } })
    spec.eq(attr(x, "<testsuites", "failures"), "0")
    spec.truthy(x:find('<skipped message="provisional (shard 1 of 2; robolua merge judges the whole sweep): slow"/>', 1, true), x)
    -- a merged run's gates are the verdict
    x = junit.render(run_of { shard = { index = 1, count = 2 }, merge = { count = 2 }, gates = { { name = "g", status = "fail", msg = "slow" } } })
    spec.eq(attr(x, "<testsuites", "failures"), "1")
  end)

  it("a point measured on two GPUs (--devices) gives two names", function()
    local a, b = ok_result("k", 1), ok_result("k", 1)
    a.backend, a.device, a.gpu = "cuda", "cuda", { index = 0 }
    b.backend, b.device, b.gpu = "cuda", "cuda", { index = 1 }
    local x = junit.render(run_of { results = { a, b } })
    spec.truthy(x:find('name="k [cuda@gpu0]"', 1, true) and x:find('name="k [cuda@gpu1]"', 1, true), x)
  end)

  it("an interrupted run, or a scenario that raised, is an error case", function()
    local x = junit.render(run_of { interrupted = true, results = { ok_result("k1", 1) } })
    spec.truthy(x:find('name="the run finished">\n      <error message="interrupted: the results are partial"', 1, true), x)
    spec.eq(attr(x, "<testsuites", "errors"), "1")
    x = junit.render(run_of { script_error = "case: bad shape", results = { ok_result("k1", 1) } })
    spec.truthy(x:find('<error message="the scenario raised: case: bad shape"', 1, true), x)
  end)

  it("a --baseline comparison: SLOWER, BROKEN and MISSING fail, INVALID is skipped", function()
    local rows = {
      { key = "a", backend = "cpu", verdict = "SAME", ratio = 1.01, p = 0.4, base_median_ms = 1, new_median_ms = 1.01 },
      { key = "b", backend = "cpu", verdict = "SLOWER", ratio = 1.5, p = 1e-6, base_median_ms = 1, new_median_ms = 1.5 },
      { key = "c", backend = "cpu", verdict = "FASTER", ratio = 0.5, p = 1e-6, base_median_ms = 1, new_median_ms = 0.5 },
      { key = "d", backend = "cpu", verdict = "INVALID", ratio = 0 / 0, base_median_ms = 0, new_median_ms = 1 },
    }
    local x = junit.render(run_of { baseline = { name = "main", exit_code = 1 },
      comparison = { rows = rows, broken = { "e cuda: failed_verification: wrong" }, missing = { "f cuda: skipped: no GPU" } } })
    local suite = '<testsuite name="s: baseline main"'
    spec.eq(attr(x, suite, "tests"), "6")
    spec.eq(attr(x, suite, "failures"), "3")
    spec.eq(attr(x, suite, "skipped"), "1")
    spec.truthy(x:find('<failure message="SLOWER: new / base median 1.500', 1, true), x)
    spec.truthy(x:find('<failure message="BROKEN: e cuda', 1, true), x)
    spec.truthy(x:find('<failure message="MISSING: f cuda', 1, true), x)
    -- the comparison could not run: one error case, with its reason
    x = junit.render(run_of { baseline = { name = "main", exit_code = 2, error = "no baseline results/baselines/main/" } })
    spec.eq(attr(x, '<testsuite name="s: baseline main"', "errors"), "1")
    spec.truthy(x:find('<error message="no baseline results/baselines/main/"', 1, true), x)
    -- nothing compared (exit 2): an error case, never a green suite; an INVALID row shows '-', not nan
    x = junit.render(run_of { baseline = { name = "main", exit_code = 2 }, comparison = { exit_code = 2, rows = {
      { key = "d", backend = "cpu", verdict = "INVALID", ratio = 0 / 0, base_median_ms = 0, new_median_ms = 1 } } } })
    spec.eq(attr(x, '<testsuite name="s: baseline main"', "errors"), "1")
    spec.truthy(x:find("<error message=\"nothing was compared", 1, true), x)
    spec.truthy(x:find("INVALID: new / base median - (", 1, true) and not x:find("nan", 1, true), x)
    -- no --baseline: no such suite
    spec.truthy(not junit.render(run_of {}):find("baseline", 1, true))
  end)
end)

spec.finish()
