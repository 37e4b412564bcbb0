-- robolua merge OUT DIR... [--force]: joins the shards of one sweep (or the workers of a --devices
-- run) into one run folder with every report, gates judged over the merged results, each shard's
-- environment kept. It refuses (exit 2) to mix runs of different scenario definitions (their
-- definition hash), script arguments, commits or measurement settings unless --force, and reports missing and duplicate
-- shards (a missing shard fails the verdict; duplicates are an error). A shard folder without
-- results.json (its job died) is recovered from its journal.
local record = require "robolua.record"
local compare = require "robolua.compare"
local reload = require "robolua.run.reload"
local finish = require "robolua.run.finish"
local files = require "robolua.files"
local M = {}

local function usage(msg)
  io.stderr:write("robolua merge: " .. msg .. "\nusage: robolua merge OUT DIR... [--force]\n")
  return 2
end

-- Run folders given as DIRs: a run folder itself, or a folder holding run folders (one level down).
local function expand(paths)
  local out = {}
  for _, p in ipairs(paths) do
    p = p:gsub("/+$", "")
    if files.exists(p .. "/results.json") or files.exists(p .. "/plan.json") then
      out[#out + 1] = p
    elseif files.is_dir(p) then
      for _, e in ipairs(files.list(p)) do
        local sub = p .. "/" .. e
        if files.exists(sub .. "/results.json") or files.exists(sub .. "/plan.json") then out[#out + 1] = sub end
      end
    else
      error(p .. ": no such run folder", 0)
    end
  end
  return out
end

-- Problems that forbid merging docs (unless forced), as a list of strings.
function M.mismatches(docs)
  local out, first = {}, docs[1]
  for i = 2, #docs do
    local d = docs[i]
    if d.scenario ~= first.scenario then out[#out + 1] = string.format("run %d is scenario '%s', run 1 '%s'", i, tostring(d.scenario), tostring(first.scenario)) end
    if d.definition_hash ~= first.definition_hash then
      out[#out + 1] = string.format("run %d has another scenario definition (hash %s, run 1 %s)", i, tostring(d.definition_hash), tostring(first.definition_hash))
    end
    local c1, c2 = first.env and first.env.git and first.env.git.commit, d.env and d.env.git and d.env.git.commit
    if c1 ~= c2 then out[#out + 1] = string.format("run %d is from commit %s, run 1 from %s", i, tostring(c2), tostring(c1)) end
    local a1, a2 = table.concat(first.script_args or {}, " "), table.concat(d.script_args or {}, " ")
    if a1 ~= a2 then -- (arguments change what a script measures without changing its definition's hash)
      out[#out + 1] = string.format("run %d was run with script arguments '%s', run 1 with '%s'", i, a2, a1)
    end
    local diff = compare.settings_diff(first, d)
    if #diff > 0 then out[#out + 1] = string.format("run %d was measured differently: %s", i, table.concat(diff, ", ")) end
  end
  return out
end

-- Shard bookkeeping: {count, missing = {...}, duplicate = {...}} (nil count for unsharded runs).
function M.shards(docs)
  local count, seen, dup = nil, {}, {}
  for _, d in ipairs(docs) do
    if d.shard then
      if count and d.shard.count ~= count then error(string.format("shards of different splits: %d and %d shards", count, d.shard.count), 0) end
      count = d.shard.count
      if seen[d.shard.index] then dup[#dup + 1] = d.shard.index end
      seen[d.shard.index] = true
    end
  end
  local missing = {}
  for i = 0, (count or 0) - 1 do if not seen[i] then missing[#missing + 1] = i end end
  return { count = count, missing = missing, duplicate = dup }
end

-- The merged run object from loaded docs.
function M.join(docs, dirs)
  local run = reload.as_run(docs[1], nil)
  local merged = {}
  for k, v in pairs(run) do merged[k] = v end
  merged.results, merged.shards, merged.warnings = {}, {}, {}
  merged.shard = nil
  local seen = {}
  for i, d in ipairs(docs) do
    merged.shards[#merged.shards + 1] = { dir = dirs[i], shard = d.shard, env = d.env, roofline = d.roofline,
      started_utc = d.started_utc, finished_utc = d.finished_utc, recovered = d.recovered }
    if d.interrupted then merged.interrupted = true end
    for _, r in ipairs(d.results) do
      local id = record.id(r)
      if seen[id] then error("record " .. id .. " is in two of the runs (the same shard twice?)", 0) end
      seen[id] = true
      r.speedup, r.speedup_base = nil, nil
      merged.results[#merged.results + 1] = r
    end
    for _, w in ipairs(d.warnings or {}) do merged.warnings[#merged.warnings + 1] = w end
  end
  table.sort(merged.results, function(a, b)
    if (a.index or 0) ~= (b.index or 0) then return (a.index or 0) < (b.index or 0) end
    local ga, gb = a.gpu and a.gpu.index or -1, b.gpu and b.gpu.index or -1
    if ga ~= gb then return ga < gb end
    return a.backend < b.backend
  end)
  record.speedups(merged.results, merged.speedup_base or "cpu")
  local starts, ends = {}, {}
  for _, d in ipairs(docs) do starts[#starts + 1] = d.started_utc or ""; ends[#ends + 1] = d.finished_utc or "" end
  table.sort(starts); table.sort(ends)
  merged.started_utc, merged.finished_utc = starts[1], ends[#ends]
  return merged
end

function M.main(args)
  local force, paths = false, {}
  for _, a in ipairs(args) do
    if a == "--force" then force = true
    elseif a:sub(1, 1) == "-" then return usage("unknown option '" .. a .. "'")
    else paths[#paths + 1] = a end
  end
  if #paths < 2 then return usage("needs OUT and at least one run folder") end
  local out = table.remove(paths, 1)
  if files.exists(out) and #files.list(out) > 0 then return usage(out .. " exists and is not empty") end
  local can, why = files.can_create(out) -- before any run is read: OUT is written last
  if not can then return usage("OUT " .. out .. ": " .. why) end
  local ok, dirs = pcall(expand, paths)
  if not ok then return usage(dirs) end
  if #dirs == 0 then return usage("no run folders in " .. table.concat(paths, " ")) end
  local docs = {}
  for i, dir in ipairs(dirs) do
    local okd, doc = pcall(reload.load_run, dir)
    if not okd then return usage(tostring(doc)) end
    if doc.recovered then io.stderr:write("robolua merge: " .. dir .. ": no results.json; recovered from its journal\n") end
    -- the records compare reads: a merge must not write a document that compare then refuses
    local why = require("robolua.compare").check(doc, dir .. (doc.recovered and "/journal.jsonl" or "/results.json"))
    if why then return usage(why) end
    docs[i] = doc
  end
  local bad = M.mismatches(docs)
  if #bad > 0 and not force then
    io.stderr:write("robolua merge: refusing to merge:\n  " .. table.concat(bad, "\n  ") .. "\n(--force merges anyway)\n")
    return 2
  end
  local oks, sh = pcall(M.shards, docs)
  if not oks then return usage(sh) end
  if #sh.duplicate > 0 then return usage("shard(s) " .. table.concat(sh.duplicate, ", ") .. " given twice") end
  local okj, run = pcall(M.join, docs, dirs)
  if not okj then return usage(run) end
  for _, b in ipairs(bad) do run.warnings[#run.warnings + 1] = "merged with --force: " .. b end
  run.merge = { count = sh.count, missing = sh.missing, runs = #docs }
  files.mkdir_p(out)
  run.dir = out
  run.command = require("robolua").cli.command or run.command
  local def, why = reload.definition(docs[1])
  local gates = def and def.gates or {}
  if not def then
    run.warnings[#run.warnings + 1] = "the scenario's own gates were not judged: " .. why
    io.stderr:write("robolua merge: warning: " .. why .. "\n")
  end
  local all = {}
  for _, g in ipairs(gates) do all[#all + 1] = g end
  if sh.count then
    all[#all + 1] = { name = string.format("every shard present (%d)", sh.count), check = function()
      if #sh.missing > 0 then return { ok = false, msg = "missing shard(s): " .. table.concat(sh.missing, ", ") } end
      return { ok = true, msg = sh.count .. " shards merged" }
    end }
  end
  local cli = require("robolua").cli
  return finish.finish(run, cli, { def_gates = all, reports = def and def.reports })
end

return M
