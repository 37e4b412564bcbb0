-- The sample journal: every chunk of samples is appended to DIR/journal.jsonl as it is measured (one
-- JSON object per line), and every finished record once more in full, so a crash or SIGKILL at any
-- moment leaves everything measured up to the last chunk on disk; `robolua recover DIR` rebuilds the
-- run from DIR/plan.json and the journal. Appends are checked (a full disk is an error naming the
-- file); the file is fsync'ed when a record is finished.
local json = require "robolua.json"
local files = require "robolua.files"
local M = {}

function M.open(dir)
  if not dir then return { write = function() end, disabled = true } end
  local j = { path = dir .. "/journal.jsonl" }
  function j.write(entry, sync)
    files.append(j.path, json.encode(entry) .. "\n", sync)
  end
  return j
end

function M.samples(j, r, si, entry, samples, clocks)
  j.write({ t = "samples", id = require("robolua.record").id(r), si = si, seed = entry.seed, control = entry.control,
    samples_ms = samples, sm_clock_mhz = clocks or {} })
end

function M.record(j, r)
  local record = require "robolua.record"
  j.write({ t = "record", id = record.id(r), record = record.record_document(r) }, true) -- as results.json has it
end

-- Lines of a journal file -> {records = {id -> record}, samples = {id -> {si -> entry}}}; a torn last
-- line (the process died while writing it) is ignored.
function M.read(path)
  local text = files.read(path) or ""
  local out = { records = {}, samples = {}, lines = 0, torn = 0 }
  for line in text:gmatch("[^\n]+") do
    local e = json.decode(line)
    if type(e) ~= "table" then
      out.torn = out.torn + 1
    else
      out.lines = out.lines + 1
      if e.t == "record" and e.id then
        out.records[e.id] = e.record
      elseif e.t == "samples" and e.id and e.si then
        local per = out.samples[e.id] or {}
        out.samples[e.id] = per
        local s = per[e.si] or { seed = e.seed, control = e.control, samples_ms = {}, sm_clock_mhz = {} }
        per[e.si] = s
        table.move(e.samples_ms or {}, 1, #(e.samples_ms or {}), #s.samples_ms + 1, s.samples_ms)
        table.move(e.sm_clock_mhz or {}, 1, #(e.sm_clock_mhz or {}), #s.sm_clock_mhz + 1, s.sm_clock_mhz)
      end
    end
  end
  return out
end

return M
