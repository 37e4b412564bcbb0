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
  -- a results.json that cannot be read (truncated, emptied, not JSON: a crash while it was written, a hand
  -- edit) is set aside, not the end of the recovery: the journal and plan.json hold the samples
  -- (only a file that is no JSON at all: a valid document the checks refuse is the user's to fix, kept)
  local files = require "robolua.files"
  local text = files.exists(dir .. "/results.json") and files.exists(dir .. "/plan.json") and files.read(dir .. "/results.json")
  if text and not require("robolua.json").decode(text) then
    local aside = dir .. "/results.json.unreadable"
    local moved, merr = os.rename(dir .. "/results.json", aside)
    if not moved then io.stderr:write("robolua recover: " .. tostring(merr) .. "\n"); return 2 end
    io.stderr:write("robolua recover: " .. dir .. "/results.json cannot be read; moved to " .. aside .. ", recovering from the journal\n")
  end
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
