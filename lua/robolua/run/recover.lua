-- robolua recover DIR: rebuilds a run that stopped before writing its reports (a crash, SIGKILL, a
-- lost node) from DIR/plan.json and DIR/journal.jsonl: every sample measured up to the last journaled
-- chunk is kept; points that had not finished are marked interrupted. Gates are re-judged with the
-- scenario's own gates when its script is found, and every report is written into DIR.
local reload = require "robolua.run.reload"
local finish = require "robolua.run.finish"
local M = {}

function M.main(args)
  local dir = args[1]
  if not dir or args[2] then io.stderr:write("usage: robolua recover DIR\n"); return 2 end
  dir = dir:gsub("/+$", "")
  local ok, doc, recovered = pcall(reload.load_run, dir) -- (its errors name the folder or the file)
  if not ok then io.stderr:write("robolua recover: " .. tostring(doc) .. "\n"); return 2 end
  if not recovered then
    io.stderr:write("robolua recover: " .. dir .. " already has results.json; nothing to recover\n")
    return 0
  end
  local run = reload.as_run(doc, dir)
  -- the run stopped before it could record when it finished: the recovery's time stands in (results.json
  -- requires one), and a warning says so
  run.finished_utc = run.finished_utc or os.date("!%Y-%m-%dT%H:%M:%SZ")
  run.warnings[#run.warnings + 1] = "recovered by robolua recover at " .. run.finished_utc ..
    " (finished_utc is that time: the run stopped before it recorded its own)"
  local def, why = reload.definition(doc)
  if not def then
    run.warnings[#run.warnings + 1] = "the scenario's own gates were not judged: " .. why
    io.stderr:write("robolua recover: warning: " .. why .. "\n")
  end
  local kept = 0
  for _, r in ipairs(run.results) do
    for _, s in ipairs(r.seeds) do kept = kept + #(s.samples_ms or {}) end
  end
  io.stderr:write(string.format("robolua recover: %d samples of %d records recovered from %s/journal.jsonl\n", kept, #run.results, dir))
  local cli = require("robolua").cli
  return finish.finish(run, cli, { def_gates = def and def.gates, reports = def and def.reports })
end

return M
