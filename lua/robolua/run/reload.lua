-- Reading a finished (or crashed) run folder back, and the scenario behind it: what merge and
-- recover need to re-judge gates and rewrite reports without measuring anything.
local record = require "robolua.record"
local journal = require "robolua.run.journal"
local files = require "robolua.files"
local json = require "robolua.json"
local M = {}

-- A run folder's document: results.json, or, if the run never wrote it (a crash, SIGKILL, a lost
-- node), plan.json plus every sample the journal holds. Returns doc, recovered (boolean).
function M.load_run(dir)
  if not files.is_dir(dir) then error(dir .. (files.exists(dir) and " is not a folder" or ": no such folder"), 0) end
  if files.exists(dir .. "/results.json") then return record.load(dir), false end
  local text = files.read(dir .. "/plan.json")
  if not text then error(dir .. ": neither results.json nor plan.json (not a robolua run folder?)", 0) end
  local doc, err = json.decode(text)
  if not doc then error(dir .. "/plan.json: " .. tostring(err), 0) end
  local ok, why = record.from_doc(doc, dir .. "/plan.json")
  if not ok then error(why, 0) end
  local j = journal.read(dir .. "/journal.jsonl")
  local partial = false -- (a journal that holds every planned point's record lost only the reports)
  for i, r in ipairs(doc.results) do
    local id = record.id(r)
    if j.records[id] then
      doc.results[i] = j.records[id]
      -- (a first SIGINT journals the points it stopped as interrupted records: the run is still partial)
      partial = partial or j.records[id].status == "interrupted"
    elseif j.samples[id] then
      for si, s in pairs(j.samples[id]) do r.seeds[si] = s end
      if r.status == "ok" then
        record.set_status(r, "interrupted", "recovered from the journal: the run stopped before this point finished")
        partial = true
      end
    elseif r.status == "ok" then
      record.set_status(r, "interrupted", "not measured: the run stopped before this point")
      partial = true
    end
  end
  doc.interrupted = partial or nil
  doc.recovered = { journal_lines = j.lines, torn_lines = j.torn }
  return doc, true
end

-- The scenario's definition, read by running its script with rl.scenario capturing the table instead
-- of running it. Returns def or nil, why.
function M.definition(doc)
  local rl = require "robolua"
  local script = doc.script
  if not script or not files.exists(script) then
    return nil, "the scenario script " .. tostring(script) .. " is not here (run from the folder the run was started in)"
  end
  local chunk, err = require("robolua.cli").load_text(script)
  if not chunk then return nil, tostring(err) end
  rl.cli.definition_only = true
  local ok, res = pcall(chunk, table.unpack(doc.script_args or {}))
  rl.cli.definition_only = nil
  local def = rl.cli.captured_definition
  rl.cli.captured_definition = nil
  if not ok then return nil, "loading " .. script .. ": " .. tostring(res) end
  if type(def) ~= "table" then return nil, script .. " did not call rl.scenario" end
  return def
end

-- A run object (what gates and reports take) from a document.
function M.as_run(doc, dir)
  local run = doc
  run.dir = dir
  run.seeds = doc.settings.seeds
  run.repeats = doc.settings.repeats
  run.warmup = doc.settings.warmup
  run.backends = doc.settings.backends or {}
  run.speedup_base = run.speedup_base or "cpu"
  run.warnings = run.warnings or {}
  run.roofline = run.roofline or {}
  return run
end

return M
