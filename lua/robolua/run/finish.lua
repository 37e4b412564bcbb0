-- The last stages of a run (also of a merge and a recovery): gates, the verdict, every report, the
-- console summary, named baselines, and the exit code. Reports of everything measured are written even
-- when a gate or a report fails; a failed write is an error naming the file (exit 2) that leaves the
-- previous version of the file in place.
local gates = require "robolua.gates"
local reports = require "robolua.reports"
local record = require "robolua.record"
local files = require "robolua.files"
local usage = require "robolua.usage"
local M = {}

-- --require BACKEND: every planned point of the backend was measured.
local function require_gate(backend)
  return { name = "required backend: " .. backend, check = function(run)
    local n, missing = 0, {}
    for _, r in ipairs(run.results) do
      if r.backend == backend then
        n = n + 1
        if r.status ~= "ok" then missing[#missing + 1] = r.key .. ": " .. r.status .. (r.reason and (" (" .. r.reason .. ")") or "") end
      end
    end
    if n == 0 then return { ok = false, msg = "the run has no " .. backend .. " points" } end
    if #missing > 0 then
      return { ok = false, msg = string.format("%d of %d %s points not measured: %s", #missing, n, backend,
        table.concat(missing, "; ", 1, math.min(#missing, 3))) }
    end
    return { ok = true, msg = n .. " " .. backend .. " points measured" }
  end }
end

-- Points of the plan not measured because they were skipped (a backend this machine lacks, a skip rule),
-- and points planned, the reference backend's aside: a PASS says how much of the plan it stands on.
-- -> the skipped records' "key backend: reason", and the number of points planned
local function skipped_points(run)
  local skipped, planned = {}, 0
  for _, r in ipairs(run.results) do
    if r.backend ~= "reference" then
      planned = planned + 1
      if r.status == "skipped" then skipped[#skipped + 1] = r.key .. " " .. r.backend .. ": " .. tostring(r.reason) end
    end
  end
  return skipped, planned
end

-- --strict: every planned point (the reference backend aside) was measured.
local function strict_points_gate()
  return { name = "every point measured (--strict)", check = function(run)
    local skipped = skipped_points(run)
    if #skipped > 0 then
      return { ok = false, msg = #skipped .. " points skipped: " .. table.concat(skipped, "; ", 1, math.min(#skipped, 3)) }
    end
    return { ok = true, msg = "no point skipped" }
  end }
end


-- Judges every gate: verification first, then the scenario's, then the command line's.
function M.judge(run, def_gates, cli)
  local all = { gates.verified() }
  for _, g in ipairs(def_gates or {}) do
    if not (type(g) == "table" and g.name == all[1].name) then all[#all + 1] = g end
  end
  for _, b in ipairs(cli.require or {}) do all[#all + 1] = require_gate(b) end
  if cli.strict then all[#all + 1] = strict_points_gate() end
  run.gates = {}
  local counts = { pass = 0, fail = 0, skip = 0, inconclusive = 0, error = 0 }
  for i, g in ipairs(all) do
    local r = gates.evaluate(g, run, i)
    if cli.strict and (r.status == "skip" or r.status == "inconclusive") then
      r.msg = (r.status == "skip" and "skipped" or "inconclusive") .. ", and --strict counts that as a failure: " .. r.msg
      r.status = "fail"
    end
    run.gates[#run.gates + 1] = r
    counts[r.status] = counts[r.status] + 1
  end
  run.passed = counts.fail == 0 and counts.error == 0
  local failed = {}
  for _, g in ipairs(run.gates) do
    if g.status == "fail" or g.status == "error" then failed[#failed + 1] = g.name end
  end
  if #failed > 0 then
    run.verdict = string.format("FAIL: %d gate%s (%s)", #failed, #failed > 1 and "s" or "", table.concat(failed, "; "))
  elseif #gates.ok_results(run) == 0 then
    -- every gate was skipped for want of a measured point (a recovery of a run that stopped before its
    -- first point, every point skipped): a PASS would stand on nothing. INCONCLUSIVE is never a pass.
    run.verdict = "INCONCLUSIVE: nothing was measured"
  elseif counts.inconclusive > 0 then
    run.verdict = string.format("INCONCLUSIVE: %d gate%s too noisy to judge", counts.inconclusive, counts.inconclusive > 1 and "s" or "")
  else
    local notes = {}
    if counts.skip > 0 then notes[#notes + 1] = string.format("%d gate%s skipped", counts.skip, counts.skip > 1 and "s" or "") end
    local skipped, planned = skipped_points(run)
    if #skipped > 0 then notes[#notes + 1] = string.format("%d of %d points skipped", #skipped, planned) end
    run.verdict = "PASS" .. (#notes > 0 and " (" .. table.concat(notes, ", ") .. ")" or "")
  end
  return counts
end

-- Writes every report of the run folder; returns the first error (each report is attempted).
function M.write_reports(run, list)
  if not run.dir then return nil end
  local first_error
  local written = {}
  run.report_files = {}
  local function write(rep, always)
    local ok, path = pcall(reports.write, run, rep, run.dir)
    if ok then
      run.report_files[#run.report_files + 1] = path
      written[rep] = true
    else
      first_error = first_error or tostring(path)
      io.stderr:write("robolua: " .. (always and "" or "report failed: ") .. tostring(path) .. "\n")
    end
  end
  for _, rep in ipairs(list or { "csv", "json", "markdown", "html" }) do write(rep) end
  -- results.json (compare, merge and recover read it) and junit.xml (a CI reads it) always exist,
  -- whatever the report list says
  if not written.json then write("json", true) end
  if not written.junit then write("junit", true) end
  return first_error
end

-- --baseline NAME: the document of OUT/baselines/NAME, which must be a run of this scenario (compare
-- refuses two scenarios). Read by scenario.run before anything is measured, so a wrong name is a usage
-- error there (kept in cli.baseline_doc), and read here again only for a run that did not go through it.
function M.baseline_doc(cli, scenario)
  if cli.baseline_doc then return cli.baseline_doc end
  local typed = require("robolua.cli").typed(cli, "baseline", nil, "--baseline " .. cli.baseline)
  local dir = (cli.out or "results") .. "/baselines/" .. cli.baseline
  if not files.exists(dir) then
    usage.raise(string.format("%s: no baseline %s/ (--save-baseline %s saves one)", typed, dir, cli.baseline))
  end
  local ok, doc = pcall(record.load, dir .. "/results.json")
  if ok then -- (a malformed record is refused now, before anything is measured, not after)
    local problem = require("robolua.compare").check(doc, dir .. "/results.json")
    if problem then ok, doc = false, problem end
  end
  if not ok then usage.raise(typed .. ": " .. tostring(doc)) end
  if doc.scenario ~= scenario then
    usage.raise(string.format("%s: a baseline of scenario '%s', not of '%s'", typed, tostring(doc.scenario), tostring(scenario)))
  end
  cli.baseline_doc = doc
  return doc
end

-- --baseline NAME: this run against the named baseline, before the reports are written, so that
-- results.json records the comparison (run.baseline). -> the comparison's exit code (0 without one), and
-- its Markdown (printed by finish, with the summary).
local function compare_baseline(run, cli)
  if not cli.baseline then return 0 end
  local compare = require "robolua.compare"
  local ok, res = pcall(function()
    local base = M.baseline_doc(cli, run.scenario)
    local new = record.from_doc(require("robolua.json").decode(record.encode(run)))
    return compare.run(base, new, { threshold = cli.threshold, alpha = cli.alpha })
  end)
  if not ok then
    io.stderr:write("robolua: " .. tostring(res) .. "\n")
    run.baseline = { name = cli.baseline, exit_code = 2, error = tostring(res) }
    run.comparison = nil
    return 2
  end
  local doc = compare.json_doc(res, M.baseline_doc(cli, run.scenario), run) -- (its counts: lower-case verdicts)
  run.baseline = { name = cli.baseline, exit_code = res.exit_code, error = res.error, counts = doc.counts }
  run.comparison = doc -- (the per-configuration verdicts, for junit.xml; results.json keeps only the counts)
  if run.dir then
    pcall(files.write, run.dir .. "/compare-" .. cli.baseline .. ".md", res.markdown)
    pcall(files.write, run.dir .. "/compare-" .. cli.baseline .. ".json", require("robolua.json").encode(doc) .. "\n")
  end
  return res.exit_code, res.markdown
end

-- Why this run must not replace a saved baseline (a later --baseline would compare against it), or nil.
-- A failed gate is no reason: a comparison is about relative speed, and a scenario may hold a gate it
-- fails on purpose (robot_fusion's 90% of a copy); a run that stopped, raised or measured nothing is.
local function unfit_baseline(run, counts)
  if run.interrupted then return "the run was interrupted" end
  if counts.error > 0 then return "a gate raised an error" end
  if #gates.ok_results(run) == 0 then return "nothing was measured" end
end

-- --save-baseline NAME: OUT/baselines/NAME/results.json, unless the run is unfit (then the previous
-- baseline stays and the exit code is at least 1: the command did not do what was asked). -> exit code
local function save_baseline(run, cli, counts, say)
  if not cli.save_baseline then return 0 end
  local dir = (cli.out or "results") .. "/baselines/" .. cli.save_baseline
  local why = unfit_baseline(run, counts)
  if why then
    io.stderr:write(string.format("robolua: --save-baseline %s: not saved: %s (%s)\n", cli.save_baseline, why,
      files.exists(dir) and "the previous baseline is kept" or "there is no previous one"))
    return 1
  end
  local ok, err = pcall(function()
    files.mkdir_p(dir)
    files.write(dir .. "/results.json", record.encode(run))
  end)
  if not ok then
    io.stderr:write("robolua: --save-baseline: " .. tostring(err) .. "\n")
    return 2
  end
  if not cli.quiet then say("baseline saved: " .. dir .. "/\n") end
  if counts.fail > 0 then
    io.stderr:write(string.format("robolua: --save-baseline %s: warning: saved a run that failed %d gate%s\n",
      cli.save_baseline, counts.fail, counts.fail > 1 and "s" or ""))
  end
  return 0
end

-- The last line: the gates' verdict, and what else decides the exit code (a comparison, an unsaved
-- baseline, a write error), so that the line and the exit code never disagree.
local function final_line(run, cli, code, counts)
  local extra = {}
  local b = run.baseline
  if b and b.counts and ((b.counts.slower or 0) > 0 or (b.counts.broken or 0) > 0 or (b.counts.missing or 0) > 0) then
    local parts = {}
    for _, k in ipairs { "slower", "broken", "missing" } do
      if (b.counts[k] or 0) > 0 then parts[#parts + 1] = b.counts[k] .. " " .. k end
    end
    extra[#extra + 1] = "against baseline " .. b.name .. ": " .. table.concat(parts, ", ")
  elseif b and b.exit_code == 2 then
    extra[#extra + 1] = "the comparison with baseline " .. b.name .. " failed"
  end
  if cli.save_baseline and unfit_baseline(run, counts) then extra[#extra + 1] = "baseline " .. cli.save_baseline .. " not saved" end
  local line = "robolua: " .. run.verdict .. (run.interrupted and " (interrupted: results are partial)" or "")
  if #extra > 0 then line = line .. "; " .. table.concat(extra, "; ") end
  if code ~= 0 and run.verdict:match("^PASS") and #extra == 0 and not run.interrupted then
    line = line .. "; exit " .. code .. " (see the errors above)"
  end
  return line .. "\n"
end

local function has_cuda_points(run)
  for _, r in ipairs(run.results) do if r.device == "cuda" then return true end end
  return false
end

-- The whole ending. opts: {def_gates, reports, script_error, quiet}. Returns the exit code.
function M.finish(run, cli, opts)
  local counts = M.judge(run, opts.def_gates, cli)
  local bcode, comparison = compare_baseline(run, cli)
  run.script_error = opts.script_error -- (for junit.xml; not a field of results.json)
  local report_error = M.write_reports(run, opts.reports)
  for _, f in ipairs(cli.report or {}) do
    local ok, text = pcall(reports.render, f, run)
    if ok then
      local wok, werr = io.stdout:write(text)
      if wok then wok, werr = io.stdout:flush() end
      if not wok then
        io.stderr:write("robolua: cannot write the " .. f .. " report to stdout: " .. tostring(werr) .. "\n")
        report_error = report_error or ("stdout: " .. tostring(werr))
      end
    end
  end
  local md = require "robolua.reports.markdown"
  -- a report printed to stdout (--report json) stays parseable: the human summary goes to stderr then
  local say = #(cli.report or {}) > 0 and function(s) io.stderr:write(s) end or function(s) io.write(s) end
  if cli.quiet then
    say(md.gates(run, true))
    if run.dir then say("reports: " .. run.dir .. "/\n") end -- (a CI job needs the folder; its name has a time stamp)
  else
    say(md.render(run, { brief = true }))
    if run.dir then say("\nreports: " .. run.dir .. "/\n") end
    if run.profile_dir then
      say("Nsight traces for this commit: " .. run.profile_dir .. "/\n")
    elseif opts.script and has_cuda_points(run) then -- (a CPU-only scenario has nothing to profile)
      say("Nsight traces: none for this commit; regenerate with: tools/profile.sh " .. opts.script .. "\n")
    end
  end
  if comparison then say("\n" .. comparison) end
  local code = 0
  if counts.fail > 0 then
    if cli.shard then -- a shard's gates see part of the sweep: they are judged at the merge (not its comparison)
      say(string.format("robolua: shard %d of %d: gate failures here are provisional; robolua merge judges the whole sweep\n",
        cli.shard.index, cli.shard.count))
    else
      code = 1
    end
  end
  code = math.max(code, bcode, save_baseline(run, cli, counts, say))
  if opts.script_error or counts.error > 0 or run.interrupted or report_error then code = 2 end
  say(final_line(run, cli, code, counts))
  local ok, ferr = io.stdout:flush()
  if not ok then
    io.stderr:write("robolua: cannot write to stdout: " .. tostring(ferr) .. "\n")
    code = 2
  end
  return code
end

return M
